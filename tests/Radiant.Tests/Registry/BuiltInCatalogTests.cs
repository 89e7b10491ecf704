using Radiant.Registry;

namespace Radiant.Tests.Registry;

public sealed class BuiltInCatalogTests
{
    private static readonly string[] SeedProviderIds =
    [
        "anthropic", "openai", "google", "xai", "mistral", "cohere", "perplexity", "deepseek",
        "together", "fireworks", "groq", "replicate", "huggingface", "bedrock", "azure_openai", "vertex_ai",
    ];

    // Section 31.1: 15 standard then 15 novel models, in table order.
    private static readonly string[] ThinkTankIds =
    [
        "claude-4-opus", "claude-4-sonnet", "claude-3.5-haiku", "gpt-4o", "gpt-4o-mini", "o1",
        "gemini-2.0-pro", "gemini-2.0-flash", "grok-3", "grok-3-fast", "grok-3-mini", "deepseek-v3",
        "mistral-large-2", "codestral-latest", "perplexity-sonar-pro",
        "o1-pro", "deepseek-r1", "gemini-2.0-ultra", "gemini-2.0-pro-exp", "grok-2-vision", "grok-realtime",
        "grok-coder", "grok-analyst", "gpt-4o-realtime", "claude-4-opus-agents", "qwen-2.5-coder",
        "llama-3.3-70b", "phi-4", "grok-embed", "command-r-plus",
    ];

    private static ModelCatalog Catalog => BuiltInCatalog.Catalog;

    private static ModelDefinition Model(string id) => Assert.Single(Catalog.Models, m => m.Id == id);

    [Fact]
    public void Has_the_16_seed_providers_plus_self_hosted()
    {
        Assert.Equal(17, Catalog.Providers.Count);
        Assert.Equal(17, Catalog.Providers.Select(p => p.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal([.. SeedProviderIds, ProviderDefinition.SelfHostedId], Catalog.Providers.Select(p => p.Id));

        var selfHosted = Assert.Single(Catalog.Providers, p => p.Id == ProviderDefinition.SelfHostedId);
        Assert.Equal(ProviderAuthType.None, selfHosted.AuthType);
        Assert.Equal(ProviderAuthType.Iam, Assert.Single(Catalog.Providers, p => p.Id == "bedrock").AuthType);
        Assert.Equal(ProviderAuthType.ServiceAccount, Assert.Single(Catalog.Providers, p => p.Id == "vertex_ai").AuthType);
        Assert.Equal("*.openai.azure.com", Assert.Single(Catalog.Providers, p => p.Id == "azure_openai").ApiBase);
    }

    [Fact]
    public void Has_exactly_32_models_with_unique_ids()
    {
        Assert.Equal(32, Catalog.Models.Count);
        Assert.Equal(32, Catalog.Models.Select(m => m.Id).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_model_references_a_known_provider()
    {
        var providerIds = Catalog.Providers.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        Assert.All(Catalog.Models, m => Assert.Contains(m.ProviderId, providerIds));
    }

    [Fact]
    public void Prices_are_non_negative_with_at_most_6_decimals()
    {
        Assert.All(Catalog.Models, m =>
        {
            foreach (var price in new[] { m.InputPricePer1M, m.OutputPricePer1M })
            {
                Assert.True(price >= 0m, $"{m.Id}: negative price {price}");
                Assert.Equal(price, decimal.Round(price, 6));
            }
        });
    }

    [Fact]
    public void Other_fields_are_populated()
    {
        Assert.All(Catalog.Models, m =>
        {
            Assert.False(string.IsNullOrWhiteSpace(m.DisplayName));
            Assert.True(m.ContextWindow > 0, m.Id);
            Assert.True(m.MaxOutputTokens >= 0, m.Id);
            Assert.Contains("text", m.Modalities);
            Assert.NotEmpty(m.Capabilities);
            Assert.False(string.IsNullOrWhiteSpace(m.Category));
            Assert.False(m.IsSelfHosted);
        });
        Assert.Equal(32, Catalog.Models.Select(m => m.DisplayOrder).Distinct().Count());
    }

    [Fact]
    public void The_30_think_tank_models_are_enabled_in_table_order_and_the_rest_are_not()
    {
        var enabled = Catalog.Models.Where(m => m.ThinkTankEnabled).OrderBy(m => m.DisplayOrder).Select(m => m.Id);
        Assert.Equal(ThinkTankIds, enabled);

        var others = Catalog.Models.Where(m => !m.ThinkTankEnabled).Select(m => m.Id).Order(StringComparer.Ordinal);
        Assert.Equal(["grok-2", "grok-2-mini"], others);

        Assert.Equal(10, Model("claude-4-opus").DisplayOrder);
        Assert.Equal(150, Model("perplexity-sonar-pro").DisplayOrder);
        Assert.Equal(160, Model("o1-pro").DisplayOrder);
        Assert.All(ThinkTankIds.Take(15), id => Assert.False(Model(id).IsNovel, id));
        Assert.All(ThinkTankIds.Skip(15), id => Assert.True(Model(id).IsNovel, id));
    }

    [Fact]
    public void Spot_values_match_the_seed()
    {
        var opus = Model("claude-4-opus");
        Assert.Equal(("anthropic", 15.00m, 75.00m, 200000, "flagship"), (opus.ProviderId, opus.InputPricePer1M, opus.OutputPricePer1M, opus.ContextWindow, opus.Category));

        var flash = Model("gemini-2.0-flash");
        Assert.Equal((0.075m, 0.30m, 1000000), (flash.InputPricePer1M, flash.OutputPricePer1M, flash.ContextWindow));

        var embed = Model("grok-embed");
        Assert.Equal((0.10m, 0m, 8192, 0), (embed.InputPricePer1M, embed.OutputPricePer1M, embed.ContextWindow, embed.MaxOutputTokens));
        Assert.Equal(["text"], embed.Modalities);

        var o1Pro = Model("o1-pro");
        Assert.Equal((150.00m, 600.00m, 100000), (o1Pro.InputPricePer1M, o1Pro.OutputPricePer1M, o1Pro.MaxOutputTokens));

        Assert.Equal(10000000, Model("gemini-2.0-pro-exp").ContextWindow);
        Assert.Equal(131072, Model("grok-3").ContextWindow);
        Assert.Equal("azure_openai", Model("phi-4").ProviderId);
        Assert.Equal("together", Model("llama-3.3-70b").ProviderId);
        Assert.Equal("cohere", Model("command-r-plus").ProviderId);
        Assert.Equal(["text", "image", "audio"], Model("gpt-4o").Modalities);
        Assert.Equal(["text", "audio"], Model("grok-realtime").Modalities);
        Assert.Equal(["text", "image"], Model("grok-2-vision").Modalities);
    }
}
