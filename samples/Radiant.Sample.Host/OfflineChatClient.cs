using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Radiant.Sample.Host;

/// <summary>
/// The sample's stand-in for a model provider, so chat messages and scheduled prompts run end to end without network
/// or API keys. It answers with a short, deterministic local digest of the last user message that names the provider
/// and model, honours <see cref="ChatOptions.MaxOutputTokens"/> roughly (a word is counted as a token), streams the
/// reply a few words at a time, and reports token usage estimated at four characters per token, which the pricing
/// engine then prices like any provider's. Replace it with a real client per provider:
/// <c>services.AddKeyedChatClient("openai", sp => new OpenAIClient(key).GetChatClient("gpt-4o").AsIChatClient())</c>.
/// </summary>
internal sealed class OfflineChatClient(string providerId, TimeSpan? chunkDelay = null) : IChatClient
{
    /// <summary>Words per streamed chunk.</summary>
    public const int WordsPerChunk = 3;

    private readonly TimeSpan _chunkDelay = chunkDelay ?? TimeSpan.FromMilliseconds(40);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (text, usage) = Answer(messages, options);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = options?.ModelId,
            FinishReason = ChatFinishReason.Stop,
            Usage = usage,
        };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (text, usage) = Answer(messages, options);
        var responseId = Guid.NewGuid().ToString("N");
        var words = text.Split(' ');
        for (var i = 0; i < words.Length; i += WordsPerChunk)
        {
            if (i > 0)
            {
                await Task.Delay(_chunkDelay, cancellationToken);
            }

            // Each chunk but the first carries the space that separates it from the one before.
            var chunk = (i > 0 ? " " : "") + string.Join(' ', words.Skip(i).Take(WordsPerChunk));
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ResponseId = responseId, ModelId = options?.ModelId };
        }

        // Like OpenAI's stream_options.include_usage: a last update with the usage and no text.
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
        {
            ResponseId = responseId,
            ModelId = options?.ModelId,
            FinishReason = ChatFinishReason.Stop,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    /// <summary>The reply (cut to <see cref="ChatOptions.MaxOutputTokens"/> words) and its usage.</summary>
    private (string Text, UsageDetails Usage) Answer(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var all = messages.ToList();
        var prompt = string.Join("\n", all.Select(m => m.Text));
        var last = all.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? prompt;
        var words = last.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var text = $"[offline {providerId}/{options?.ModelId ?? "default"}] Your prompt has {words.Length} words. " +
                   $"It begins: \"{string.Join(' ', words.Take(12))}{(words.Length > 12 ? " …" : string.Empty)}\" " +
                   "This reply comes from the sample's offline chat client: no network, no API key.";
        if (options?.MaxOutputTokens is { } max and > 0)
        {
            var replyWords = text.Split(' ');
            if (replyWords.Length > max)
            {
                text = string.Join(' ', replyWords.Take(max));
            }
        }

        var usage = new UsageDetails
        {
            InputTokenCount = Math.Max(1, prompt.Length / 4),
            // Never more than the reply budget, which the pipeline reserved.
            OutputTokenCount = Math.Min(Math.Max(1, text.Length / 4), options?.MaxOutputTokens is { } budget and > 0 ? budget : int.MaxValue),
        };
        usage.TotalTokenCount = usage.InputTokenCount + usage.OutputTokenCount;
        return (text, usage);
    }
}
