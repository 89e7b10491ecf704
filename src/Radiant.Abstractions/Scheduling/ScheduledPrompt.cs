using System.Text.Json.Serialization;

namespace Radiant.Scheduling;

/// <summary>How a schedule decides when to run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleType>))]
public enum ScheduleType
{
    /// <summary>Once, at <see cref="ScheduledPrompt.RunAt"/>.</summary>
    [JsonStringEnumMemberName("once")]
    Once,

    /// <summary>On a cron expression, evaluated in the schedule's time zone.</summary>
    [JsonStringEnumMemberName("cron")]
    Cron,

    /// <summary>Every <see cref="ScheduledPrompt.IntervalMinutes"/> minutes of elapsed time.</summary>
    [JsonStringEnumMemberName("interval")]
    Interval,
}

/// <summary>Where a run's output goes besides the run record, which always keeps it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutputDestination>))]
public enum OutputDestination
{
    /// <summary>Only the run record.</summary>
    [JsonStringEnumMemberName("storage")]
    Storage,

    /// <summary>A signed JSON POST to the schedule's webhook URL.</summary>
    [JsonStringEnumMemberName("webhook")]
    Webhook,

    /// <summary>An email to the schedule's notification address.</summary>
    [JsonStringEnumMemberName("email")]
    Email,
}

/// <summary>Where a run stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleRunStatus>))]
public enum ScheduleRunStatus
{
    /// <summary>Waiting for a worker (a run-now request, or a run handed back by a stopping worker).</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>Leased by a worker that is executing it.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>The model answered; output, tokens and cost are recorded.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>Failed permanently, or after the configured attempts; the error is recorded.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,
}

/// <summary>What started a run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunTrigger>))]
public enum RunTrigger
{
    /// <summary>An occurrence of the schedule.</summary>
    [JsonStringEnumMemberName("schedule")]
    Schedule,

    /// <summary>A run-now request; it neither counts towards max runs nor moves the next run.</summary>
    [JsonStringEnumMemberName("manual")]
    Manual,
}

/// <summary>How the output reached its destination.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    /// <summary>Storage only: nothing to deliver.</summary>
    [JsonStringEnumMemberName("not_required")]
    NotRequired,

    /// <summary>The webhook answered 2xx, or the email server accepted the message.</summary>
    [JsonStringEnumMemberName("delivered")]
    Delivered,

    /// <summary>Every attempt failed; see the delivery error.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,
}

/// <summary>A prompt that runs on a schedule (once, on a cron expression or at a fixed interval) and records each run.</summary>
/// <param name="Id">Schedule id.</param>
/// <param name="UserId">The user who owns it.</param>
/// <param name="Name">Display name.</param>
/// <param name="Prompt">The prompt text sent to the model.</param>
/// <param name="Model">Registry model id.</param>
/// <param name="Type">Once, cron or interval.</param>
/// <param name="CronExpression">For cron schedules: 5 fields, or 6 with seconds first.</param>
/// <param name="RunAt">For once schedules the instant to run; for interval schedules the first run (the anchor).</param>
/// <param name="IntervalMinutes">For interval schedules: minutes between runs.</param>
/// <param name="Timezone">IANA time zone the cron expression is evaluated in.</param>
/// <param name="IsActive">False when paused, finished (once, max runs) or never to run again.</param>
/// <param name="MaxRuns">Scheduled runs after which the schedule deactivates; null for no limit.</param>
/// <param name="RunCount">Scheduled runs so far (run-now requests are not counted).</param>
/// <param name="LastRun">When the last scheduled run started.</param>
/// <param name="NextRun">When the next run is due; null when inactive.</param>
/// <param name="NotificationEmail">Address for the email destination.</param>
/// <param name="OutputDestination">Storage, webhook or email.</param>
/// <param name="WebhookUrl">URL for the webhook destination.</param>
/// <param name="WebhookSecret">Key of the HMAC-SHA256 signature on webhook deliveries (see <see cref="WebhookSignature"/>). Shown once:
/// in the result of creating the schedule and of rotating its secret (<see cref="IScheduleService.RotateWebhookSecretAsync"/>);
/// null everywhere else.</param>
/// <param name="TotalRuns">Runs recorded for this schedule, run-now included.</param>
/// <param name="LastStatus">Status of the most recent run, if any.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="UpdatedAt">Last change.</param>
public sealed record ScheduledPrompt(
    Guid Id,
    Guid UserId,
    string Name,
    string Prompt,
    string Model,
    ScheduleType Type,
    string? CronExpression,
    DateTimeOffset? RunAt,
    int? IntervalMinutes,
    string Timezone,
    bool IsActive,
    int? MaxRuns,
    int RunCount,
    DateTimeOffset? LastRun,
    DateTimeOffset? NextRun,
    string? NotificationEmail,
    OutputDestination OutputDestination,
    string? WebhookUrl,
    string? WebhookSecret,
    long TotalRuns,
    ScheduleRunStatus? LastStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One execution of a scheduled prompt.</summary>
/// <param name="Id">Run id (also the webhook delivery id).</param>
/// <param name="ScheduleId">The schedule.</param>
/// <param name="Trigger">An occurrence of the schedule, or a run-now request.</param>
/// <param name="Status">Pending, running, completed or failed.</param>
/// <param name="ScheduledFor">The occurrence this run is for (the request time for run-now); unique per schedule.</param>
/// <param name="StartedAt">When a worker claimed it (the last claim, after a recovery).</param>
/// <param name="CompletedAt">When it completed or failed.</param>
/// <param name="Output">The model's answer.</param>
/// <param name="InputTokens">Input tokens reported by the provider.</param>
/// <param name="OutputTokens">Output tokens reported by the provider.</param>
/// <param name="TokensUsed">Input plus output tokens.</param>
/// <param name="Cost">The tenant's charge in USD from the pricing engine (6 decimals).</param>
/// <param name="LatencyMs">Milliseconds spent in the model call(s), retries included.</param>
/// <param name="Attempts">Calls made to the model, retries and recoveries included.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="DeliveryStatus">Outcome of the webhook or email delivery.</param>
/// <param name="DeliveryAttempts">Delivery attempts made.</param>
/// <param name="DeliveryError">Why delivery failed.</param>
/// <param name="CreatedAt">When the run was recorded.</param>
public sealed record ScheduleRun(
    Guid Id,
    Guid ScheduleId,
    RunTrigger Trigger,
    ScheduleRunStatus Status,
    DateTimeOffset ScheduledFor,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Output,
    int? InputTokens,
    int? OutputTokens,
    int? TokensUsed,
    decimal? Cost,
    int? LatencyMs,
    int Attempts,
    string? Error,
    DeliveryStatus? DeliveryStatus,
    int DeliveryAttempts,
    string? DeliveryError,
    DateTimeOffset CreatedAt);
