using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Radiant.Hosting;
using Radiant.Routing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Entry point for registering Radiant in a host.</summary>
public static class RadiantServiceCollectionExtensions
{
    /// <summary>
    /// Starts Radiant's registration and returns a builder on which the host picks a storage provider and features:
    /// <code>services.AddRadiant(configuration.GetSection("Radiant")).UsePostgres(connectionString).AddPersonas();</code>
    /// Options bind from <paramref name="configuration"/> when given (each package documents its sub-section), then
    /// from code. Calling it again returns a builder over the same registrations.
    /// </summary>
    public static IRadiantBuilder AddRadiant(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registrations = RadiantRegistrations.Of(services);
        if (configuration is not null)
        {
            registrations.Configuration = configuration;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RadiantSetup>, RadiantSetupValidator>());
        services.AddOptions<RadiantSetup>().ValidateOnStart();
        return new RadiantBuilder(services, registrations);
    }

    /// <summary>Enables focus modes: the system modes plus tenant-defined ones.</summary>
    public static IRadiantBuilder AddFocusModes(this IRadiantBuilder builder) => builder.Enable(RadiantFeature.FocusModes);

    /// <summary>Enables personas. Focus modes are enabled with them, since a persona's prompt can add one.</summary>
    public static IRadiantBuilder AddPersonas(this IRadiantBuilder builder) => builder.Enable(RadiantFeature.FocusModes).Enable(RadiantFeature.Personas);

    /// <summary>Enables the provider and model registry (the built-in catalogue is synced at start-up).</summary>
    public static IRadiantBuilder AddRegistry(this IRadiantBuilder builder) => builder.Enable(RadiantFeature.Registry);

    /// <summary>Enables admin-editable pricing and the pricing engine. The registry is enabled with it, since prices are per model.</summary>
    public static IRadiantBuilder AddPricing(this IRadiantBuilder builder) => builder.Enable(RadiantFeature.Registry).Enable(RadiantFeature.Pricing);

    /// <summary>Enables family and team plans, with the worker that closes ended periods.</summary>
    public static IRadiantBuilder AddTeams(this IRadiantBuilder builder) => builder.Enable(RadiantFeature.Teams);

    /// <summary>
    /// Enables scheduled prompts (CRUD, run history, run-now). Pricing and the registry are enabled with it, since a
    /// schedule names a registry model and each run is priced. Runs execute only where the host also adds the
    /// provider's worker (<c>AddSchedulerWorker</c>), so web-only instances can leave it out.
    /// </summary>
    public static IRadiantBuilder AddScheduler(this IRadiantBuilder builder) => builder.AddPricing().Enable(RadiantFeature.Scheduler);

    /// <summary>
    /// Enables domain modes (per tenant) and model preferences (per user) with the list of models each user may pick.
    /// Pricing and the registry are enabled with it, since the list names registry models at the user's prices.
    /// </summary>
    public static IRadiantBuilder AddModelSelection(this IRadiantBuilder builder) => builder.AddPricing().Enable(RadiantFeature.ModelSelection);

    /// <summary>
    /// Enables the auto model router ("RADIANT Brain"): <c>IModelRouter</c>, the in-memory <c>IModelHealth</c> the
    /// chat pipeline feeds with each call's outcome, and <c>ITokenCounter</c>. Pricing and the registry are enabled
    /// with it, since a decision reads the tenant's enabled models and prices. Options bind from the <c>Routing</c>
    /// configuration sub-section, then from <paramref name="configure"/>; they are validated at start-up.
    /// </summary>
    public static IRadiantBuilder AddModelRouter(this IRadiantBuilder builder, Action<ModelRoutingOptions>? configure = null)
    {
        builder.AddPricing().Enable(RadiantFeature.Routing);
        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelRoutingOptions>, ModelRoutingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelRoutingOptions>, ModelRoutingOptionsCrossValidator>());
        var options = services.AddOptions<ModelRoutingOptions>().ValidateOnStart();
        if (configure is not null)
        {
            // After the provider's binding of the Routing section, whichever of the two was called first.
            options.PostConfigure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Enables the chat pipeline: <c>IRadiantChat</c> resolves each message's prompts and model (with the router),
    /// reserves against the user's cost limit and the team, calls the provider's <c>IChatClient</c> (registered keyed
    /// by provider id, or one unkeyed client for all), charges the exact price and writes one usage record per call.
    /// Model selection, the router, personas and teams are enabled with it. Options bind from the <c>Chat</c>
    /// configuration sub-section, then from <paramref name="configure"/>; they are validated at start-up.
    /// </summary>
    public static IRadiantBuilder AddChat(this IRadiantBuilder builder, Action<Radiant.Chat.RadiantChatOptions>? configure = null)
    {
        builder.AddModelSelection().AddModelRouter().AddPersonas().AddTeams().Enable(RadiantFeature.Chat);
        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Radiant.Chat.RadiantChatOptions>, Radiant.Chat.RadiantChatOptionsValidator>());
        var options = services.AddOptions<Radiant.Chat.RadiantChatOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.PostConfigure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Enables usage analytics (<c>IUsageAnalyticsService</c>): totals with growth, time series, model distribution and
    /// performance, top users and user × model, read from the rollups the usage records maintain; and the worker that
    /// keeps the records' monthly partitions (creates the next months, drops those past
    /// <c>RadiantAnalyticsOptions.RetentionMonths</c>). Options bind from the <c>Analytics</c> configuration
    /// sub-section, then from <paramref name="configure"/>; they are validated at start-up.
    /// </summary>
    public static IRadiantBuilder AddAnalytics(this IRadiantBuilder builder, Action<Radiant.Analytics.RadiantAnalyticsOptions>? configure = null)
    {
        builder.Enable(RadiantFeature.Analytics);
        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Radiant.Analytics.RadiantAnalyticsOptions>, Radiant.Analytics.RadiantAnalyticsOptionsValidator>());
        var options = services.AddOptions<Radiant.Analytics.RadiantAnalyticsOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.PostConfigure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Enables the Think Tank admin's user management (<c>IThinkTankUserService</c>): the tenant's users with their
    /// requests, tokens, spend and last activity, the stats above the list, a streamed export, and suspension. A
    /// suspended user is refused everywhere whether or not this feature is enabled; this enables managing it.
    /// </summary>
    public static IRadiantBuilder AddThinkTankUsers(this IRadiantBuilder builder) => builder.Enable(RadiantFeature.ThinkTankUsers);

    /// <summary>
    /// For storage providers: installs <paramref name="provider"/>, which registers every feature enabled so far and
    /// every one enabled later. A host uses one provider; installing the same one again does nothing.
    /// </summary>
    public static IRadiantBuilder UseStorageProvider(this IRadiantBuilder builder, IRadiantStorageProvider provider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(provider);
        RadiantRegistrations.Of(builder.Services).UseProvider(builder, provider);
        return builder;
    }

    private static IRadiantBuilder Enable(this IRadiantBuilder builder, RadiantFeature feature)
    {
        ArgumentNullException.ThrowIfNull(builder);
        RadiantRegistrations.Of(builder.Services).Enable(builder, feature);
        return builder;
    }

    private sealed class RadiantBuilder(IServiceCollection services, RadiantRegistrations registrations) : IRadiantBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IConfiguration? Configuration => registrations.Configuration;
    }
}
