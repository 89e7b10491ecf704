using Microsoft.Extensions.DependencyInjection;

namespace Radiant.Hosting;

/// <summary>
/// Composes Radiant in a host: a storage provider (for example <c>UsePostgres</c>), the features the host wants
/// (<c>AddPersonas</c>, <c>AddFocusModes</c>, ...) and optionally the HTTP endpoints. Every call is idempotent.
/// </summary>
public interface IRadiantBuilder
{
    /// <summary>The service collection Radiant registers into.</summary>
    IServiceCollection Services { get; }
}
