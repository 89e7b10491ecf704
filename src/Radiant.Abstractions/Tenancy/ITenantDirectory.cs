namespace Radiant.Tenancy;

/// <summary>
/// Radiant's own minimal record of tenants and users. Hosts own identity; Radiant provisions a tenant and user
/// just in time from the authenticated principal so that its tables can reference them.
/// </summary>
public interface ITenantDirectory
{
    /// <summary>
    /// Creates the tenant and user when missing, refreshes the user's email, display name and tier when they changed,
    /// and returns the user's <see cref="UserStatus"/> (a suspended user's requests must be refused). Safe to call
    /// concurrently for the same user. An implementation may remember what it provisioned, so that steady-state calls
    /// cost no query, as long as a status change reaches it (the PostgreSQL directory is told through a notification).
    /// </summary>
    Task<UserStatus> EnsureUserAsync(UserProfile profile, CancellationToken cancellationToken = default);

    /// <summary>Returns the user's stored profile, or null when the user is unknown in that tenant.</summary>
    Task<UserProfile?> FindUserAsync(RadiantCaller user, CancellationToken cancellationToken = default);
}

/// <summary>A user as Radiant stores it.</summary>
/// <param name="User">Tenant and user ids (whether the user is a tenant admin is not stored).</param>
/// <param name="Email">The user's email, if the identity provider gives one.</param>
/// <param name="DisplayName">The user's display name, if given.</param>
/// <param name="TenantName">The tenant's display name, used only when the tenant is first created.</param>
/// <param name="Tier">The user's subscription tier, if the identity provider gives one (null keeps the stored tier).</param>
public sealed record UserProfile(RadiantCaller User, string? Email = null, string? DisplayName = null, string? TenantName = null, SubscriptionTier? Tier = null);
