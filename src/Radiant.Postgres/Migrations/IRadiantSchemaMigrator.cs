namespace Radiant.Postgres.Migrations;

/// <summary>
/// Applies Radiant's embedded, versioned migrations. Runs at start-up unless
/// <see cref="Hosting.RadiantPostgresOptions.MigrateOnStartup"/> is false, in which case a deployment step calls it.
/// </summary>
public interface IRadiantSchemaMigrator
{
    /// <summary>
    /// Applies pending migrations under a database advisory lock (several instances starting together migrate
    /// once), each in its own transaction. Throws <see cref="RadiantMigrationException"/> when an applied
    /// migration's checksum differs from the embedded one or the database is newer than this library.
    /// </summary>
    /// <returns>The versions applied by this call (empty when the schema was already current).</returns>
    Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The database schema and this library's migrations disagree; nothing was applied. Raised by Radiant only: hosts
/// catch it, they do not create it.
/// </summary>
public sealed class RadiantMigrationException : Errors.RadiantException
{
    internal RadiantMigrationException(string message)
        : base(message)
    {
    }
}
