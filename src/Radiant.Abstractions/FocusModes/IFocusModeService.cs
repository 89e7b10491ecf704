using Radiant.Tenancy;

namespace Radiant.FocusModes;

/// <summary>
/// Focus modes of a tenant: the built-in system modes plus the tenant's own. Every user of the tenant sees the active
/// ones; creating, changing and deactivating a mode, and seeing inactive ones, is for tenant admins
/// (<see cref="Errors.RadiantForbiddenException"/> for anyone else).
/// </summary>
public interface IFocusModeService
{
    /// <summary>
    /// Lists the modes the caller's tenant sees, system modes first, then by name. Inactive modes
    /// are included only when <paramref name="includeInactive"/> is true, which only tenant admins may ask for.
    /// </summary>
    Task<IReadOnlyList<FocusMode>> ListAsync(RadiantCaller caller, bool includeInactive = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns a system mode or one of the tenant's modes (an inactive one to tenant admins only); throws
    /// <see cref="Errors.RadiantNotFoundException"/> otherwise.
    /// </summary>
    Task<FocusMode> GetAsync(RadiantCaller caller, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Finds an active mode the caller's tenant sees by its machine name, or returns null.</summary>
    Task<FocusMode?> FindByNameAsync(RadiantCaller caller, string name, CancellationToken cancellationToken = default);

    /// <summary>Creates a tenant mode (tenant admins). A duplicate name raises <see cref="Errors.RadiantConflictException"/>.</summary>
    Task<FocusMode> CreateAsync(RadiantCaller caller, FocusModeCreate input, CancellationToken cancellationToken = default);

    /// <summary>Partially updates a tenant mode (tenant admins). System modes raise <see cref="Errors.RadiantForbiddenException"/>.</summary>
    Task<FocusMode> UpdateAsync(RadiantCaller caller, Guid id, FocusModeUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Deactivates a tenant mode (tenant admins; kept for history, hidden from users). Idempotent.</summary>
    Task<FocusMode> DeactivateAsync(RadiantCaller caller, Guid id, CancellationToken cancellationToken = default);
}
