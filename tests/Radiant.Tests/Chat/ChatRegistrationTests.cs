using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Radiant.Chat;
using Radiant.ModelSelection;
using Radiant.Routing;
using Radiant.Teams;

namespace Radiant.Tests.Chat;

public sealed class ChatRegistrationTests
{
    [Fact]
    public async Task AddChat_brings_what_the_pipeline_uses_and_binds_the_Chat_section_before_code()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Radiant:Chat:MaxAttempts"] = "2",
            ["Radiant:Chat:ReservationExpiry"] = "00:05:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant(configuration.GetSection("Radiant")).AddChat(o => o.MaxAttempts = 4).UsePostgres("Host=localhost");
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RadiantChatOptions>>().Value;
        Assert.Equal((4, TimeSpan.FromMinutes(5)), (options.MaxAttempts, options.ReservationExpiry));
        Assert.NotNull(provider.GetService<IRadiantChat>());
        Assert.NotNull(provider.GetService<IModelRouter>());
        Assert.NotNull(provider.GetService<IModelPreferenceService>());
        Assert.NotNull(provider.GetService<ITeamService>());
        Assert.Single(services, d => d.ServiceType == typeof(IRadiantChat));
    }

    [Fact]
    public async Task Bad_chat_options_are_refused_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UsePostgres("Host=localhost").AddChat(o => o.ReservationExpiry = TimeSpan.FromSeconds(1));
        await using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RadiantChatOptions>>().Value);
        Assert.Contains("ReservationExpiry", e.Message, StringComparison.Ordinal);
    }
}
