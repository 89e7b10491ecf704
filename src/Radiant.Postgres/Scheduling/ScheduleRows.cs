using Radiant.Postgres.Tenancy;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>Column lists and row shapes shared by the schedule service and the worker.</summary>
internal static class ScheduleRows
{
    public const string ScheduleColumns =
        "s.id AS Id, s.user_id AS UserId, s.prompt_name AS Name, s.prompt_text AS Prompt, s.model AS Model, " +
        "s.schedule_type AS Type, s.cron_expression AS CronExpression, s.run_at AS RunAt, s.interval_minutes AS IntervalMinutes, " +
        "s.timezone AS Timezone, s.is_active AS IsActive, s.max_runs AS MaxRuns, s.run_count AS RunCount, s.last_run AS LastRun, " +
        "s.next_run AS NextRun, s.notification_email AS NotificationEmail, s.output_destination AS OutputDestination, " +
        "s.webhook_url AS WebhookUrl, s.total_runs AS TotalRuns, s.created_at AS CreatedAt, s.updated_at AS UpdatedAt, " +
        "(SELECT r.status FROM {schema}.scheduled_prompt_runs r WHERE r.tenant_id = s.tenant_id AND r.prompt_id = s.id " +
        "ORDER BY r.scheduled_for DESC LIMIT 1) AS LastStatus";

    public const string RunColumns =
        "r.id AS Id, r.prompt_id AS ScheduleId, r.run_trigger AS Trigger, r.status AS Status, r.scheduled_for AS ScheduledFor, " +
        "r.started_at AS StartedAt, r.completed_at AS CompletedAt, r.output AS Output, r.input_tokens AS InputTokens, " +
        "r.output_tokens AS OutputTokens, r.cost AS Cost, r.latency_ms AS LatencyMs, r.attempts AS Attempts, r.error_message AS Error, " +
        "r.delivery_status AS DeliveryStatus, r.delivery_attempts AS DeliveryAttempts, r.delivery_error AS DeliveryError, r.created_at AS CreatedAt";

    internal sealed class ScheduleRow
    {
        public Guid Id { get; init; }
        public Guid UserId { get; init; }
        public string Name { get; init; } = "";
        public string Prompt { get; init; } = "";
        public string Model { get; init; } = "";
        public string Type { get; init; } = "";
        public string? CronExpression { get; init; }
        public DateTime? RunAt { get; init; }
        public int? IntervalMinutes { get; init; }
        public string Timezone { get; init; } = "UTC";
        public bool IsActive { get; init; }
        public int? MaxRuns { get; init; }
        public int RunCount { get; init; }
        public DateTime? LastRun { get; init; }
        public DateTime? NextRun { get; init; }
        public string? NotificationEmail { get; init; }
        public string OutputDestination { get; init; } = "storage";
        public string? WebhookUrl { get; init; }
        public long TotalRuns { get; init; }
        public string? LastStatus { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public ScheduleDefinition ToDefinition() => new(
            Name, Prompt, Model, DbEnum.Parse<ScheduleType>(Type), CronExpression, Utc(RunAt), IntervalMinutes, Timezone, MaxRuns,
            NotificationEmail, DbEnum.Parse<OutputDestination>(OutputDestination), WebhookUrl);

        public ScheduledPrompt ToSchedule() => new(
            Id, UserId, Name, Prompt, Model, DbEnum.Parse<ScheduleType>(Type), CronExpression, Utc(RunAt), IntervalMinutes, Timezone, IsActive, MaxRuns,
            RunCount, Utc(LastRun), Utc(NextRun), NotificationEmail, DbEnum.Parse<OutputDestination>(OutputDestination), WebhookUrl, WebhookSecret: null,
            TotalRuns, LastStatus is null ? null : DbEnum.Parse<ScheduleRunStatus>(LastStatus), Utc(CreatedAt), Utc(UpdatedAt));
    }

    internal sealed class RunRow
    {
        public Guid Id { get; init; }
        public Guid ScheduleId { get; init; }
        public string Trigger { get; init; } = "schedule";
        public string Status { get; init; } = "pending";
        public DateTime ScheduledFor { get; init; }
        public DateTime? StartedAt { get; init; }
        public DateTime? CompletedAt { get; init; }
        public string? Output { get; init; }
        public int? InputTokens { get; init; }
        public int? OutputTokens { get; init; }
        public decimal? Cost { get; init; }
        public int? LatencyMs { get; init; }
        public int Attempts { get; init; }
        public string? Error { get; init; }
        public string? DeliveryStatus { get; init; }
        public int DeliveryAttempts { get; init; }
        public string? DeliveryError { get; init; }
        public DateTime CreatedAt { get; init; }

        public ScheduleRun ToRun() => new(
            Id, ScheduleId, DbEnum.Parse<RunTrigger>(Trigger), DbEnum.Parse<ScheduleRunStatus>(Status), Utc(ScheduledFor),
            Utc(StartedAt), Utc(CompletedAt), Output, InputTokens, OutputTokens,
            InputTokens is null && OutputTokens is null ? null : (InputTokens ?? 0) + (OutputTokens ?? 0),
            Cost, LatencyMs, Attempts, Error, DeliveryStatus is null ? null : DbEnum.Parse<DeliveryStatus>(DeliveryStatus), DeliveryAttempts, DeliveryError,
            Utc(CreatedAt));
    }

    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public static DateTimeOffset? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}
