using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Analytics;
using Radiant.AspNetCore.Http;
using Radiant.Common;
using Radiant.FocusModes;
using Radiant.Chat;
using Radiant.ModelSelection;
using Radiant.Personas;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Scheduling;
using Radiant.Teams;
using Radiant.ThinkTank;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Maps Radiant's HTTP routes. <see cref="MapRadiant"/> maps every enabled feature; the <c>MapRadiant...</c> method of
/// each feature (in this class, one per feature) maps just that one. Each returns a group the host can decorate.
/// </summary>
public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the routes of every feature the host enabled (<c>AddFocusModes</c>, <c>AddPersonas</c>, ...) and returns
    /// a group over them, so the host can add a prefix, rate limiting or further authorization.
    /// </summary>
    public static RouteGroupBuilder MapRadiant(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var registered = endpoints.ServiceProvider.GetRequiredService<IServiceProviderIsService>();
        var group = endpoints.MapGroup(string.Empty);
        if (registered.IsService(typeof(IFocusModeService)))
        {
            group.MapRadiantFocusModes();
        }

        if (registered.IsService(typeof(IPersonaService)))
        {
            group.MapRadiantPersonas();
        }

        if (registered.IsService(typeof(IModelRegistry)))
        {
            group.MapRadiantRegistry();
        }

        if (registered.IsService(typeof(IPricingAdminService)))
        {
            group.MapRadiantPricing();
        }

        if (registered.IsService(typeof(ITeamService)))
        {
            group.MapRadiantTeams();
        }

        if (registered.IsService(typeof(IScheduleService)))
        {
            group.MapRadiantSchedules();
        }

        if (registered.IsService(typeof(IModelPreferenceService)))
        {
            group.MapRadiantModelSelection();
        }

        if (registered.IsService(typeof(IRadiantChat)))
        {
            group.MapRadiantChat();
        }

        if (registered.IsService(typeof(IUsageAnalyticsService)))
        {
            group.MapRadiantAnalytics();
        }

        if (registered.IsService(typeof(IThinkTankUserService)))
        {
            group.MapRadiantThinkTankUsers();
        }

        return group;
    }

    /// <summary>The page a list route was asked for (<c>?cursor=&amp;limit=</c>).</summary>
    private static PageRequest Page(TextValue? cursor, IntValue? limit) =>
        new(cursor?.Value, limit?.Value ?? PageRequest.DefaultLimit);
}
