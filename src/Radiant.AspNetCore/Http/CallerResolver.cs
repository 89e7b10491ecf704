using System.Security.Claims;
using Microsoft.Extensions.Options;
using Radiant.AspNetCore.Hosting;
using Radiant.Tenancy;

namespace Radiant.AspNetCore.Http;

/// <summary>
/// Turns the authenticated principal into a <see cref="RadiantCaller"/> and provisions the tenant and user just in time,
/// learning the user's status in the same round trip. The directory remembers what it provisioned, so steady-state
/// requests cost no extra query.
/// </summary>
internal sealed class CallerResolver(IOptions<RadiantHttpOptions> options, ITenantDirectory directory)
{
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
            principal.FindFirst(settings.TenantNameClaimType)?.Value,
            Tier(principal.FindFirst(settings.SubscriptionTierClaimType)?.Value));
        problem = string.Empty;
        return true;
    }

    /// <summary>Provisions the caller and returns their status.</summary>
    public Task<UserStatus> ProvisionAsync(UserProfile profile, CancellationToken cancellationToken) =>
        directory.EnsureUserAsync(profile, cancellationToken);

    /// <summary>The tier a claim names (free, pro, team, enterprise; any case); anything else is no tier (the stored one stays).</summary>
    private static SubscriptionTier? Tier(string? claim) => claim?.Trim().ToLowerInvariant() switch
    {
        "free" => SubscriptionTier.Free,
        "pro" => SubscriptionTier.Pro,
        "team" => SubscriptionTier.Team,
        "enterprise" => SubscriptionTier.Enterprise,
        _ => null,
    };
}
