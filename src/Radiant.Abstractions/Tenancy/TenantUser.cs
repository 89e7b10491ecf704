namespace Radiant.Tenancy;

/// <summary>
/// The caller of a user-level operation: a user inside a tenant. Every service call names it explicitly, so the
/// same services serve HTTP requests and background workers alike.
/// </summary>
/// <param name="TenantId">The tenant the user belongs to.</param>
/// <param name="UserId">The user.</param>
public readonly record struct TenantUser(Guid TenantId, Guid UserId)
{
    /// <inheritdoc />
    public override string ToString() => $"{TenantId}/{UserId}";
}
