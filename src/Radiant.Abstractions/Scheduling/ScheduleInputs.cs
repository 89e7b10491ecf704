using System.Text.Json.Serialization;
using Radiant.Common;
using Radiant.Errors;

namespace Radiant.Scheduling;

/// <summary>A new schedule. Fields that do not belong to <see cref="Type"/> are refused rather than ignored.</summary>
/// <param name="Name">Display name, 1–200 characters.</param>
/// <param name="Prompt">Prompt text, 1–32,000 characters.</param>
/// <param name="Model">A model id of the registry.</param>
/// <param name="Type">Once, cron or interval.</param>
public sealed record ScheduleCreate(string Name, string Prompt, string Model, ScheduleType Type)
{
    /// <summary>Cron schedules: 5 fields (minute hour day month weekday), 6 with seconds first, or a macro such as <c>@daily</c>.</summary>
    public string? CronExpression { get; init; }

    /// <summary>Once schedules: the instant to run (in the future). Interval schedules: the first run (default now + the interval).</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Interval schedules: minutes between runs, 1 to 525,600.</summary>
    public int? IntervalMinutes { get; init; }

    /// <summary>IANA time zone for cron schedules (default <c>UTC</c>).</summary>
    public string? Timezone { get; init; }

    /// <summary>Scheduled runs after which the schedule deactivates (1 or more); null for no limit.</summary>
    public int? MaxRuns { get; init; }

    /// <summary>Address for the email destination.</summary>
    public string? NotificationEmail { get; init; }

    /// <summary>Storage, webhook or email. Default: email when a notification email is given, otherwise storage.</summary>
    public OutputDestination? OutputDestination { get; init; }

    /// <summary>http(s) URL for the webhook destination.</summary>
    public string? WebhookUrl { get; init; }

    /// <summary>The complete definition this input describes, with defaults applied.</summary>
    public ScheduleDefinition ToDefinition() => new(
        Name,
        Prompt,
        Model,
        Type,
        CronExpression,
        RunAt,
        IntervalMinutes,
        Timezone ?? ScheduleLimits.DefaultTimezone,
        MaxRuns,
        NotificationEmail,
        OutputDestination ?? (NotificationEmail is null ? Scheduling.OutputDestination.Storage : Scheduling.OutputDestination.Email),
        WebhookUrl);
}

/// <summary>
/// A partial update: absent fields keep their value; a present null clears an optional field (max runs, email,
/// webhook URL). Changing the type drops the timing fields of the old type unless they are given again. A change of
/// timing recomputes the next run from now.
/// </summary>
public sealed record ScheduleUpdate
{
    /// <summary>New name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Name { get; init; }

    /// <summary>New prompt text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Prompt { get; init; }

    /// <summary>New model.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Model { get; init; }

    /// <summary>New type.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<ScheduleType> Type { get; init; }

    /// <summary>New cron expression.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> CronExpression { get; init; }

    /// <summary>New instant (once) or anchor (interval).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<DateTimeOffset?> RunAt { get; init; }

    /// <summary>New interval.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<int?> IntervalMinutes { get; init; }

    /// <summary>New time zone.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Timezone { get; init; }

    /// <summary>New run limit; null removes it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<int?> MaxRuns { get; init; }

    /// <summary>New notification email; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> NotificationEmail { get; init; }

    /// <summary>New output destination.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<OutputDestination> OutputDestination { get; init; }

    /// <summary>New webhook URL; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> WebhookUrl { get; init; }

    /// <summary>
    /// True when applying this update to <paramref name="current"/> changes when the schedule runs. Fields sent back
    /// with their stored value change nothing, so a client may PUT the whole object to rename a schedule.
    /// </summary>
    public bool ChangesTimingOf(ScheduleDefinition current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var updated = ApplyTo(current);
        return updated.Type != current.Type
            || !string.Equals(updated.CronExpression?.Trim(), current.CronExpression?.Trim(), StringComparison.Ordinal)
            || updated.RunAt != current.RunAt
            || updated.IntervalMinutes != current.IntervalMinutes
            || !string.Equals(updated.Timezone, current.Timezone, StringComparison.Ordinal);
    }

