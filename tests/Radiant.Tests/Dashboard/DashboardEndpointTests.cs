using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Radiant.Tests.Http;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// How <c>MapRadiantDashboard</c> serves, through the real ASP.NET Core pipeline of a host composed like a customer's:
/// behind a path base and a reverse proxy, with only some features enabled, with the host's authentication.
/// </summary>
public sealed class DashboardEndpointTests(PostgresServer server) : IAsyncLifetime
{
    private WebApplication? _app;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("dashboard_http", Ct);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(RadiantApi.HeaderAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, RadiantApi.HeaderAuthentication>(RadiantApi.HeaderAuthentication.SchemeName, null);
        // Personas and pricing only: the dashboard shows the pages of the features the host enabled.
        builder.Services.AddRadiant().UseTestPostgres(connectionString).AddPersonas().AddPricing().AddHttpApi();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedPrefix;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
        });

        _app = builder.Build();
        _app.UseForwardedHeaders();
        _app.UsePathBase("/tools");
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapGroup("/v1").MapRadiant();
        _app.MapRadiantDashboard("/radiant", o => o.ApiPrefix = "/v1");
        await _app.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private HttpClient Client(bool admin = false)
    {
        var client = _app!.GetTestClient();
        client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.TenantHeader, Guid.NewGuid().ToString());
        client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.UserHeader, Guid.NewGuid().ToString());
        if (admin)
        {
            client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.RoleHeader, "admin");
        }

        return client;
    }

    [Fact]
    public async Task Behind_a_path_base_the_page_links_its_assets_and_the_api_under_it()
    {
        var response = await Client().GetAsync("/tools/radiant/personas", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<base href=\"/tools/radiant/\">", html, StringComparison.Ordinal);
        Assert.Contains("data-api=\"/tools/v1\"", html, StringComparison.Ordinal);
        var script = await Client().GetAsync("/tools/radiant/assets/app.js", Ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        // The API the page calls is where data-api says.
        Assert.Equal(HttpStatusCode.OK, (await Client().GetAsync("/tools/v1/api/personas", Ct)).StatusCode);
    }

    [Fact]
    public async Task Behind_a_reverse_proxy_the_forwarded_prefix_becomes_the_base()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/tools/radiant/personas");
        request.Headers.Add("X-Forwarded-Prefix", "/proxy");

        var html = await (await Client().SendAsync(request, Ct)).Content.ReadAsStringAsync(Ct);

        Assert.Contains("<base href=\"/proxy/tools/radiant/\">", html, StringComparison.Ordinal);
        Assert.Contains("data-api=\"/proxy/tools/v1\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_pages_of_enabled_features_are_mapped_and_the_root_opens_the_first()
    {
        var client = Client(admin: true);
        var personas = await (await client.GetAsync("/tools/radiant/personas", Ct)).Content.ReadAsStringAsync(Ct);

        Assert.Contains("href=\"admin/pricing\"", personas, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"chat\"", personas, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"admin/analytics\"", personas, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/tools/radiant/chat", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/tools/radiant/admin/pricing", Ct)).StatusCode);

        var root = await client.GetAsync("/tools/radiant", Ct);
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/tools/radiant/personas", root.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Admin_pages_are_refused_to_plain_users_and_their_navigation_is_not_sent()
    {
        var client = Client();

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/tools/radiant/admin/pricing", Ct)).StatusCode);
        var html = await (await client.GetAsync("/tools/radiant/personas", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("admin/", html, StringComparison.Ordinal);
        Assert.Contains("data-admin=\"false\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_callers_get_the_hosts_challenge_for_pages_and_assets()
    {
        var anonymous = _app!.GetTestClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/tools/radiant/personas", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/tools/radiant/assets/lib.js", Ct)).StatusCode);
    }

    [Fact]
    public async Task Pages_are_not_cached_and_carry_a_policy_that_allows_only_the_dashboards_own_scripts()
    {
        var response = await Client().GetAsync("/tools/radiant/personas", Ct);

        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Assets_are_revalidated_by_etag_and_sent_gzipped_to_clients_that_accept_it()
    {
        var client = Client();
        var plain = await client.GetAsync("/tools/radiant/assets/vendor/chart.umd.min.js", Ct);
        var bytes = await plain.Content.ReadAsByteArrayAsync(Ct);
        var etag = plain.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Equal("no-cache", plain.Headers.CacheControl?.ToString());

        using var again = new HttpRequestMessage(HttpMethod.Get, "/tools/radiant/assets/vendor/chart.umd.min.js");
        again.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again, Ct)).StatusCode);

        using var gzipped = new HttpRequestMessage(HttpMethod.Get, "/tools/radiant/assets/vendor/chart.umd.min.js");
        gzipped.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        var compressed = await client.SendAsync(gzipped, Ct);
        Assert.Equal("gzip", Assert.Single(compressed.Content.Headers.ContentEncoding));
        var body = await compressed.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(body.Length < bytes.Length / 2, $"{body.Length} of {bytes.Length} bytes");
        await using var unzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        await unzip.CopyToAsync(output, Ct);
        Assert.Equal(bytes, output.ToArray());

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/tools/radiant/assets/missing.js", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("radiant")]
    [InlineData("/radiant/")]
    [InlineData("/")]
    [InlineData("/{tenant}")]
    public void A_malformed_dashboard_path_is_refused_at_start_up(string pattern)
    {
        var error = Assert.Throws<ArgumentException>(() => _app!.MapRadiantDashboard(pattern));

        Assert.Contains("\"/radiant\"", error.Message, StringComparison.Ordinal);
    }
}
