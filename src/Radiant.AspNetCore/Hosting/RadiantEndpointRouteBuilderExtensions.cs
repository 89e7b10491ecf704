using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.FocusModes;
using Radiant.AspNetCore.Personas;
using Radiant.AspNetCore.Pricing;
using Radiant.AspNetCore.Registry;
using Radiant.AspNetCore.Scheduling;
using Radiant.AspNetCore.Teams;
using Radiant.Hosting;

namespace Radiant.AspNetCore.Hosting;

/// <summary>Maps every enabled Radiant feature.</summary>
public static class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the routes of every feature the host enabled (<c>AddFocusModes</c>, <c>AddPersonas</c>, ...) and returns
    /// a group over them, so the host can add a prefix, rate limiting or further authorization.
    /// </summary>
    public static RouteGroupBuilder MapRadiant(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var features = endpoints.ServiceProvider.GetServices<RadiantFeature>().Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var group = endpoints.MapGroup(string.Empty);
        if (features.Contains(RadiantFeature.FocusModes))
        {
            group.MapRadiantFocusModes();
        }

        if (features.Contains(RadiantFeature.Personas))
        {
            group.MapRadiantPersonas();
        }

        if (features.Contains(RadiantFeature.Registry))
        {
            group.MapRadiantRegistry();
        }

        if (features.Contains(RadiantFeature.Pricing))
        {
            group.MapRadiantPricing();
        }

        if (features.Contains(RadiantFeature.Teams))
        {
            group.MapRadiantTeams();
        }

        if (features.Contains(RadiantFeature.Scheduler))
        {
            group.MapRadiantSchedules();
        }

        return group;
    }
}
