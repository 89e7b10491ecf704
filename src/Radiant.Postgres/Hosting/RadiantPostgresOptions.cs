using System.ComponentModel.DataAnnotations;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// Settings of the PostgreSQL provider. Bound from the <c>Postgres</c> sub-section of the configuration given to
/// <c>AddRadiant</c> (for example <c>Radiant:Postgres:Schema</c>), then from the code passed to <c>UsePostgres</c>.
/// </summary>
public sealed class RadiantPostgresOptions
{
    /// <summary>The configuration sub-section these options bind from.</summary>
    public const string SectionName = "Postgres";

    /// <summary>
    /// Connection string used by the services; Radiant builds its own data source from it, with the host's
    /// <c>ILoggerFactory</c>. Leave it empty to use an <c>NpgsqlDataSource</c> registered in the container (see
    /// <see cref="DataSourceKey"/>), or pass a data source to <c>UsePostgres</c>. In production the login is a member
    /// of <see cref="ApplicationRole"/> and nothing more powerful: SQL injected into a request could switch to any role
    /// the login may become (<c>RESET ROLE</c>), so start-up refuses a superuser or owner login unless
    /// <see cref="AllowPrivilegedLogin"/> is set.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Service key of the <c>NpgsqlDataSource</c> to take from the container when no <see cref="ConnectionString"/> is
    /// set (for example the key given to <c>AddNpgsqlDataSource(..., serviceKey: "radiant")</c>); null takes the
    /// unkeyed one.
    /// </summary>
    public string? DataSourceKey { get; set; }

    /// <summary>
    /// Connection string of the login that owns the schema: it applies migrations and syncs the global model
    /// catalogue, which the services' role may only read. Defaults to the services' data source.
    /// </summary>
    public string? MigrationConnectionString { get; set; }

    /// <summary>Schema holding Radiant's tables: 1 to 63 lowercase letters, digits and '_', not starting with a digit. Default <c>radiant</c>.</summary>
    [Required(ErrorMessage = "RadiantPostgresOptions.Schema is required.")]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "RadiantPostgresOptions.Schema must be 1 to 63 lowercase letters, digits and '_', not starting with a digit.")]
    public string Schema { get; set; } = "radiant";

    /// <summary>
    /// The role that holds the services' privileges (DML on tenant tables, read on catalogues). It must not be a
    /// superuser, own the tables, or have BYPASSRLS, so that row-level security always applies. Migrations create
    /// it as a NOLOGIN role when missing and grant it its privileges. Same rules as <see cref="Schema"/>. Default
    /// <c>radiant_app</c>.
    /// </summary>
    [Required(ErrorMessage = "RadiantPostgresOptions.ApplicationRole is required.")]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "RadiantPostgresOptions.ApplicationRole must be 1 to 63 lowercase letters, digits and '_', not starting with a digit.")]
    public string ApplicationRole { get; set; } = "radiant_app";

    /// <summary>
    /// Switch every service transaction to <see cref="ApplicationRole"/> with <c>SET LOCAL ROLE</c>. Default true,
    /// which lets a host use one login (even the schema owner) for everything. Set to false when the services'
    /// login is itself a member of the application role that owns nothing.
    /// </summary>
    public bool SwitchToApplicationRole { get; set; } = true;

    /// <summary>
    /// Let the services connect with a login that could leave the application role — a superuser, the schema owner,
    /// or a member of a role with BYPASSRLS or CREATEROLE. Development only (a local database, the sample host):
    /// with such a login, SQL injected into a request could <c>RESET ROLE</c> and read every tenant. Default false:
    /// start-up refuses such a login and says which role makes it privileged.
    /// </summary>
    public bool AllowPrivilegedLogin { get; set; }

    /// <summary>Apply pending migrations when the host starts. Default true; when false call <c>IRadiantSchemaMigrator</c>.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// Refuse to start when service queries would bypass row-level security (superuser, table owner or BYPASSRLS).
    /// Default true. Turning it off is for diagnostics only.
    /// </summary>
    public bool VerifyRowLevelSecurityOnStartup { get; set; } = true;

    /// <summary>
    /// How often the pricing engine reloads even without a change notification (a safety net; changes normally
    /// arrive through LISTEN/NOTIFY within milliseconds). 1 second to 1 hour; default 30 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "RadiantPostgresOptions.PricingRefreshInterval must be between 1 second and 1 hour.")]
    public TimeSpan PricingRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sync the built-in provider and model catalogue at start-up when the registry is enabled. Default true.</summary>
    public bool SyncBuiltInCatalogOnStartup { get; set; } = true;

    /// <summary>
    /// Run, on this instance, the worker that closes ended team periods (usage rolls a period over on the spot
    /// anyway; the worker keeps idle plans' history current). Default true when teams are enabled.
    /// </summary>
    public bool RunTeamPeriodWorker { get; set; } = true;

    /// <summary>
    /// Delay before a notification whose notifier threw is delivered again (price changes to <c>IPriceChangeNotifier</c>,
    /// usage warnings to <c>ITeamUsageNotifier</c>); it doubles per attempt, up to an hour. 10 ms to 1 hour; default 5 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "RadiantPostgresOptions.NotificationRetryDelay must be between 10 ms and 1 hour.")]
    public TimeSpan NotificationRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Deliveries of one notification before it is given up on (kept in the outbox with its last error, and logged as an
    /// error). 1 to 100; default 10.
    /// </summary>
    [Range(1, 100, ErrorMessage = "RadiantPostgresOptions.NotificationMaxAttempts must be between 1 and 100.")]
    public int NotificationMaxAttempts { get; set; } = 10;

    /// <summary>How often the team worker closes ended periods. 1 second to 1 day; default 1 minute.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "RadiantPostgresOptions.TeamPeriodCheckInterval must be between 1 second and 1 day.")]
    public TimeSpan TeamPeriodCheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
