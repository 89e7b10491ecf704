using Radiant.Tenancy;

namespace Radiant.ModelSelection;

/// <summary>
/// A tenant's configuration of the seven <see cref="DomainMode"/>s. Every user of the tenant may read it (the chat
/// pipeline reads it for each message); only the tenant's admins may change it
/// (<see cref="Errors.RadiantForbiddenException"/> for other callers). Nothing is cached: a change applies to the next
/// message.
/// </summary>
public interface IDomainModeService
{
    /// <summary>All seven modes of the caller's tenant, in <see cref="DomainMode"/> order; a mode never changed has its defaults.</summary>
    Task<IReadOnlyList<DomainModeConfig>> ListAsync(RadiantCaller caller, CancellationToken cancellationToken = default);

    /// <summary>
    /// Partially updates the modes named in the update, in one transaction, and returns all seven. A default model must
    /// be <see cref="DomainModeConfig.Auto"/> or a registry model enabled for the tenant; an unknown or disabled one is a
    /// <see cref="Errors.RadiantValidationException"/> naming the field (<c>modes.code.defaultModel</c>), and nothing
    /// changes. A default model left as it was is not checked again, so a configuration read and sent back unchanged
    /// is accepted even if an admin disabled its model since.
    /// </summary>
    Task<IReadOnlyList<DomainModeConfig>> UpdateAsync(RadiantCaller caller, DomainModesUpdate update, CancellationToken cancellationToken = default);
}