    /// <summary>Applies this update to a stored definition.</summary>
    public ScheduleDefinition ApplyTo(ScheduleDefinition current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var type = Type.GetValueOrDefault(current.Type);
        var typeChanged = type != current.Type;
        return current with
        {
            // A null for a field that cannot be cleared fails the definition's validation, naming the field.
            Name = Name.GetValueOrDefault(current.Name)!,
            Prompt = Prompt.GetValueOrDefault(current.Prompt)!,
            Model = Model.GetValueOrDefault(current.Model)!,
            Type = type,
            CronExpression = CronExpression.GetValueOrDefault(typeChanged ? null : current.CronExpression),
            RunAt = RunAt.GetValueOrDefault(typeChanged ? null : current.RunAt),
            IntervalMinutes = IntervalMinutes.GetValueOrDefault(typeChanged ? null : current.IntervalMinutes),
            Timezone = Timezone.GetValueOrDefault(current.Timezone)!,
            MaxRuns = MaxRuns.GetValueOrDefault(current.MaxRuns),
            NotificationEmail = NotificationEmail.GetValueOrDefault(current.NotificationEmail),
            OutputDestination = OutputDestination.GetValueOrDefault(current.OutputDestination),
            WebhookUrl = WebhookUrl.GetValueOrDefault(current.WebhookUrl),
        };
    }
}

/// <summary>The editable fields of a schedule, complete; what create and update both validate.</summary>
/// <param name="Name">Display name.</param>
/// <param name="Prompt">Prompt text.</param>
/// <param name="Model">Registry model id.</param>
/// <param name="Type">Once, cron or interval.</param>
/// <param name="CronExpression">Cron only.</param>
/// <param name="RunAt">Once: the instant; interval: the anchor (null means now + the interval).</param>
/// <param name="IntervalMinutes">Interval only.</param>
/// <param name="Timezone">IANA time zone.</param>
/// <param name="MaxRuns">Run limit or null.</param>
/// <param name="NotificationEmail">Email destination address.</param>
/// <param name="OutputDestination">Storage, webhook or email.</param>
/// <param name="WebhookUrl">Webhook destination URL.</param>
public sealed record ScheduleDefinition(
    string Name,
    string Prompt,
    string Model,
    ScheduleType Type,
    string? CronExpression,
    DateTimeOffset? RunAt,
    int? IntervalMinutes,
    string Timezone,
    int? MaxRuns,
    string? NotificationEmail,
    OutputDestination OutputDestination,
    string? WebhookUrl)
{
    /// <summary>
    /// Validates every field (all errors at once, as <see cref="RadiantValidationException"/>) and returns the timing
    /// with the interval anchor resolved. <paramref name="requireFutureRunAt"/> refuses a once instant that is not
    /// after <paramref name="now"/> (on create, and on an update that changes the timing).
    /// </summary>
    public ScheduleTiming Validate(DateTimeOffset now, bool requireFutureRunAt)
    {
        var errors = new ValidationErrors();
        errors.Required("name", Name, ScheduleLimits.NameMaxLength);
        if (string.IsNullOrWhiteSpace(Prompt))
        {
            errors.Add("prompt", "'prompt' is required.");
        }
        else
        {
            errors.MaxLength("prompt", Prompt, ScheduleLimits.PromptMaxLength);
        }

        errors.Required("model", Model, ScheduleLimits.ModelMaxLength);
        var zoneKnown = false;
        if (string.IsNullOrWhiteSpace(Timezone) || Timezone.Length > ScheduleLimits.TimezoneMaxLength
            || TextRules.FirstUnstorable(Timezone) is not null || !ScheduleTiming.TryFindZone(Timezone, out _))
        {
            errors.Add("timezone", "'timezone' must be an IANA time zone such as 'UTC' or 'Europe/Paris'; the one given is not known.");
        }
        else
        {
            zoneKnown = true;
        }

        var anchor = RunAt;
        switch (Type)
        {
            case ScheduleType.Once:
                NotFor(errors, "cronExpression", CronExpression, "once");
                NotFor(errors, "intervalMinutes", IntervalMinutes, "once");
                if (RunAt is null)
                {
                    errors.Add("runAt", "'runAt' is required for a once schedule.");
                }
                else if (requireFutureRunAt && RunAt <= now)
                {
                    errors.Add("runAt", $"'runAt' must be in the future (now is {now:O}).");
                }

                break;
            case ScheduleType.Cron:
                NotFor(errors, "runAt", RunAt, "cron");
                NotFor(errors, "intervalMinutes", IntervalMinutes, "cron");
                ValidateCron(errors, now, zoneKnown);
                break;
            case ScheduleType.Interval:
                NotFor(errors, "cronExpression", CronExpression, "interval");
                if (IntervalMinutes is null)
                {
                    errors.Add("intervalMinutes", "'intervalMinutes' is required for an interval schedule.");
                }
                else if (IntervalMinutes is < 1 or > ScheduleLimits.MaxIntervalMinutes)
                {
                    errors.Add("intervalMinutes", $"'intervalMinutes' must be between 1 and {ScheduleLimits.MaxIntervalMinutes}.");
                }
                else
                {
                    anchor ??= now.AddMinutes(IntervalMinutes.Value);
                }

                break;
            default:
                errors.Add("type", "'type' must be once, cron or interval.");
                break;
        }

        if (MaxRuns is < 1 or > ScheduleLimits.MaxRunsLimit)
        {
            errors.Add("maxRuns", $"'maxRuns' must be between 1 and {ScheduleLimits.MaxRunsLimit}, or null for no limit.");
        }

        ValidateDestination(errors);
        errors.ThrowIfAny();
        return new ScheduleTiming(Type, CronExpression?.Trim(), anchor?.ToUniversalTime(), IntervalMinutes, Timezone);
    }

    private void ValidateCron(ValidationErrors errors, DateTimeOffset now, bool zoneKnown)
    {
        if (string.IsNullOrWhiteSpace(CronExpression))
        {
            errors.Add("cronExpression", "'cronExpression' is required for a cron schedule.");
            return;
        }

        if (CronExpression.Length > ScheduleLimits.CronMaxLength || TextRules.FirstUnstorable(CronExpression) is not null)
        {
            errors.MaxLength("cronExpression", CronExpression, ScheduleLimits.CronMaxLength);
            return;
        }

        try
        {
            ScheduleTiming.ParseCron(CronExpression.Trim());
        }
        catch (Cronos.CronFormatException e)
        {
            errors.Add("cronExpression", $"'cronExpression' is not a valid cron expression: {e.Message}");
            return;
        }

        if (zoneKnown && new ScheduleTiming(ScheduleType.Cron, CronExpression.Trim(), null, null, Timezone).NextOccurrence(now) is null)
        {
            errors.Add("cronExpression", "'cronExpression' never fires.");
        }
    }

    private void ValidateDestination(ValidationErrors errors)
    {
        errors.Email("notificationEmail", NotificationEmail, ScheduleLimits.EmailMaxLength);
        errors.HttpUrl("webhookUrl", WebhookUrl, ScheduleLimits.WebhookUrlMaxLength);

        switch (OutputDestination)
        {
            case OutputDestination.Storage:
                break;
            case OutputDestination.Webhook when WebhookUrl is null:
                errors.Add("webhookUrl", "'webhookUrl' is required when the output destination is webhook.");
                break;
            case OutputDestination.Email when NotificationEmail is null:
                errors.Add("notificationEmail", "'notificationEmail' is required when the output destination is email.");
                break;
            case OutputDestination.Webhook or OutputDestination.Email:
                break;
            default:
                errors.Add("outputDestination", "'outputDestination' must be storage, webhook or email.");
                break;
        }
    }

    private static void NotFor<T>(ValidationErrors errors, string field, T? value, string type)
    {
        if (value is not null)
        {
            errors.Add(field, $"'{field}' does not apply to a {type} schedule.");
        }
    }
}

