using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Radiant.Pricing;
using Radiant.Routing;

namespace Radiant.Tests.Routing;

/// <summary><c>AddModelRouter</c> registers the router once in any order, with pricing, and its options bind from configuration then code.</summary>
public sealed class RouterRegistrationTests
{
    private static string[] Shape(ServiceCollection services) =>
        [.. services.Where(d => !d.ServiceType.Name.StartsWith("IConfigureOptions", StringComparison.Ordinal) && !d.ServiceType.Name.StartsWith("IPostConfigureOptions", StringComparison.Ordinal))
            .Select(d => $"{d.ServiceType.Name}->{d.ImplementationType?.Name ?? (d.ImplementationInstance is null ? "factory" : "instance")}")
            .Order(StringComparer.Ordinal)];

    [Fact]
    public void The_router_registers_the_same_whatever_the_order_and_once_when_repeated()
    {
        var providerFirst = new ServiceCollection();
        providerFirst.AddRadiant().UsePostgres("Host=localhost").AddModelRouter();
        var featuresFirst = new ServiceCollection();
        featuresFirst.AddRadiant().AddModelRouter(o => o.DefaultReplyTokens = 1000).UsePostgres("Host=localhost");
        var repeated = new ServiceCollection();
        repeated.AddRadiant().AddModelRouter().UsePostgres("Host=localhost").AddPricing().AddModelRouter(o => o.DefaultReplyTokens = 2000);

        Assert.Equal(Shape(providerFirst), Shape(featuresFirst));
        Assert.Equal(Shape(providerFirst), Shape(repeated));
        foreach (var type in new[] { typeof(IModelRouter), typeof(IModelHealth), typeof(ITokenCounter), typeof(IPricingEngine) })
        {
            Assert.Single(providerFirst, d => d.ServiceType == type);
        }

        // The routing catalogue's reload loop next to the pricing engine's and the listener.
        Assert.Equal(3, providerFirst.Count(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType is null));
    }

    [Fact]
    public void Options_bind_from_the_Routing_section_then_code_and_bad_ones_are_refused_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Radiant:Routing:DefaultReplyTokens"] = "2048",
            ["Radiant:Routing:Health:BreakDuration"] = "00:02:00",
            ["Radiant:Routing:Health:WindowSize"] = "10",
        }).Build();
        var services = new ServiceCollection();
        services.AddRadiant(configuration.GetSection("Radiant")).AddModelRouter(o => o.Health.MinimumCalls = 3).UsePostgres("Host=localhost");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ModelRoutingOptions>>().Value;
        Assert.Equal((2048, TimeSpan.FromMinutes(2), 10, 3), (options.DefaultReplyTokens, options.Health.BreakDuration, options.Health.WindowSize, options.Health.MinimumCalls));

        var bad = new ServiceCollection();
        bad.AddRadiant(configuration.GetSection("Radiant")).UsePostgres("Host=localhost").AddModelRouter(o => o.Health.MinimumCalls = 11);
        using var badProvider = bad.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<ModelRoutingOptions>>().Value);
        Assert.Contains("MinimumCalls (11) must not exceed WindowSize (10)", e.Message);
    }
}
