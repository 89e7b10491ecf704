using Microsoft.Extensions.DependencyInjection;

namespace Radiant.Hosting;

/// <summary>
/// For storage provider authors: registers the implementation of each feature a host enables. A provider is installed
/// with <c>UseStorageProvider</c> (as <c>UsePostgres</c> does); Radiant then calls <see cref="AddFeature"/> once per
/// enabled feature, whether the host enabled it before or after choosing the provider.
/// </summary>
public interface IRadiantStorageProvider
{
    /// <summary>The provider's name, shown in diagnostics (for example <c>postgres</c>).</summary>
    string Name { get; }

    /// <summary>Registers the services, workers and options of <paramref name="feature"/>. Called once per feature.</summary>
    void AddFeature(IRadiantBuilder builder, RadiantFeature feature);
}
