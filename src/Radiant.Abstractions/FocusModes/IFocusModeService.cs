namespace Radiant.FocusModes;

/// <summary>
/// Focus modes of a tenant: the built-in system modes plus the tenant's own. Mutations are tenant-admin
/// operations; the caller (for example the HTTP layer's admin policy) decides who may call them.
/// </summary>
public interface IFocusModeService
{
    /// <summary>
    /// Lists the modes the tenant sees, system modes first, then by name (the seed's order). Inactive modes are
    /// included only when <paramref name="includeInactive"/> is true.
    /// </summary>
    Task<IReadOnlyList<FocusMode>> ListAsync(Guid tenantId, bool includeInactive = false, CancellationToken cancellationToken = default);

    /// <summary>Returns a system mode or one of the tenant's modes; throws <see cref="Errors.RadiantNotFoundException"/> otherwise.</summary>
    Task<FocusMode> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Finds an active mode the tenant sees by its machine name, or returns null.</summary>
    Task<FocusMode?> FindByNameAsync(Guid tenantId, string name, CancellationToken cancellationToken = default);

    /// <summary>Creates a tenant mode. A duplicate name raises <see cref="Errors.RadiantConflictException"/>.</summary>
    Task<FocusMode> CreateAsync(Guid tenantId, FocusModeCreate input, CancellationToken cancellationToken = default);

    /// <summary>Partially updates a tenant mode. System modes raise <see cref="Errors.RadiantForbiddenException"/>.</summary>
    Task<FocusMode> UpdateAsync(Guid tenantId, Guid id, FocusModeUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Deactivates a tenant mode (kept for history, hidden from users). Idempotent.</summary>
    Task<FocusMode> DeactivateAsync(Guid tenantId, Guid id, CancellationToken cancellationToken = default);
}
