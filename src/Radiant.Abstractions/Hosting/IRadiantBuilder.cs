using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Radiant.Hosting;

/// <summary>
/// Composes Radiant in a host: a storage provider (for example <c>UsePostgres</c>), the features the host wants
/// (<c>AddPersonas</c>, <c>AddScheduler</c>, ...) and optionally the HTTP endpoints. Every call is idempotent and the
/// order does not matter: each feature registers exactly its own services, workers and endpoints.
/// </summary>
public interface IRadiantBuilder
{
    /// <summary>The service collection Radiant registers into.</summary>
    IServiceCollection Services { get; }

    /// <summary>
    /// The configuration section Radiant binds its options from (the one given to <c>AddRadiant</c>, for example
    /// <c>Configuration.GetSection("Radiant")</c>), or null. Code passed to a registration method runs after binding.
    /// </summary>
    IConfiguration? Configuration { get; }
}
