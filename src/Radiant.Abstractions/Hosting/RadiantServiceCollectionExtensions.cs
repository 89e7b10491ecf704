using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Radiant.Hosting;

/// <summary>Entry point for registering Radiant in a host.</summary>
public static class RadiantServiceCollectionExtensions
{
    /// <summary>
    /// Starts Radiant's registration and returns a builder on which the host picks a storage provider and features:
    /// <code>services.AddRadiant().UsePostgres(connectionString).AddFocusModes().AddPersonas();</code>
    /// Calling it more than once returns a builder over the same registrations.
    /// </summary>
    public static IRadiantBuilder AddRadiant(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        return new RadiantBuilder(services);
    }

    /// <summary>Enables the focus modes feature (system modes plus tenant-defined modes).</summary>
    public static IRadiantBuilder AddFocusModes(this IRadiantBuilder builder) => builder.AddFeature(RadiantFeature.FocusModes);

    /// <summary>Enables the personas feature. Focus modes are enabled with it, since prompts combine both.</summary>
    public static IRadiantBuilder AddPersonas(this IRadiantBuilder builder) =>
        builder.AddFeature(RadiantFeature.FocusModes).AddFeature(RadiantFeature.Personas);

    /// <summary>Enables the provider and model registry (the built-in catalogue is synced at start-up).</summary>
    public static IRadiantBuilder AddRegistry(this IRadiantBuilder builder) => builder.AddFeature(RadiantFeature.Registry);

    /// <summary>Enables admin-editable pricing and the pricing engine. The registry is enabled with it, since prices are per model.</summary>
    public static IRadiantBuilder AddPricing(this IRadiantBuilder builder) =>
        builder.AddFeature(RadiantFeature.Registry).AddFeature(RadiantFeature.Pricing);

    /// <summary>Enables family and team plans, with the worker that closes ended periods.</summary>
    public static IRadiantBuilder AddTeams(this IRadiantBuilder builder) => builder.AddFeature(RadiantFeature.Teams);

    /// <summary>
    /// Enables scheduled prompts (CRUD, run history, run-now). Pricing and the registry are enabled with it, since a
    /// schedule names a registry model and each run is priced. Runs execute only where the host also adds the worker
    /// (<c>AddSchedulerWorker</c>), so web-only instances can leave it out.
    /// </summary>
    public static IRadiantBuilder AddScheduler(this IRadiantBuilder builder) =>
        builder.AddPricing().AddFeature(RadiantFeature.Scheduler);

    /// <summary>Records a feature as enabled. Used by feature registration methods; idempotent.</summary>
    public static IRadiantBuilder AddFeature(this IRadiantBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        // TryAddEnumerable de-duplicates by implementation type, which would collapse all features into one.
        var alreadyEnabled = builder.Services.Any(d =>
            d.ServiceType == typeof(RadiantFeature) && d.ImplementationInstance is RadiantFeature f && f.Name == name);
        if (!alreadyEnabled)
        {
            builder.Services.AddSingleton(new RadiantFeature(name));
        }

        return builder;
    }

    private sealed class RadiantBuilder(IServiceCollection services) : IRadiantBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
