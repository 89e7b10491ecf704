using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Radiant.AspNetCore.Hosting;
using Radiant.Tenancy;

namespace Radiant.AspNetCore.Http;

/// <summary>
/// Turns the authenticated principal into a <see cref="RadiantCaller"/> and provisions the tenant and user just in time.
/// A profile already provisioned by this process is not written again, so steady-state requests cost no extra query.
/// </summary>
internal sealed class CallerResolver(IOptions<RadiantHttpOptions> options, ITenantDirectory directory)
{
    private const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<UserProfile, bool> _provisioned = new();

    public bool TryRead(ClaimsPrincipal principal, out UserProfile profile, out string problem)
    {
        var settings = options.Value;
        profile = null!;
        var tenantClaim = principal.FindFirst(settings.TenantIdClaimType)?.Value;
        var userClaim = principal.FindFirst(settings.UserIdClaimType)?.Value ?? principal.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (!Guid.TryParse(tenantClaim, out var tenantId) || tenantId == Guid.Empty)
        {
            problem = $"The authenticated principal has no tenant: claim '{settings.TenantIdClaimType}' must hold a GUID.";
            return false;
        }

        if (!Guid.TryParse(userClaim, out var userId) || userId == Guid.Empty)
        {
            problem = $"The authenticated principal has no user id: claim '{settings.UserIdClaimType}' must hold a GUID.";
            return false;
        }

        profile = new UserProfile(
            RadiantCaller.ForUser(tenantId, userId),
            principal.FindFirst(settings.EmailClaimType)?.Value ?? principal.FindFirst(ClaimTypes.Email)?.Value,
            principal.FindFirst(settings.NameClaimType)?.Value ?? principal.FindFirst(ClaimTypes.Name)?.Value,
            principal.FindFirst(settings.TenantNameClaimType)?.Value);
        problem = string.Empty;
        return true;
    }

    public async ValueTask ProvisionAsync(UserProfile profile, CancellationToken cancellationToken)
    {
        if (_provisioned.ContainsKey(profile))
        {
            return;
        }

        await directory.EnsureUserAsync(profile, cancellationToken);
        if (_provisioned.Count >= MaxRemembered)
        {
            _provisioned.Clear();
        }

        _provisioned.TryAdd(profile, true);
    }
}
