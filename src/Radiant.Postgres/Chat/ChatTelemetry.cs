using System.Diagnostics.Metrics;

namespace Radiant.Postgres.Chat;

/// <summary>
/// The name of the chat pipeline's <see cref="Meter"/>, for OpenTelemetry: <c>.WithMetrics(m =&gt; m.AddMeter(ChatTelemetry.Name))</c>.
/// </summary>
/// <remarks>
/// Instruments: <c>radiant.chat.stage.duration</c> (histogram, seconds, tagged <c>radiant.stage</c>: <c>plan</c> — the
/// prompts, preferences and routing; <c>reserve</c> — the cost limit and the team hold; <c>provider</c> — the provider
/// call, streamed or not; <c>record</c> — the usage record and settlement transaction and the recent models) and
/// <c>radiant.chat.messages</c> (counter, tagged <c>radiant.outcome</c>: completed, cancelled, failed). The provider's
/// own GenAI metrics come from <c>UseOpenTelemetry</c> on its client. The meter comes from the host's
/// <see cref="IMeterFactory"/>, so each service provider has its own.
/// </remarks>
public static class ChatTelemetry
{
    /// <summary>The meter name.</summary>
    public const string Name = "Radiant.Chat";
}

/// <summary>The chat pipeline's instruments.</summary>
internal sealed class ChatMetrics
{
    public ChatMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ChatTelemetry.Name);
        StageDuration = meter.CreateHistogram<double>("radiant.chat.stage.duration", "s", "Time each stage of a chat message took.");
        Messages = meter.CreateCounter<long>("radiant.chat.messages", "{call}", "Provider calls recorded, by outcome.");
    }

    public Histogram<double> StageDuration { get; }

    public Counter<long> Messages { get; }

    public void Stage(string stage, TimeSpan elapsed) =>
        StageDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("radiant.stage", stage));
}
