using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Radiant.Benchmarks.Scheduling;

/// <summary>
/// The scheduler benchmark's model: answers every prompt at once with a fixed short text and a fixed usage
/// (10 input, 5 output tokens), so a run costs only what the worker itself does (claim, execute, price, record).
/// </summary>
internal sealed class NoOpChatClient : IChatClient
{
    public const string Text = "ok";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Text))
        {
            ModelId = options?.ModelId,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        });

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield return new ChatResponseUpdate(ChatRole.Assistant, Text) { ModelId = options?.ModelId };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
