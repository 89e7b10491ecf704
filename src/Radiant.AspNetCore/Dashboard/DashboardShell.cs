using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Radiant.AspNetCore.Hosting;

namespace Radiant.AspNetCore.Dashboard;

/// <summary>
/// The HTML every page starts from: head, navigation (admin items only for admins) and an empty <c>main</c> that the
/// page's script fills. Rendered on the server per request so that links and the API address follow the request's
/// path base (a host behind a reverse proxy), and so a plain user is never sent the admin navigation.
/// </summary>
internal sealed class DashboardShell(IReadOnlyList<DashboardPage> pages, string pattern, RadiantDashboardOptions options)
{
    /// <summary>
    /// Scripts and styles only from the dashboard itself, calls only to this origin, never framed: the pages show
    /// tenant data, so nothing injected into them may run or leave.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public string PathOf(HttpContext http, DashboardPage page) => $"{http.Request.PathBase}{pattern}/{page.Path}";

    public async Task<IResult> RenderAsync(DashboardPage page, HttpContext http)
    {
        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        var isAdmin = (await authorization.AuthorizeAsync(http.User, RadiantHttpOptions.AdminPolicy)).Succeeded;
        var claims = http.RequestServices.GetRequiredService<IOptions<RadiantHttpOptions>>().Value;
        var user = http.User.FindFirst(claims.NameClaimType)?.Value ?? http.User.FindFirst(claims.EmailClaimType)?.Value ?? http.User.Identity?.Name ?? "";

        var e = HtmlEncoder.Default;
        var title = e.Encode(options.Title);
        var html = new StringBuilder(4096);
        html.Append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(e.Encode(page.Title)).Append(" · ").Append(title).Append("</title>\n")
            .Append("<base href=\"").Append(e.Encode($"{http.Request.PathBase}{pattern}/")).Append("\">\n")
            .Append("<link rel=\"icon\" href=\"assets/favicon.svg\" type=\"image/svg+xml\">\n")
            .Append("<link rel=\"stylesheet\" href=\"assets/dashboard.css\">\n");
        if (page.Charts)
        {
            html.Append("<script src=\"assets/vendor/chart.umd.min.js\" defer></script>\n");
        }

        html.Append("<script type=\"module\" src=\"assets/app.js\"></script>\n</head>\n")
            .Append("<body data-api=\"").Append(e.Encode($"{http.Request.PathBase}{options.ApiPrefix}"))
            .Append("\" data-module=\"").Append(e.Encode(page.Module))
            .Append("\" data-admin=\"").Append(isAdmin ? "true" : "false")
            .Append("\" data-user=\"").Append(e.Encode(user)).Append("\">\n")
            .Append("<a class=\"skip-link\" href=\"").Append(e.Encode(page.Path)).Append("#main\">Skip to content</a>\n")
            .Append("<header class=\"topbar\"><a class=\"brand\" href=\"").Append(e.Encode(pages[0].Path)).Append("\">").Append(title)
            .Append("</a><span class=\"whoami\">").Append(e.Encode(user)).Append(isAdmin ? " · admin" : "").Append("</span></header>\n")
            .Append("<div class=\"layout\">\n<nav class=\"sidebar\" aria-label=\"Dashboard\">\n");
        AppendSection(html, "Think Tank", pages.Where(p => !p.Admin), page);
        if (isAdmin)
        {
            AppendSection(html, "Admin", pages.Where(p => p.Admin), page);
        }

        html.Append("</nav>\n<main id=\"main\" tabindex=\"-1\">\n<h1>").Append(e.Encode(page.Title)).Append("</h1>\n")
            .Append("<div id=\"page\"><p role=\"status\">Loading…</p></div>\n")
            .Append("<noscript><p>The dashboard needs JavaScript.</p></noscript>\n</main>\n</div>\n</body>\n</html>\n");

        var headers = http.Response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static void AppendSection(StringBuilder html, string heading, IEnumerable<DashboardPage> section, DashboardPage current)
    {
        var id = "nav-" + heading.Replace(' ', '-').ToLowerInvariant();
        html.Append("<h2 id=\"").Append(id).Append("\">").Append(heading).Append("</h2>\n<ul aria-labelledby=\"").Append(id).Append("\">\n");
        foreach (var page in section)
        {
            html.Append("<li><a href=\"").Append(HtmlEncoder.Default.Encode(page.Path)).Append('"')
                .Append(page == current ? " aria-current=\"page\"" : "").Append('>')
                .Append(HtmlEncoder.Default.Encode(page.Title)).Append("</a></li>\n");
        }

        html.Append("</ul>\n");
    }
}
