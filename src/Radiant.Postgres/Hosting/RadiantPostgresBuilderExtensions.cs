using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Hosting;
using Radiant.Postgres.Health;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Migrations;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the PostgreSQL provider into <see cref="IRadiantBuilder"/>.</summary>
public static class RadiantPostgresBuilderExtensions
{
    /// <summary>Name of the health check registered by the provider.</summary>
    public const string HealthCheckName = "radiant-postgres";

    /// <summary>
    /// Uses PostgreSQL through a connection string: Radiant builds its data source with the host's logger factory and,
    /// when given, <paramref name="configureDataSource"/> (type mappings, a password provider, tracing).
    /// </summary>
    public static IRadiantBuilder UsePostgres(
        this IRadiantBuilder builder,
        string connectionString,
        Action<RadiantPostgresOptions>? configure = null,
        Action<NpgsqlDataSourceBuilder>? configureDataSource = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        if (configureDataSource is not null)
        {
            builder.Services.TryAddSingleton(new DataSourceCallback(configureDataSource));
        }

        return builder.UsePostgres(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
    }

    /// <summary>Uses PostgreSQL through a data source the host owns. Radiant does not dispose it.</summary>
    public static IRadiantBuilder UsePostgres(this IRadiantBuilder builder, NpgsqlDataSource dataSource) =>
        builder.UsePostgres(dataSource, configure: null);

    /// <summary>
    /// Uses PostgreSQL through a data source the host owns, with options set by <paramref name="configure"/>. Radiant
    /// does not dispose the data source.
    /// </summary>
    public static IRadiantBuilder UsePostgres(this IRadiantBuilder builder, NpgsqlDataSource dataSource, Action<RadiantPostgresOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        builder.Services.TryAddSingleton(new ExternalDataSource(dataSource));
        return builder.UsePostgres(configure);
    }

    /// <summary>
    /// Uses PostgreSQL configured from the <c>Postgres</c> configuration sub-section. Without a connection string there,
    /// the <c>NpgsqlDataSource</c> registered in the container is used. Idempotent; options are validated when the host
    /// starts.
    /// </summary>
    public static IRadiantBuilder UsePostgres(this IRadiantBuilder builder) => builder.UsePostgres(configure: null);

    /// <summary>
    /// Uses PostgreSQL configured from the <c>Postgres</c> configuration sub-section and <paramref name="configure"/>.
    /// Without a connection string, the <c>NpgsqlDataSource</c> registered in the container is used
    /// (<see cref="RadiantPostgresOptions.DataSourceKey"/> picks a keyed one). Idempotent; options are validated when
    /// the host starts.
    /// </summary>
    public static IRadiantBuilder UsePostgres(this IRadiantBuilder builder, Action<RadiantPostgresOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<RadiantPostgresOptions>();
        if (!services.Any(d => d.ServiceType == typeof(RadiantDataSources)))
        {
            if (builder.Configuration?.GetSection(RadiantPostgresOptions.SectionName) is { } section)
            {
                options.Bind(section);
            }

            options.ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RadiantPostgresOptions>, RadiantPostgresOptionsValidator>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RadiantPostgresOptions>, RadiantPostgresDataSourceValidator>());
            services.AddSingleton<RadiantDataSources>();
            services.TryAddSingleton<RadiantDb>();
            services.TryAddSingleton<IRadiantSchemaMigrator, SchemaMigrator>();
            services.TryAddSingleton<SchemaVersionCheck>();
            services.TryAddSingleton<RowLevelSecurityGuard>();
            services.TryAddSingleton<PostgresTenantDirectory>();
            services.TryAddSingleton<ITenantDirectory>(sp => sp.GetRequiredService<PostgresTenantDirectory>());
            services.TryAddSingleton<WorkerHealth>();
            services.TryAddSingleton<ConnectionCapacityCheck>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RadiantStartup>());
            services.AddHealthChecks().AddCheck<RadiantPostgresHealthCheck>(HealthCheckName, tags: ["radiant", "db"]);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder.UseStorageProvider(PostgresStorageProvider.Instance);
    }
}
