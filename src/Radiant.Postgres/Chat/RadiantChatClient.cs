using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Chat;
using Radiant.Postgres.Chat;

namespace Radiant.Postgres.Chat
{
    /// <summary>
    /// Radiant as Microsoft.Extensions.AI middleware: each call is metered like a message of <see cref="IRadiantChat"/>
    /// — the user's cost limit and the team reserve it, the inner client answers, and the usage record and settlement
    /// commit together — without Radiant's prompts or routing (the call names its model).
    /// </summary>
    internal sealed class RadiantChatClient(IChatClient innerClient, ChatPlanner planner, PostgresRadiantChat chat) : DelegatingChatClient(innerClient)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var context = RadiantChatClientExtensions.ContextOf(options);
            var plan = await planner.PlanCallAsync(context, messages, options, InnerClient, cancellationToken);
            return await chat.RunCallAsync(context.Caller, plan, context.RequestId is not null, cancellationToken);
        }

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var context = RadiantChatClientExtensions.ContextOf(options);
            var plan = await planner.PlanCallAsync(context, messages, options, InnerClient, cancellationToken);
            await foreach (var update in chat.RunStreamingCallAsync(context.Caller, plan, context.RequestId is not null, cancellationToken))
            {
                yield return update;
            }
        }
    }
}

namespace Microsoft.Extensions.AI
{
    /// <summary>Radiant's chat-client middleware and the context each call carries.</summary>
    public static class RadiantChatClientExtensions
    {
        /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of a call's <see cref="RadiantChatContext"/>.</summary>
        public const string ContextKey = "radiant.context";

        /// <summary>
        /// Adds Radiant's metering around the client: each call — which must carry a <see cref="RadiantChatContext"/>
        /// (<see cref="WithRadiant"/>) and name its model — is reserved against the user's maximum cost per message and
        /// the team, charged at the pricing engine's price for the usage the inner client reports, and recorded once
        /// per request id. Needs <c>AddChat()</c> in the host's services. Place it outside <c>UseFunctionInvocation</c>
        /// so that a tool loop is one call (one reservation, every round charged) and inside <c>UseOpenTelemetry</c>
        /// or outside it as you want refusals traced.
        /// </summary>
        public static ChatClientBuilder UseRadiant(this ChatClientBuilder builder)
        {
            ArgumentNullException.ThrowIfNull(builder);
            return builder.Use((inner, services) => new RadiantChatClient(
                inner, services.GetRequiredService<ChatPlanner>(), services.GetRequiredService<PostgresRadiantChat>()));
        }

        /// <summary>Returns <paramref name="options"/> (or new options) carrying <paramref name="context"/> for <see cref="UseRadiant"/>.</summary>
        public static ChatOptions WithRadiant(this ChatOptions? options, RadiantChatContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            options ??= new ChatOptions();
            options.AdditionalProperties ??= [];
            options.AdditionalProperties[ContextKey] = context;
            return options;
        }

        internal static RadiantChatContext ContextOf(ChatOptions? options) =>
            options?.AdditionalProperties?.TryGetValue(ContextKey, out var value) == true && value is RadiantChatContext context
                ? context
                : throw new InvalidOperationException(
                    "A call through Radiant's middleware needs its RadiantChatContext: pass options.WithRadiant(new RadiantChatContext(caller)).");

        /// <summary>A copy of <paramref name="options"/> without Radiant's context, for the inner client.</summary>
        internal static ChatOptions? WithoutRadiant(ChatOptions? options)
        {
            if (options is null)
            {
                return null;
            }

            var copy = options.Clone();
            if (copy.AdditionalProperties is { } properties && properties.ContainsKey(ContextKey))
            {
                copy.AdditionalProperties = new AdditionalPropertiesDictionary(properties.Where(p => p.Key != ContextKey));
            }

            return copy;
        }
    }
}