/// <summary>Which schedules to list.</summary>
/// <param name="Page">The slice to return.</param>
/// <param name="UserId">Tenant admins: only this user's schedules (default: the whole tenant's). Others always see their own.</param>
/// <param name="IsActive">Only active (true) or inactive (false) schedules.</param>
public sealed record ScheduleListQuery(PageRequest Page, Guid? UserId = null, bool? IsActive = null);

/// <summary>Limits on schedule fields, shared by validation and the database constraints.</summary>
public static class ScheduleLimits
{
    /// <summary>Time zone used when none is given.</summary>
    public const string DefaultTimezone = "UTC";

    /// <summary>Longest name.</summary>
    public const int NameMaxLength = 200;

    /// <summary>Longest prompt.</summary>
    public const int PromptMaxLength = 32_000;

    /// <summary>Longest model id.</summary>
    public const int ModelMaxLength = 100;

    /// <summary>Longest cron expression.</summary>
    public const int CronMaxLength = 100;

    /// <summary>Longest time zone id.</summary>
    public const int TimezoneMaxLength = 64;

    /// <summary>Longest interval (a year).</summary>
    public const int MaxIntervalMinutes = 525_600;

    /// <summary>Largest max runs.</summary>
    public const int MaxRunsLimit = 1_000_000;

    /// <summary>Longest email address.</summary>
    public const int EmailMaxLength = 320;

    /// <summary>Longest webhook URL.</summary>
    public const int WebhookUrlMaxLength = 2048;
}
