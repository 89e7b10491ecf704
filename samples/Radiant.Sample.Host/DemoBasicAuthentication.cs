using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Radiant.Sample.Host;

/// <summary>
/// HTTP Basic authentication against <see cref="DemoUsers"/>, so the sample can be tried with curl. A real host
/// uses its own scheme (JWT bearer, cookies, ...) and only has to put the tenant and user ids in claims.
/// </summary>
internal sealed class DemoBasicAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DemoBasic";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) ||
            !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return Task.FromResult(AuthenticateResult.Fail("Malformed Basic credentials."));
        }

        var separator = decoded.IndexOf(':', StringComparison.Ordinal);
        var user = separator < 0 ? null : DemoUsers.Find(decoded[..separator], decoded[(separator + 1)..]);
        if (user is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown user or wrong password."));
        }

        List<Claim> claims =
        [
            new("sub", user.UserId.ToString()),
            new("tenant_id", user.TenantId.ToString()),
            new("tenant_name", user.TenantName),
            new("email", user.Email),
            new("name", user.DisplayName),
        ];
        if (user.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, "admin"));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Basic realm=\"radiant-sample\"";
        return base.HandleChallengeAsync(properties);
    }
}
