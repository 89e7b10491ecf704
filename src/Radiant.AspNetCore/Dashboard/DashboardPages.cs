using Radiant.Analytics;
using Radiant.Chat;
using Radiant.ModelSelection;
using Radiant.Personas;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Scheduling;
using Radiant.Teams;
using Radiant.ThinkTank;

namespace Radiant.AspNetCore.Dashboard;

/// <summary>
/// One page of the dashboard: its path under the dashboard's prefix, its title, whether only tenant admins may open
/// it, the feature it needs (the page is mapped only when the host enabled that feature) and whether it draws charts.
/// The page's script is <c>pages/{path with '/' as '-'}.js</c>.
/// </summary>
internal sealed record DashboardPage(string Path, string Title, bool Admin, Type Feature, bool Charts = false)
{
    public string Module => "pages/" + Path.Replace('/', '-') + ".js";

    /// <summary>Every page, in navigation order: the Think Tank pages, then the admin back office (section 29.1).</summary>
    public static IReadOnlyList<DashboardPage> All { get; } =
    [
        new("chat", "Chat", Admin: false, typeof(IRadiantChat)),
        new("preferences", "Model preferences", Admin: false, typeof(IModelPreferenceService)),
        new("personas", "Personas", Admin: false, typeof(IPersonaService)),
        new("schedules", "Scheduled prompts", Admin: false, typeof(IScheduleService)),
        new("team", "Team usage", Admin: false, typeof(ITeamService)),
        new("admin/analytics", "Analytics", Admin: true, typeof(IUsageAnalyticsService), Charts: true),
        new("admin/users", "Think Tank users", Admin: true, typeof(IThinkTankUserService)),
        new("admin/domain-modes", "Domain modes", Admin: true, typeof(IDomainModeService)),
        new("admin/pricing", "Model pricing", Admin: true, typeof(IPricingAdminService)),
        new("admin/models", "Model registry", Admin: true, typeof(IModelRegistry)),
    ];
}
