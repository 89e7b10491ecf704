namespace Radiant.Postgres.Hosting;

/// <summary>Settings of the PostgreSQL provider.</summary>
public sealed class RadiantPostgresOptions
{
    /// <summary>
    /// Connection string used by the services. Ignored when a data source is passed to <c>UsePostgres</c>.
    /// The login may be the schema owner (then <see cref="ApplicationRole"/> restricts each transaction) or a
    /// dedicated login that is a member of the application role.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Connection string used to apply migrations (a login that owns, or may create, the schema). Defaults to
    /// <see cref="ConnectionString"/> or the data source's connection.
    /// </summary>
    public string? MigrationConnectionString { get; set; }

    /// <summary>Schema holding Radiant's tables. Lowercase letters, digits and '_'. Default <c>radiant</c>.</summary>
    public string Schema { get; set; } = "radiant";

    /// <summary>
    /// The role that holds the services' privileges (DML on tenant tables, read on catalogues). It must not be a
    /// superuser, own the tables, or have BYPASSRLS, so that row-level security always applies. Migrations create
    /// it as a NOLOGIN role when missing and grant it its privileges. Default <c>radiant_app</c>.
    /// </summary>
    public string ApplicationRole { get; set; } = "radiant_app";

    /// <summary>
    /// Switch every service transaction to <see cref="ApplicationRole"/> with <c>SET LOCAL ROLE</c>. Default true,
    /// which lets a host use one login (even the schema owner) for everything. Set to false when the services'
    /// login is itself a member of the application role that owns nothing.
    /// </summary>
    public bool SwitchToApplicationRole { get; set; } = true;

    /// <summary>Apply pending migrations when the host starts. Default true; when false call <c>IRadiantSchemaMigrator</c>.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// Refuse to start when service queries would bypass row-level security (superuser, table owner or BYPASSRLS).
    /// Default true. Turning it off is for diagnostics only.
    /// </summary>
    public bool VerifyRowLevelSecurityOnStartup { get; set; } = true;

    /// <summary>
    /// How often the pricing engine reloads even without a change notification (a safety net; changes normally
    /// arrive through LISTEN/NOTIFY within milliseconds). Default 30 seconds.
    /// </summary>
    public TimeSpan PricingRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sync the built-in provider and model catalogue at start-up when the registry feature is enabled. Default true.</summary>
    public bool SyncBuiltInCatalogOnStartup { get; set; } = true;

    /// <summary>How often the team worker closes ended periods (usage rolls a period over on the spot anyway). Default 1 minute.</summary>
    public TimeSpan TeamPeriodCheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
