namespace Radiant.Tenancy;

/// <summary>
/// Who calls a Radiant service: a user inside a tenant, and whether that user administers the tenant. Every service
/// takes it and applies its rules to it (what the caller may see and change), so HTTP requests, background workers
/// and tests get the same answers. The HTTP layer builds it from the authenticated principal; a host calling services
/// directly builds it from its own identity.
/// </summary>
/// <param name="TenantId">The tenant the user belongs to.</param>
/// <param name="UserId">The user.</param>
/// <param name="IsTenantAdmin">True when the user administers the tenant: admin operations (pricing, the model
/// registry, tenant focus modes, period resets) are refused to everyone else, and admins see every schedule of the
/// tenant.</param>
public readonly record struct RadiantCaller(Guid TenantId, Guid UserId, bool IsTenantAdmin = false)
{
    /// <summary>A user who does not administer the tenant.</summary>
    public static RadiantCaller ForUser(Guid tenantId, Guid userId) => new(tenantId, userId);

    /// <summary>A user who administers the tenant.</summary>
    public static RadiantCaller ForTenantAdmin(Guid tenantId, Guid userId) => new(tenantId, userId, IsTenantAdmin: true);

    /// <summary>The same user, as a tenant admin.</summary>
    public RadiantCaller AsTenantAdmin() => this with { IsTenantAdmin = true };

    /// <inheritdoc />
    public override string ToString() => IsTenantAdmin ? $"{TenantId}/{UserId} (tenant admin)" : $"{TenantId}/{UserId}";
}
