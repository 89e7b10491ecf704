using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Radiant.Analytics;
using Radiant.Chat;
using Radiant.FocusModes;
using Radiant.Hosting;
using Radiant.ModelSelection;
using Radiant.Personas;
using Radiant.Postgres.Analytics;
using Radiant.Postgres.Chat;
using Radiant.Postgres.FocusModes;
using Radiant.Postgres.ModelSelection;
using Radiant.Postgres.Notifications;
using Radiant.Postgres.Personas;
using Radiant.Postgres.Pricing;
using Radiant.Postgres.Registry;
using Radiant.Postgres.Routing;
using Radiant.Postgres.Scheduling;
using Radiant.Postgres.Teams;
using Radiant.Postgres.ThinkTank;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Routing;
using Radiant.Scheduling;
using Radiant.Teams;
using Radiant.ThinkTank;

namespace Radiant.Postgres.Hosting;

/// <summary>Registers the PostgreSQL implementation of each feature a host enables, and nothing else.</summary>
internal sealed class PostgresStorageProvider : IRadiantStorageProvider
{
    public static PostgresStorageProvider Instance { get; } = new();

    public string Name => "postgres";

    public void AddFeature(IRadiantBuilder builder, RadiantFeature feature)
    {
        var services = builder.Services;
        switch (feature)
        {
            case RadiantFeature.FocusModes:
                services.TryAddSingleton<IFocusModeService, PostgresFocusModeService>();
                break;
            case RadiantFeature.Personas:
                services.TryAddSingleton<IPersonaService, PostgresPersonaService>();
                break;
            case RadiantFeature.Registry:
                services.TryAddSingleton<PricingSql>();
                services.TryAddSingleton<IPriceChangeNotifier, LoggingPriceChangeNotifier>();
                services.TryAddSingleton<IModelRegistry, PostgresModelRegistry>();
                OutboxDispatcher.Register(services);
                break;
            case RadiantFeature.Pricing:
                services.TryAddSingleton<PricingSql>();
                services.TryAddSingleton<IPricingAdminService, PostgresPricingAdminService>();
                services.TryAddSingleton<PricingSnapshotLoader>();
                RadiantListener.Register(services);
                services.TryAddSingleton<PostgresPricingEngine>();
                services.TryAddSingleton<IPricingEngine>(sp => sp.GetRequiredService<PostgresPricingEngine>());
                // Starts after RadiantStartup (registered by UsePostgres first), so it loads a migrated, synced schema.
                services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PostgresPricingEngine>());
                break;
            case RadiantFeature.Teams:
                services.TryAddSingleton<ITeamUsageNotifier, LoggingTeamUsageNotifier>();
                services.TryAddSingleton<TeamStore>();
                services.TryAddSingleton<TeamMembership>();
                services.TryAddSingleton<TeamPeriodRollover>();
                services.TryAddSingleton<TeamMetering>();
                services.TryAddSingleton<ITeamService, PostgresTeamService>();
                OutboxDispatcher.Register(services);
                services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TeamPeriodWorker>());
                break;
            case RadiantFeature.Scheduler:
                services.TryAddSingleton<IScheduleService, PostgresScheduleService>();
                break;
            case RadiantFeature.ModelSelection:
                services.TryAddSingleton<ModelSelectionStore>();
                services.TryAddSingleton<IDomainModeService, PostgresDomainModeService>();
                services.TryAddSingleton<IModelPreferenceService, PostgresModelPreferenceService>();
                break;
            case RadiantFeature.Routing:
                AddRouting(builder);
                break;
            case RadiantFeature.Chat:
                if (builder.Configuration?.GetSection(RadiantChatOptions.SectionName) is { } chatSection)
                {
                    services.AddOptions<RadiantChatOptions>().Bind(chatSection);
                }

                services.TryAddSingleton(TimeProvider.System);
                services.TryAddSingleton<UsageRecords>();
                services.TryAddSingleton<ChatRecorder>();
                services.AddMetrics();
                services.TryAddSingleton<ChatMetrics>();
                services.TryAddSingleton<ChatPlanner>();
                services.TryAddSingleton<PostgresRadiantChat>();
                services.TryAddSingleton<IRadiantChat>(sp => sp.GetRequiredService<PostgresRadiantChat>());
                break;
            case RadiantFeature.Analytics:
                if (builder.Configuration?.GetSection(RadiantAnalyticsOptions.SectionName) is { } analytics)
                {
                    services.AddOptions<RadiantAnalyticsOptions>().Bind(analytics);
                }

                services.TryAddSingleton<IUsageAnalyticsService, PostgresUsageAnalyticsService>();
                services.TryAddSingleton<UsagePartitionWorker>();
                services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UsagePartitionWorker>(sp => sp.GetRequiredService<UsagePartitionWorker>()));
                break;
            case RadiantFeature.ThinkTankUsers:
                services.TryAddSingleton<IThinkTankUserService, PostgresThinkTankUserService>();
                break;
            default:
                throw new NotSupportedException($"The PostgreSQL provider does not implement the Radiant feature '{feature}'; upgrade Radiant.Postgres.");
        }
    }

    /// <summary>
    /// The router decides from two in-memory snapshots kept current by this instance: the pricing engine's and the
    /// routing catalogue's (models and every tenant's switches). Health is this instance's own, fed by the pipeline.
    /// </summary>
    private static void AddRouting(IRadiantBuilder builder)
    {
        var services = builder.Services;
        var options = services.AddOptions<ModelRoutingOptions>();
        if (builder.Configuration?.GetSection(ModelRoutingOptions.SectionName) is { } section)
        {
            options.Bind(section);
        }

        services.TryAddSingleton<RoutingCatalogLoader>();
        services.TryAddSingleton<PostgresRoutingCatalog>();
        // Starts after the pricing engine (registered first, Pricing comes before Routing), on a migrated, synced schema.
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PostgresRoutingCatalog>());
        services.TryAddSingleton<IModelHealth>(sp => ModelRouting.CreateHealth(
            sp.GetRequiredService<IOptions<ModelRoutingOptions>>().Value.Health, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IModelRouter>(sp =>
        {
            var catalog = sp.GetRequiredService<PostgresRoutingCatalog>();
            var pricing = sp.GetRequiredService<IPricingEngine>();
            return ModelRouting.CreateRouter(
                () => catalog.Current,
                () => pricing.Current,
                sp.GetRequiredService<IModelHealth>(),
                sp.GetRequiredService<IOptions<ModelRoutingOptions>>().Value,
                sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddSingleton<ITokenCounter, TiktokenTokenCounter>();
    }
}
