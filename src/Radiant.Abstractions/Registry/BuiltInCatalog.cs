using System.Collections.ObjectModel;

namespace Radiant.Registry;

/// <summary>
/// The built-in provider and model catalogue: 16 hosted AI providers plus <see cref="ProviderDefinition.SelfHostedId"/>,
/// and 32 models with their context windows, modalities, capabilities and list prices. The PostgreSQL provider syncs it
/// into the registry at start-up; a host can also pass it (or its own <see cref="ModelCatalog"/>) to
/// <see cref="IModelRegistry.SyncAsync"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Context windows and output limits are token counts (a "131K" window is 131072, a "200K" one 200000).</item>
/// <item>Prices are the providers' list prices in dollars per 1M tokens; a model without an output price (an embedding
/// model) has 0.</item>
/// <item>Modalities always include <c>text</c>, plus <c>image</c> for vision models and <c>audio</c> for
/// audio/voice/realtime models; embedding models are text only.</item>
/// <item>30 models are offered in Think Tank (<see cref="ModelDefinition.ThinkTankEnabled"/>); <c>grok-2</c> and
/// <c>grok-2-mini</c> are not. Standard models come first in <see cref="ModelDefinition.DisplayOrder"/> (10, 20, ...),
/// then novel models, then the models not offered in Think Tank.</item>
/// </list>
/// </remarks>
public static class BuiltInCatalog
{
    /// <summary>The 16 hosted providers plus <see cref="ProviderDefinition.SelfHostedId"/>, and the 32 built-in models.</summary>
    public static ModelCatalog Catalog { get; } = new(BuildProviders(), BuildModels());

    private static ReadOnlyCollection<string> L(params string[] items) => Array.AsReadOnly(items);

    private static ReadOnlyCollection<ProviderDefinition> BuildProviders() => Array.AsReadOnly(new[]
    {
        new ProviderDefinition("anthropic", "Anthropic", "api.anthropic.com", ProviderAuthType.ApiKey),
        new ProviderDefinition("openai", "OpenAI", "api.openai.com", ProviderAuthType.ApiKey),
        new ProviderDefinition("google", "Google (Gemini)", "generativelanguage.googleapis.com", ProviderAuthType.ApiKey),
        new ProviderDefinition("xai", "xAI (Grok)", "api.x.ai", ProviderAuthType.ApiKey), // API host; xAI's model config gives the base URL https://api.x.ai/v1
        new ProviderDefinition("mistral", "Mistral AI", "api.mistral.ai", ProviderAuthType.ApiKey),
        new ProviderDefinition("cohere", "Cohere", "api.cohere.ai", ProviderAuthType.ApiKey),
        new ProviderDefinition("perplexity", "Perplexity", "api.perplexity.ai", ProviderAuthType.ApiKey),
        new ProviderDefinition("deepseek", "DeepSeek", "api.deepseek.com", ProviderAuthType.ApiKey),
        new ProviderDefinition("together", "Together AI", "api.together.xyz", ProviderAuthType.ApiKey),
        new ProviderDefinition("fireworks", "Fireworks AI", "api.fireworks.ai", ProviderAuthType.ApiKey),
        new ProviderDefinition("groq", "Groq", "api.groq.com", ProviderAuthType.ApiKey),
        new ProviderDefinition("replicate", "Replicate", "api.replicate.com", ProviderAuthType.ApiKey),
        new ProviderDefinition("huggingface", "Hugging Face", "api-inference.huggingface.co", ProviderAuthType.ApiKey),
        new ProviderDefinition("bedrock", "AWS Bedrock", "bedrock-runtime.amazonaws.com", ProviderAuthType.Iam),
        new ProviderDefinition("azure_openai", "Azure OpenAI", "*.openai.azure.com", ProviderAuthType.ApiKey),
        new ProviderDefinition("vertex_ai", "Google Vertex AI", "*.aiplatform.googleapis.com", ProviderAuthType.ServiceAccount),
        new ProviderDefinition(ProviderDefinition.SelfHostedId, "Self-hosted", "localhost", ProviderAuthType.None),
    });

