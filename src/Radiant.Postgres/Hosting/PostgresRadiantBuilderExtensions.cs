using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.FocusModes;
using Radiant.Hosting;
using Radiant.Personas;
using Radiant.Postgres.FocusModes;
using Radiant.Postgres.Health;
using Radiant.Postgres.Migrations;
using Radiant.Postgres.Personas;
using Radiant.Postgres.Pricing;
using Radiant.Postgres.Registry;
using Radiant.Postgres.Scheduling;
using Radiant.Postgres.Teams;
using Radiant.Scheduling;
using Radiant.Teams;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.Hosting;

/// <summary>Plugs the PostgreSQL provider into <see cref="IRadiantBuilder"/>.</summary>
public static class PostgresRadiantBuilderExtensions
{
    /// <summary>Name of the health check registered by the provider.</summary>
    public const string HealthCheckName = "radiant-postgres";

    /// <summary>Uses PostgreSQL through a connection string, with optional further settings.</summary>
    public static IRadiantBuilder UsePostgres(this IRadiantBuilder builder, string connectionString, Action<RadiantPostgresOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgres(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
    }

    /// <summary>
    /// Uses PostgreSQL through a data source the host owns (for example one registered with
    /// <c>AddNpgsqlDataSource</c>). Radiant does not dispose it.
    /// </summary>
    public static IRadiantBuilder UsePostgres(this IRadiantBuilder builder, NpgsqlDataSource dataSource, Action<RadiantPostgresOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        builder.Services.TryAddSingleton(new ExternalDataSource(dataSource));
        return builder.UsePostgres(options => configure?.Invoke(options));
    }

    /// <summary>Uses PostgreSQL configured entirely through <paramref name="configure"/> (or bound configuration).</summary>
    public static IRadiantBuilder UsePostgres(this IRadiantBuilder builder, Action<RadiantPostgresOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptionsWithValidateOnStart<RadiantPostgresOptions>().Configure(configure);

        if (services.Any(d => d.ServiceType == typeof(RadiantProviderMarker)))
        {
            // Already registered: the configure callback above still applies, nothing is registered twice.
            return builder;
        }

        services.AddSingleton(new RadiantProviderMarker("postgres"));
        services.AddSingleton<IValidateOptions<RadiantPostgresOptions>>(sp =>
            new RadiantPostgresOptionsValidator(new DataSourceOrigin(sp.GetService<ExternalDataSource>() is not null)));
        services.TryAddSingleton(sp => new RadiantDataSources(
            sp.GetRequiredService<IOptions<RadiantPostgresOptions>>(), sp.GetService<ExternalDataSource>()));
        services.TryAddSingleton<RadiantDb>();
        services.TryAddSingleton<IRadiantSchemaMigrator, SchemaMigrator>();
        services.TryAddSingleton<SchemaVersionCheck>();
        services.TryAddSingleton<RowLevelSecurityGuard>();
        services.TryAddSingleton<ITenantDirectory, PostgresTenantDirectory>();
        services.TryAddSingleton<IFocusModeService, PostgresFocusModeService>();
        services.TryAddSingleton<IPersonaService, PostgresPersonaService>();
        services.TryAddSingleton<PricingSql>();
        services.TryAddSingleton<IPriceChangeNotifier, LoggingPriceChangeNotifier>();
        services.TryAddSingleton<IModelRegistry, PostgresModelRegistry>();
        services.TryAddSingleton<IPricingAdminService, PostgresPricingAdminService>();
        services.TryAddSingleton<PricingSnapshotLoader>();
        services.TryAddSingleton<PostgresPricingEngine>();
        services.TryAddSingleton<IPricingEngine>(sp => sp.GetRequiredService<PostgresPricingEngine>());
        services.TryAddSingleton<ITeamUsageNotifier, LoggingTeamUsageNotifier>();
        services.TryAddSingleton<ITeamService, PostgresTeamService>();
        services.TryAddSingleton<IScheduleService, PostgresScheduleService>();
        services.TryAddSingleton<SchedulerStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RadiantStartup>());
        // After RadiantStartup, so the engine loads a migrated, synced schema. It does nothing unless AddPricing() ran.
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PostgresPricingEngine>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TeamPeriodWorker>());
        services.AddHealthChecks().AddCheck<RadiantPostgresHealthCheck>(HealthCheckName, tags: ["radiant", "db"]);
        return builder;
    }
}
