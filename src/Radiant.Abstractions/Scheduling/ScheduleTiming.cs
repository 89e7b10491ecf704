using System.Collections.Concurrent;
using Cronos;

namespace Radiant.Scheduling;

/// <summary>
/// When a schedule runs, and the one place that computes its occurrences. Pure: no clock, no database.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>Cron</b> is evaluated in <see cref="Timezone"/> with Cronos, which is DST-correct: a local time that does
/// not exist on a spring-forward day runs once, at the first valid instant after the gap; a local time that occurs
/// twice on a fall-back day runs once, at its first occurrence (expressions that fire every hour or more often keep
/// firing through both repeated hours, as elapsed time demands).</item>
/// <item><b>Interval</b> counts elapsed time from its anchor (<see cref="RunAt"/>): anchor + k × N minutes, so a
/// DST change neither skips nor doubles a run and the time zone does not matter.</item>
/// <item><b>Once</b> occurs at <see cref="RunAt"/>.</item>
/// </list>
/// </remarks>
/// <param name="Type">Once, cron or interval.</param>
/// <param name="CronExpression">The cron expression (cron only): 5 fields, 6 fields with seconds first, or a macro such as <c>@daily</c>.</param>
/// <param name="RunAt">The instant (once) or the anchor (interval).</param>
/// <param name="IntervalMinutes">Minutes between runs (interval only).</param>
/// <param name="Timezone">IANA time zone id (cron only; others ignore it).</param>
public readonly record struct ScheduleTiming(ScheduleType Type, string? CronExpression, DateTimeOffset? RunAt, int? IntervalMinutes, string Timezone)
{
    private const int MaxCachedExpressions = 10_000;
    private static readonly ConcurrentDictionary<string, CronExpression> ParsedExpressions = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TimeZoneInfo> Zones = new(StringComparer.Ordinal);

    /// <summary>
    /// The first occurrence strictly after <paramref name="after"/>, in UTC, or null when there is none (a once
    /// schedule whose instant has passed, a cron expression that never fires again). Throws
    /// <see cref="TimeZoneNotFoundException"/> when this machine's time zone database lacks <see cref="Timezone"/>,
    /// <see cref="FormatException"/> when <see cref="CronExpression"/> is not a valid cron expression, and
    /// <see cref="InvalidOperationException"/> when a field the type needs is missing. Timings returned by
    /// <see cref="ScheduleDefinition.Validate"/> raise neither of the last two.
    /// </summary>
    public DateTimeOffset? NextOccurrence(DateTimeOffset after) => NextOccurrenceInZone(after)?.ToUniversalTime();

    private DateTimeOffset? NextOccurrenceInZone(DateTimeOffset after)
    {
        switch (Type)
        {
            case ScheduleType.Once:
                return RunAt is { } at && at > after ? at : null;
            case ScheduleType.Interval:
                var anchor = RunAt ?? throw new InvalidOperationException("An interval schedule needs its anchor (RunAt).");
                var period = TimeSpan.FromMinutes(IntervalMinutes ?? throw new InvalidOperationException("An interval schedule needs IntervalMinutes."));
                if (anchor > after)
                {
                    return anchor;
                }

                var elapsedPeriods = (after - anchor).Ticks / period.Ticks;
                return anchor + TimeSpan.FromTicks((elapsedPeriods + 1) * period.Ticks);
            case ScheduleType.Cron:
                var expression = ParseCron(CronExpression ?? throw new InvalidOperationException("A cron schedule needs its expression."));
                return expression.GetNextOccurrence(after, FindZone(Timezone), inclusive: false);
            default:
                throw new InvalidOperationException($"Unknown schedule type {Type}.");
        }
    }

    /// <summary>
    /// Parses a cron expression (cached); throws <see cref="CronFormatException"/> (a <see cref="FormatException"/>)
    /// when it is not valid. Internal so that no Cronos type is part of the public surface.
    /// </summary>
    internal static CronExpression ParseCron(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (ParsedExpressions.TryGetValue(expression, out var parsed))
        {
            return parsed;
        }

        var fields = expression.Split(' ', '\t').Count(f => f.Length > 0);
        parsed = Cronos.CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        if (ParsedExpressions.Count >= MaxCachedExpressions)
        {
            ParsedExpressions.Clear();
        }

        ParsedExpressions.TryAdd(expression, parsed);
        return parsed;
    }

    /// <summary>True when <paramref name="id"/> names a time zone this machine knows (IANA ids such as <c>Europe/Paris</c>).</summary>
    internal static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        if (Zones.TryGetValue(id, out var cached))
        {
            zone = cached;
            return true;
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found))
        {
            return false;
        }

        Zones.TryAdd(id, found);
        zone = found;
        return true;
    }

    private static TimeZoneInfo FindZone(string id) =>
        TryFindZone(id, out var zone) ? zone : throw new TimeZoneNotFoundException($"Unknown time zone '{id}'.");
}
