using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Radiant.Hosting;

/// <summary>
/// What a service collection's Radiant registration has done so far: the features enabled and the storage provider
/// chosen. Kept in the collection itself (as a singleton instance), so every <c>AddRadiant()</c> call sees the same
/// state and a feature enabled before the provider is registered by it when it arrives.
/// </summary>
internal sealed class RadiantRegistrations
{
    private readonly HashSet<RadiantFeature> _features = [];

    public IConfiguration? Configuration { get; set; }

    public IRadiantStorageProvider? Provider { get; private set; }

    public IReadOnlyCollection<RadiantFeature> Features => _features;

    public static RadiantRegistrations Of(IServiceCollection services)
    {
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(RadiantRegistrations))?.ImplementationInstance;
        if (existing is RadiantRegistrations registrations)
        {
            return registrations;
        }

        registrations = new RadiantRegistrations();
        services.AddSingleton(registrations);
        return registrations;
    }

    public void Enable(IRadiantBuilder builder, RadiantFeature feature)
    {
        if (_features.Add(feature))
        {
            Provider?.AddFeature(builder, feature);
        }
    }

    public void UseProvider(IRadiantBuilder builder, IRadiantStorageProvider provider)
    {
        if (Provider is { } current)
        {
            if (current.Name != provider.Name)
            {
                throw new InvalidOperationException(
                    $"Radiant already uses the '{current.Name}' storage provider; a host uses one provider (it was asked to use '{provider.Name}' too).");
            }

            return;
        }

        Provider = provider;
        foreach (var feature in _features.Order())
        {
            provider.AddFeature(builder, feature);
        }
    }
}