    // Columns: id, provider, display name, context window, max output tokens, modalities, capabilities,
    //          input $/1M, output $/1M, isNovel, category, Think Tank enabled, display order.
    private static ReadOnlyCollection<ModelDefinition> BuildModels() => Array.AsReadOnly(new[]
    {
        // ── Anthropic ────────────────────────────────────────────────────────────────────────────
        new ModelDefinition("claude-4-opus", "anthropic", "Claude 4 Opus", 200000, 8192, L("text", "image"), L("chat", "reasoning", "analysis", "code", "vision"), 15.00m, 75.00m, false, "flagship", true, 10),
        new ModelDefinition("claude-4-sonnet", "anthropic", "Claude 4 Sonnet", 200000, 8192, L("text", "image"), L("chat", "reasoning", "analysis", "code", "vision"), 3.00m, 15.00m, false, "balanced", true, 20),
        new ModelDefinition("claude-3.5-haiku", "anthropic", "Claude 3.5 Haiku", 200000, 8192, L("text"), L("chat", "code"), 0.25m, 1.25m, false, "economy", true, 30),
        new ModelDefinition("claude-4-opus-agents", "anthropic", "Claude Opus Agents", 200000, 8192, L("text"), L("chat", "tool_use", "computer_use", "agents"), 15.00m, 75.00m, true, "novel", true, 250),

        // ── OpenAI ───────────────────────────────────────────────────────────────────────────────
        new ModelDefinition("gpt-4o", "openai", "GPT-4o", 128000, 16384, L("text", "image", "audio"), L("chat", "reasoning", "vision", "audio"), 2.50m, 10.00m, false, "flagship", true, 40),
        new ModelDefinition("gpt-4o-mini", "openai", "GPT-4o Mini", 128000, 16384, L("text", "image"), L("chat", "vision"), 0.15m, 0.60m, false, "economy", true, 50),
        new ModelDefinition("o1", "openai", "o1 Reasoning", 200000, 100000, L("text"), L("reasoning", "analysis", "math", "code"), 15.00m, 60.00m, false, "specialized", true, 60),
        new ModelDefinition("o1-pro", "openai", "o1 Pro", 200000, 100000, L("text"), L("reasoning", "analysis", "math", "code", "extended_thinking"), 150.00m, 600.00m, true, "novel", true, 160),
        new ModelDefinition("gpt-4o-realtime", "openai", "GPT-4o Realtime", 128000, 4096, L("text", "audio"), L("voice", "streaming", "realtime"), 5.00m, 20.00m, true, "novel", true, 240),

        // ── Google ───────────────────────────────────────────────────────────────────────────────
        new ModelDefinition("gemini-2.0-pro", "google", "Gemini 2.0 Pro", 2000000, 8192, L("text", "image"), L("chat", "reasoning", "vision", "code"), 1.25m, 5.00m, false, "flagship", true, 70),
        new ModelDefinition("gemini-2.0-flash", "google", "Gemini 2.0 Flash", 1000000, 8192, L("text", "image"), L("chat", "vision", "fast"), 0.075m, 0.30m, false, "balanced", true, 80),
        new ModelDefinition("gemini-2.0-ultra", "google", "Gemini 2.0 Ultra", 2000000, 8192, L("text", "image"), L("chat", "reasoning", "vision", "multimodal"), 5.00m, 15.00m, true, "novel", true, 180),
        new ModelDefinition("gemini-2.0-pro-exp", "google", "Gemini Pro Experimental", 10000000, 8192, L("text"), L("chat", "reasoning", "massive_context"), 2.50m, 10.00m, true, "novel", true, 190), // name from the registry table; the Think Tank table says "Gemini Pro Exp"

        // ── xAI (Grok) ───────────────────────────────────────────────────────────────────────────
        // grok-3*: capabilities and category from the registry table; the xAI config lists slightly different capabilities (noted per line).
        new ModelDefinition("grok-3", "xai", "Grok 3", 131072, 8192, L("text"), L("chat", "reasoning", "realtime_info"), 3.00m, 15.00m, false, "flagship", true, 90), // the xAI config adds "analysis"
        new ModelDefinition("grok-3-fast", "xai", "Grok 3 Fast", 131072, 8192, L("text"), L("chat", "fast"), 1.00m, 5.00m, false, "balanced", true, 100), // the xAI config says "fast_response"
        new ModelDefinition("grok-3-mini", "xai", "Grok 3 Mini", 131072, 4096, L("text"), L("chat"), 0.30m, 1.50m, false, "economy", true, 110), // the xAI config adds "cost_effective"
        // Not in the registry table: max output, modalities, capabilities and isNovel come from the xAI config; category is
        // "novel" for the novel models of the Think Tank table and the registry sync's default "general" for grok-2 and grok-2-mini.
        new ModelDefinition("grok-2-vision", "xai", "Grok 2 Vision", 32768, 4096, L("text", "image"), L("chat", "vision", "image_analysis"), 2.00m, 10.00m, true, "novel", true, 200),
        new ModelDefinition("grok-realtime", "xai", "Grok Realtime", 32768, 4096, L("text", "audio"), L("chat", "voice", "streaming", "realtime"), 5.00m, 20.00m, true, "novel", true, 210),
        new ModelDefinition("grok-coder", "xai", "Grok Coder", 131072, 8192, L("text"), L("chat", "code_generation", "code_review"), 1.50m, 7.50m, true, "novel", true, 220),
        new ModelDefinition("grok-analyst", "xai", "Grok Analyst", 131072, 8192, L("text"), L("chat", "data_analysis", "insights"), 2.00m, 10.00m, true, "novel", true, 230),
        new ModelDefinition("grok-embed", "xai", "Grok Embed", 8192, 0, L("text"), L("embeddings"), 0.10m, 0m, true, "novel", true, 290), // novel per the Think Tank novel table; the xAI config says isNovel: false
        new ModelDefinition("grok-2", "xai", "Grok 2", 131072, 8192, L("text"), L("chat", "reasoning"), 2.00m, 10.00m, false, "general", false, 310), // xAI config only; not offered in Think Tank
        new ModelDefinition("grok-2-mini", "xai", "Grok 2 Mini", 131072, 4096, L("text"), L("chat"), 0.20m, 1.00m, false, "general", false, 320), // xAI config only; not offered in Think Tank

        // ── DeepSeek ─────────────────────────────────────────────────────────────────────────────
        new ModelDefinition("deepseek-v3", "deepseek", "DeepSeek V3", 64000, 8192, L("text"), L("chat", "code", "reasoning"), 0.14m, 0.28m, false, "economy", true, 120),
        new ModelDefinition("deepseek-r1", "deepseek", "DeepSeek R1", 64000, 8192, L("text"), L("reasoning", "chain_of_thought", "analysis"), 0.55m, 2.19m, true, "novel", true, 170),

        // ── Mistral AI ───────────────────────────────────────────────────────────────────────────
        new ModelDefinition("mistral-large-2", "mistral", "Mistral Large 2", 128000, 8192, L("text"), L("chat", "reasoning", "multilingual"), 2.00m, 6.00m, false, "specialized", true, 130),
        new ModelDefinition("codestral-latest", "mistral", "Codestral", 32000, 8192, L("text"), L("code", "code_generation", "code_review"), 0.30m, 0.90m, false, "specialized", true, 140), // context 32000 from the registry table; the Think Tank table says 32K

        // ── Perplexity ───────────────────────────────────────────────────────────────────────────
        new ModelDefinition("perplexity-sonar-pro", "perplexity", "Sonar Pro", 128000, 8192, L("text"), L("search", "chat", "citations", "realtime_info"), 3.00m, 15.00m, false, "specialized", true, 150),

        // ── Cohere ───────────────────────────────────────────────────────────────────────────────
        new ModelDefinition("command-r-plus", "cohere", "Command R+", 128000, 4096, L("text"), L("chat", "rag"), 2.50m, 10.00m, true, "novel", true, 300), // Think Tank table only: capabilities from "RAG optimized"; max output 4096 assumed (no source gives it)

        // ── Together AI ──────────────────────────────────────────────────────────────────────────
        new ModelDefinition("qwen-2.5-coder", "together", "Qwen 2.5 Coder", 128000, 8192, L("text"), L("code", "code_generation"), 0.30m, 0.90m, true, "novel", true, 260),
        new ModelDefinition("llama-3.3-70b", "together", "Llama 3.3 70B", 128000, 8192, L("text"), L("chat", "reasoning", "open_weights"), 0.88m, 0.88m, true, "novel", true, 270),

        // ── Azure OpenAI ─────────────────────────────────────────────────────────────────────────
        new ModelDefinition("phi-4", "azure_openai", "Phi-4", 16000, 4096, L("text"), L("chat", "reasoning", "efficient"), 0.07m, 0.14m, true, "novel", true, 280), // provider and 16000 context from the registry table; the Think Tank table says "Microsoft" (not a catalogue provider) and 16K
    });
}
