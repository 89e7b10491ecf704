using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Http;

/// <summary>
/// A real ASP.NET Core host (in-memory server) composed like a customer's: Radiant's packages, a database of its
/// own, and an authentication scheme that reads the caller from request headers.
/// </summary>
public sealed class RadiantApi(PostgresServer server) : IAsyncLifetime
{
    private WebApplication? _app;

    public IServiceProvider Services => _app!.Services;

    /// <summary>The database's connection string (the owner's: row-level security does not apply to it).</summary>
    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var connectionString = ConnectionString = await server.CreateDatabaseAsync("http", TestContext.Current.CancellationToken);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(HeaderAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
        builder.Services.AddRadiant().UseTestPostgres(connectionString).AddFocusModes().AddPersonas().AddPricing().AddTeams().AddScheduler().AddModelSelection().AddChat().AddAnalytics().AddThinkTankUsers().AddHttpApi();
        builder.Services.AddOpenApi();

        _app = builder.Build();
        _app.UseStatusCodePages();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapRadiant();
        _app.MapHealthChecks("/health");
        _app.MapOpenApi();
        await _app.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => _app!.GetTestClient();

    /// <summary>A client authenticated as a user (a new one in a new tenant unless given).</summary>
    public HttpClient As(Caller caller)
    {
        var client = _app!.GetTestClient();
        client.DefaultRequestHeaders.Add(HeaderAuthentication.TenantHeader, caller.TenantId.ToString());
        client.DefaultRequestHeaders.Add(HeaderAuthentication.UserHeader, caller.UserId.ToString());
        if (caller.IsAdmin)
        {
            client.DefaultRequestHeaders.Add(HeaderAuthentication.RoleHeader, "admin");
        }

        return client;
    }

    public static Caller NewUser(Guid? tenantId = null) => new(tenantId ?? Guid.NewGuid(), Guid.NewGuid(), IsAdmin: false);

    public static Caller NewAdmin(Guid? tenantId = null) => new(tenantId ?? Guid.NewGuid(), Guid.NewGuid(), IsAdmin: true);

    public sealed record Caller(Guid TenantId, Guid UserId, bool IsAdmin);

    /// <summary>Test-only scheme: the caller is whoever the headers say (the fault tests host it on Kestrel too).</summary>
    internal sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "TestHeaders";
        public const string TenantHeader = "X-Test-Tenant";
        public const string UserHeader = "X-Test-User";
        public const string RoleHeader = "X-Test-Role";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(UserHeader, out var user))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var claims = new List<Claim> { new("sub", user.ToString()), new("email", $"{user}@example.test"), new("name", "Test") };
            if (Request.Headers.TryGetValue(TenantHeader, out var tenant))
            {
                claims.Add(new Claim("tenant_id", tenant.ToString()));
            }

            if (Request.Headers.TryGetValue(RoleHeader, out var role))
            {
                claims.Add(new Claim(ClaimTypes.Role, role.ToString()));
            }

            return Task.FromResult(AuthenticateResult.Success(
                new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
        }
    }
}
