using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.Dashboard;
using Radiant.AspNetCore.Hosting;
using Radiant.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the embedded dashboard under <paramref name="pattern"/>: the Think Tank pages for every signed-in user and
    /// the admin back office for tenant admins (<see cref="RadiantHttpOptions.AdminPolicy"/>), one page per feature
    /// the host enabled. The pages are served from files embedded in this package (no CDN, no build in the host) and
    /// call the routes of <c>app.MapRadiant()</c> with the browser's own credentials, so authentication is the host's
    /// (cookies, Basic, a proxy...). Returns the group: add <c>.RequireAuthorization("policy")</c> to narrow who may
    /// open the dashboard at all.
    /// </summary>
    public static RouteGroupBuilder MapRadiantDashboard(
        this IEndpointRouteBuilder endpoints, string pattern = "/radiant", Action<RadiantDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        if (!pattern.StartsWith('/') || pattern.Length < 2 || pattern.EndsWith('/') || pattern.Contains('{', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The dashboard's path must start with '/', not end with one and hold no parameters (such as \"/radiant\"); got \"{pattern}\".", nameof(pattern));
        }

        var options = new RadiantDashboardOptions();
        configure?.Invoke(options);
        if (options.ApiPrefix.Length > 0 && (!options.ApiPrefix.StartsWith('/') || options.ApiPrefix.EndsWith('/')))
        {
            throw new ArgumentException($"RadiantDashboardOptions.ApiPrefix must be empty or start with '/' and not end with one (such as \"/v1\"); got \"{options.ApiPrefix}\".", nameof(configure));
        }

        if (endpoints.ServiceProvider.GetService<CallerResolver>() is null)
        {
            throw new InvalidOperationException(
                "The dashboard calls Radiant's HTTP API: call services.AddRadiant().UsePostgres(...).AddHttpApi() and app.MapRadiant() before app.MapRadiantDashboard().");
        }

        var registered = endpoints.ServiceProvider.GetRequiredService<IServiceProviderIsService>();
        var pages = DashboardPage.All.Where(p => registered.IsService(p.Feature)).ToArray();
        if (pages.Length == 0)
        {
            throw new InvalidOperationException("The dashboard has no page to show: enable a feature first (AddChat(), AddPricing(), AddAnalytics()...).");
        }

        var shell = new DashboardShell(pages, pattern, options);
        var home = pages.FirstOrDefault(p => !p.Admin) ?? pages[0];
        var group = endpoints.MapGroup(pattern).RequireAuthorization().ExcludeFromDescription();
        group.MapGet("/", (HttpContext http) => TypedResults.Redirect(shell.PathOf(http, home)));
        group.MapGet("/assets/{**path}", (string path, HttpContext http) => DashboardAssets.Instance.Serve(path, http));
        foreach (var page in pages)
        {
            var route = group.MapGet("/" + page.Path, (Delegate)((HttpContext http) => shell.RenderAsync(page, http)));
            if (page.Admin)
            {
                route.RequireAuthorization(RadiantHttpOptions.AdminPolicy);
            }
        }

        return group;
    }
}
