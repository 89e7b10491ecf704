using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Radiant.AspNetCore.Hosting;
using Radiant.AspNetCore.Http;
using Radiant.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what Radiant's HTTP endpoints need.</summary>
public static class RadiantHttpBuilderExtensions
{
    /// <summary>
    /// Registers the services behind <c>app.MapRadiant()</c>: claim mapping, the admin policy (unless the host
    /// defines <see cref="RadiantHttpOptions.AdminPolicy"/> itself), ProblemDetails and source-generated JSON.
    /// Authentication stays the host's choice. Options bind from the <c>Http</c> configuration sub-section, then from
    /// <paramref name="configure"/>; idempotent.
    /// </summary>
    public static IRadiantBuilder AddHttpApi(this IRadiantBuilder builder, Action<RadiantHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<RadiantHttpOptions>();
        if (!services.Any(d => d.ServiceType == typeof(CallerResolver)))
        {
            if (builder.Configuration?.GetSection(RadiantHttpOptions.SectionName) is { } section)
            {
                options.Bind(section);
            }

            options.ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RadiantHttpOptions>, RadiantHttpOptionsValidator>());
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddProblemDetails();
        services.AddAuthorization();
        services.TryAddSingleton<CallerResolver>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<AuthorizationOptions>, ConfigureAdminPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<JsonOptions>, ConfigureRadiantJson>());
        return builder;
    }

    private sealed class ConfigureAdminPolicy(IOptions<RadiantHttpOptions> options) : IConfigureOptions<AuthorizationOptions>
    {
        public void Configure(AuthorizationOptions authorization)
        {
            if (authorization.GetPolicy(RadiantHttpOptions.AdminPolicy) is null)
            {
                var role = options.Value.AdminRole;
                authorization.AddPolicy(RadiantHttpOptions.AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(role));
            }
        }
    }

    private sealed class ConfigureRadiantJson : IConfigureOptions<JsonOptions>
    {
        public void Configure(JsonOptions options) =>
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, RadiantJsonContext.Default);
    }
}
