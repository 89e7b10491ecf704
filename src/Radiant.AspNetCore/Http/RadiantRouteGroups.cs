using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.Hosting;
using Radiant.Hosting;

namespace Radiant.AspNetCore.Http;

internal static class RadiantRouteGroups
{
    /// <summary>
    /// A group for one feature: authenticated callers only, caller provisioning, typed errors as ProblemDetails, and
    /// the problem responses every route can give documented in OpenAPI.
    /// </summary>
    public static RouteGroupBuilder MapFeatureGroup(this IEndpointRouteBuilder endpoints, string tag)
    {
        EnsureConfigured(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(string.Empty).WithTags(tag).RequireAuthorization();
        group.AddEndpointFilter(RadiantEndpointFilters.MapErrorsAsync);
        group.AddEndpointFilter(RadiantEndpointFilters.ResolveCallerAsync);
        group.ProducesProblem(StatusCodes.Status401Unauthorized);
        group.ProducesProblem(StatusCodes.Status403Forbidden);
        return group;
    }

    /// <summary>Admin routes inside a feature group, guarded by <see cref="RadiantHttpOptions.AdminPolicy"/>.</summary>
    public static RouteGroupBuilder MapAdminGroup(this RouteGroupBuilder group) =>
        group.MapGroup(string.Empty).RequireAuthorization(RadiantHttpOptions.AdminPolicy);

    private static void EnsureConfigured(IServiceProvider services)
    {
        if (services.GetService<CallerResolver>() is null)
        {
            throw new InvalidOperationException(
                "Radiant's HTTP services are not registered: call services.AddRadiant().UsePostgres(...).AddHttpApi() before app.MapRadiant().");
        }

        if (!services.GetServices<RadiantProviderMarker>().Any())
        {
            throw new InvalidOperationException(
                "No Radiant storage provider is configured: call services.AddRadiant().UsePostgres(connectionString) (package Radiant.Postgres).");
        }
    }
}
