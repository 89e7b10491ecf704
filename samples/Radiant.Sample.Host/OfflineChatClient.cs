using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Radiant.Sample.Host;

/// <summary>
/// The sample's stand-in for a model provider, so scheduled prompts run end to end without network or API keys.
/// It answers with a short local digest of the prompt and reports token usage estimated at four characters per
/// token, which the pricing engine then prices like any provider's. Replace it with a real client per provider:
/// <c>services.AddKeyedChatClient("openai", sp => new OpenAIClient(key).GetChatClient("gpt-4o").AsIChatClient())</c>.
/// </summary>
internal sealed class OfflineChatClient(string providerId) : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prompt = string.Join("\n", messages.Select(m => m.Text));
        var words = prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var text = $"[offline {providerId}/{options?.ModelId ?? "default"}] Your prompt has {words.Length} words. " +
                   $"It begins: \"{string.Join(' ', words.Take(12))}{(words.Length > 12 ? " …" : string.Empty)}\"";
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = options?.ModelId,
            Usage = new UsageDetails
            {
                InputTokenCount = Math.Max(1, prompt.Length / 4),
                OutputTokenCount = Math.Max(1, text.Length / 4),
            },
        };
        response.Usage.TotalTokenCount = response.Usage.InputTokenCount + response.Usage.OutputTokenCount;
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
