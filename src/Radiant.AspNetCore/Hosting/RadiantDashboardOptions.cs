namespace Radiant.AspNetCore.Hosting;

/// <summary>Options of <c>app.MapRadiantDashboard(...)</c>.</summary>
public sealed class RadiantDashboardOptions
{
    /// <summary>Name shown in the dashboard's header and page titles. Default <c>Radiant</c>.</summary>
    public string Title { get; set; } = "Radiant";

    /// <summary>
    /// Where the host mapped <c>app.MapRadiant()</c>, relative to the request's path base: empty (the default) when
    /// it is mapped at the root, <c>/v1</c> when the host wrote <c>app.MapGroup("/v1").MapRadiant()</c>. The pages
    /// call the API at <c>{PathBase}{ApiPrefix}/api/...</c>, so they keep working behind <c>UsePathBase</c> or a
    /// reverse proxy that sets the path base (<c>X-Forwarded-Prefix</c> with <c>UseForwardedHeaders</c>).
    /// </summary>
    public string ApiPrefix { get; set; } = "";
}
