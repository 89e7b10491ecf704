using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Radiant.AspNetCore.Http;

internal static class RadiantRouteGroups
{
    /// <summary>
    /// A group for one feature: authenticated callers only, caller provisioning, typed errors as ProblemDetails, and
    /// the problem responses every route can give documented in OpenAPI.
    /// </summary>
    public static RouteGroupBuilder MapFeatureGroup<TService>(this IEndpointRouteBuilder endpoints, string tag, string registration)
    {
        EnsureConfigured<TService>(endpoints.ServiceProvider, registration);
        var group = endpoints.MapGroup(string.Empty).WithTags(tag).RequireAuthorization();
        group.AddEndpointFilter(RadiantEndpointFilters.MapErrorsAsync);
        group.AddEndpointFilter(RadiantEndpointFilters.ResolveCallerAsync);
        group.AddEndpointFilterFactory(RadiantEndpointFilters.CheckRequestValues);
        group.WithMetadata(RadiantRouteMetadata.Instance);
        group.ProducesProblem(StatusCodes.Status401Unauthorized);
        group.ProducesProblem(StatusCodes.Status403Forbidden);
        group.ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    /// <summary>
    /// The <c>/api/admin/...</c> routes of a feature: the tenant-admin view of it. The services refuse admin operations
    /// to other callers themselves; this gate also keeps the admin views (every focus mode, the model switches) to
    /// tenant admins, with the same 403 problem response.
    /// </summary>
    public static RouteGroupBuilder MapAdminGroup(this RouteGroupBuilder group) =>
        group.MapGroup(string.Empty).WithMetadata(TenantAdminOnly.Instance);

    private static void EnsureConfigured<TService>(IServiceProvider services, string registration)
    {
        if (services.GetService<CallerResolver>() is null)
        {
            throw new InvalidOperationException(
                "Radiant's HTTP services are not registered: call services.AddRadiant().UsePostgres(...).AddHttpApi() before app.MapRadiant().");
        }

        if (services.GetRequiredService<IServiceProviderIsService>().IsService(typeof(TService)) is false)
        {
            throw new InvalidOperationException(
                $"{typeof(TService).Name} is not registered: call services.AddRadiant().UsePostgres(connectionString).{registration}() before mapping its routes.");
        }
    }
}

/// <summary>Marks every route Radiant maps (tests and diagnostics find them by it).</summary>
internal sealed class RadiantRouteMetadata
{
    public static RadiantRouteMetadata Instance { get; } = new();
}
