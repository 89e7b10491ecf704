using Radiant.Common;
using Radiant.Tenancy;

namespace Radiant.Personas;

/// <summary>
/// Users' custom personas. A user sees their own personas and the public ones of their tenant; only the owner may
/// change or delete a persona. Ids of other tenants are reported as not found.
/// </summary>
public interface IPersonaService
{
    /// <summary>Creates a persona owned by <paramref name="caller"/>.</summary>
    Task<Persona> CreateAsync(RadiantCaller caller, PersonaCreate input, CancellationToken cancellationToken = default);

    /// <summary>Returns a persona the caller can see; throws <see cref="Errors.RadiantNotFoundException"/> otherwise.</summary>
    Task<Persona> GetAsync(RadiantCaller caller, Guid personaId, CancellationToken cancellationToken = default);

    /// <summary>Lists the caller's personas and the tenant's public ones, most used first.</summary>
    Task<Page<Persona>> ListAsync(RadiantCaller caller, PageRequest? page = null, CancellationToken cancellationToken = default);

    /// <summary>Partially updates a persona the caller owns (<see cref="Errors.RadiantForbiddenException"/> for a public persona of someone else).</summary>
    Task<Persona> UpdateAsync(RadiantCaller caller, Guid personaId, PersonaUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Deletes a persona the caller owns, with its usage log.</summary>
    Task DeleteAsync(RadiantCaller caller, Guid personaId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records one use of a persona the caller can see: a usage-log row and the usage-count increment commit
    /// together, and concurrent calls never lose an increment.
    /// </summary>
    Task<PersonaUsageLogged> LogUsageAsync(RadiantCaller caller, Guid personaId, PersonaUsage usage, CancellationToken cancellationToken = default);

    /// <summary>
    /// Builds the system prompt of a persona (see <see cref="PersonaPromptBuilder"/>), adding the focus mode named
    /// <paramref name="focusMode"/> when given (an unknown or inactive mode is a validation error).
    /// </summary>
    Task<string> BuildPromptAsync(RadiantCaller caller, Guid personaId, string? focusMode = null, CancellationToken cancellationToken = default);
}
