using Radiant.Errors;
using Radiant.Scheduling;

namespace Radiant.Tests.Scheduling;

/// <summary>
/// <see cref="ScheduleTiming"/> and <see cref="ScheduleDefinition.Validate"/> on their own: pure computations, no
/// clock and no database. Dates are 2025: Europe/Paris springs forward on 30 March (02:00 CET → 03:00 CEST, at
/// 01:00 UTC) and falls back on 26 October (03:00 CEST → 02:00 CET, at 01:00 UTC).
/// </summary>
public sealed class ScheduleTimingTests
{
    private const string Paris = "Europe/Paris";
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static ScheduleTiming Cron(string expression, string timezone = "UTC") => new(ScheduleType.Cron, expression, null, null, timezone);

    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.FindSystemTimeZoneById(id);

    /// <summary>Every occurrence in [from, to), by iterating NextOccurrence as a worker does.</summary>
    private static List<DateTimeOffset> Occurrences(ScheduleTiming timing, DateTimeOffset from, DateTimeOffset to)
    {
        var result = new List<DateTimeOffset>();
        var after = from.AddTicks(-1);
        while (timing.NextOccurrence(after) is { } next && next < to)
        {
            Assert.True(next > after, $"{next:O} is not after {after:O}");
            result.Add(next);
            after = next;
        }

        return result;
    }

    /// <summary>The start of a local calendar day in a zone, as an instant.</summary>
    private static DateTimeOffset LocalMidnight(string zone, int year, int month, int day)
    {
        var local = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone(zone).GetUtcOffset(local));
    }

    private static RadiantValidationException Invalid(ScheduleCreate input, bool requireFutureRunAt = true) =>
        Assert.Throws<RadiantValidationException>(() => input.ToDefinition().Validate(Now, requireFutureRunAt));

    private static ScheduleCreate ValidCron() => new("Digest", "Summarise.", "gpt-4o", ScheduleType.Cron) { CronExpression = "0 9 * * *" };

    [Fact]
    public void A_daily_cron_at_a_time_skipped_by_spring_forward_runs_once_that_day_at_the_end_of_the_gap()
    {
        var timing = Cron("30 2 * * *", Paris);

        var occurrences = Occurrences(timing, LocalMidnight(Paris, 2025, 3, 29), LocalMidnight(Paris, 2025, 4, 1));

        var perDay = occurrences.GroupBy(o => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(o, Zone(Paris)).DateTime)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(
            new Dictionary<DateOnly, int> { [new(2025, 3, 29)] = 1, [new(2025, 3, 30)] = 1, [new(2025, 3, 31)] = 1 },
            perDay);
        Assert.Equal(
            new[]
            {
                new DateTimeOffset(2025, 3, 29, 1, 30, 0, TimeSpan.Zero), // 02:30 CET
                new DateTimeOffset(2025, 3, 30, 1, 0, 0, TimeSpan.Zero), // 02:30 does not exist: 03:00 CEST, the first valid instant
                new DateTimeOffset(2025, 3, 31, 0, 30, 0, TimeSpan.Zero), // 02:30 CEST
            },
            occurrences);
        Assert.Equal(new TimeSpan(3, 0, 0), TimeZoneInfo.ConvertTime(occurrences[1], Zone(Paris)).TimeOfDay);
    }

    [Fact]
    public void A_daily_cron_at_a_time_repeated_by_fall_back_runs_once_that_day_at_its_first_occurrence()
    {
        var timing = Cron("30 2 * * *", Paris);

        var occurrences = Occurrences(timing, LocalMidnight(Paris, 2025, 10, 25), LocalMidnight(Paris, 2025, 10, 28));

        var perDay = occurrences.GroupBy(o => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(o, Zone(Paris)).DateTime)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(
            new Dictionary<DateOnly, int> { [new(2025, 10, 25)] = 1, [new(2025, 10, 26)] = 1, [new(2025, 10, 27)] = 1 },
            perDay);
        Assert.Equal(
            new[]
            {
                new DateTimeOffset(2025, 10, 25, 0, 30, 0, TimeSpan.Zero), // 02:30 CEST
                new DateTimeOffset(2025, 10, 26, 0, 30, 0, TimeSpan.Zero), // the first 02:30 (CEST), not the second (CET, 01:30 UTC)
                new DateTimeOffset(2025, 10, 27, 1, 30, 0, TimeSpan.Zero), // 02:30 CET
            },
            occurrences);
    }

    [Fact]
    public void A_daily_cron_in_new_york_runs_once_on_each_dst_change_day()
    {
        // America/New_York 2025: 02:00 EST jumps to 03:00 EDT on 9 March; 02:00 EDT falls back to 01:00 EST on 2 November.
        const string NewYork = "America/New_York";

        var spring = Occurrences(Cron("30 2 * * *", NewYork), LocalMidnight(NewYork, 2025, 3, 8), LocalMidnight(NewYork, 2025, 3, 11));
        var fall = Occurrences(Cron("30 1 * * *", NewYork), LocalMidnight(NewYork, 2025, 11, 1), LocalMidnight(NewYork, 2025, 11, 4));

        Assert.Equal(
            new[]
            {
                new DateTimeOffset(2025, 3, 8, 7, 30, 0, TimeSpan.Zero), // 02:30 EST
                new DateTimeOffset(2025, 3, 9, 7, 0, 0, TimeSpan.Zero), // 02:30 does not exist: 03:00 EDT
                new DateTimeOffset(2025, 3, 10, 6, 30, 0, TimeSpan.Zero), // 02:30 EDT
            },
            spring);
        Assert.Equal(
            new[]
            {
                new DateTimeOffset(2025, 11, 1, 5, 30, 0, TimeSpan.Zero), // 01:30 EDT
                new DateTimeOffset(2025, 11, 2, 5, 30, 0, TimeSpan.Zero), // the first 01:30 (EDT), not the second (EST, 06:30 UTC)
                new DateTimeOffset(2025, 11, 3, 6, 30, 0, TimeSpan.Zero), // 01:30 EST
            },
            fall);
    }

    [Fact]
    public void An_hourly_cron_keeps_firing_every_elapsed_hour_through_fall_back()
    {
        var timing = Cron("0 * * * *", Paris);

        // 26 October 2025 in Paris lasts 25 hours.
        var occurrences = Occurrences(timing, LocalMidnight(Paris, 2025, 10, 26), LocalMidnight(Paris, 2025, 10, 27));

        Assert.Equal(25, occurrences.Count);
        Assert.Equal(new DateTimeOffset(2025, 10, 25, 22, 0, 0, TimeSpan.Zero), occurrences[0]);
        Assert.All(occurrences.Zip(occurrences.Skip(1)), pair => Assert.Equal(TimeSpan.FromHours(1), pair.Second - pair.First));
        // Both 02:00 local times fire: 02:00 CEST (00:00 UTC) and 02:00 CET (01:00 UTC).
        Assert.Contains(new DateTimeOffset(2025, 10, 26, 0, 0, 0, TimeSpan.Zero), occurrences);
        Assert.Contains(new DateTimeOffset(2025, 10, 26, 1, 0, 0, TimeSpan.Zero), occurrences);
    }

    [Fact]
    public void An_hourly_cron_fires_every_elapsed_hour_through_spring_forward()
    {
        var timing = Cron("0 * * * *", Paris);

        // 30 March 2025 in Paris lasts 23 hours: 02:00 local never happens.
        var occurrences = Occurrences(timing, LocalMidnight(Paris, 2025, 3, 30), LocalMidnight(Paris, 2025, 3, 31));

        Assert.Equal(23, occurrences.Count);
        Assert.All(occurrences.Zip(occurrences.Skip(1)), pair => Assert.Equal(TimeSpan.FromHours(1), pair.Second - pair.First));
    }

    [Fact]
    public void Cron_is_evaluated_in_the_schedules_time_zone()
    {
        var tokyo = Cron("0 9 * * *", "Asia/Tokyo");

        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), tokyo.NextOccurrence(new DateTimeOffset(2024, 12, 31, 12, 0, 0, TimeSpan.Zero)));
        // Strictly after: 09:00 JST on 1 January is 00:00 UTC, so asking from that instant gives the next day.
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero), tokyo.NextOccurrence(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 9, 0, 0, TimeSpan.Zero), Cron("0 9 * * *").NextOccurrence(new DateTimeOffset(2024, 12, 31, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void A_six_field_expression_has_seconds_first()
    {
        var timing = Cron("30 */5 * * * *");

        var after = new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2025, 1, 1, 10, 0, 30, TimeSpan.Zero), timing.NextOccurrence(after));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 10, 5, 30, TimeSpan.Zero), timing.NextOccurrence(after.AddSeconds(30)));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 10, 0, 15, TimeSpan.Zero), Cron("*/15 * * * * *").NextOccurrence(after));
    }

    [Fact]
    public void Macros_such_as_daily_are_accepted_and_follow_the_time_zone()
    {
        var after = new DateTimeOffset(2025, 5, 5, 10, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2025, 5, 6, 0, 0, 0, TimeSpan.Zero), Cron("@daily").NextOccurrence(after));
        // Midnight in Paris in May (CEST) is 22:00 UTC the day before.
        Assert.Equal(new DateTimeOffset(2025, 5, 5, 22, 0, 0, TimeSpan.Zero), Cron("@daily", Paris).NextOccurrence(after));
        Assert.Equal(new DateTimeOffset(2025, 5, 5, 11, 0, 0, TimeSpan.Zero), Cron("@hourly").NextOccurrence(after));
    }

    [Fact]
    public void An_interval_is_anchored_and_gives_the_first_anchor_plus_k_periods_strictly_after()
    {
        var anchor = new DateTimeOffset(2025, 3, 29, 12, 0, 0, TimeSpan.Zero);
        var timing = new ScheduleTiming(ScheduleType.Interval, null, anchor, 60, "UTC");

        Assert.Equal(anchor, timing.NextOccurrence(anchor.AddMinutes(-1)));
        Assert.Equal(anchor.AddMinutes(60), timing.NextOccurrence(anchor));
        Assert.Equal(anchor.AddMinutes(120), timing.NextOccurrence(anchor.AddMinutes(90)));
        Assert.Equal(anchor.AddMinutes(180), timing.NextOccurrence(anchor.AddMinutes(120)));
        Assert.Equal(anchor.AddDays(365).AddMinutes(60), timing.NextOccurrence(anchor.AddDays(365).AddSeconds(1)));
    }

    [Fact]
    public void An_interval_counts_elapsed_time_whatever_the_time_zone_and_dst()
    {
        // Daily at 02:30 Paris time (CET) before spring forward: after the change it runs at 03:30 local, 24 hours later.
        var anchor = new DateTimeOffset(2025, 3, 29, 1, 30, 0, TimeSpan.Zero);
        var paris = new ScheduleTiming(ScheduleType.Interval, null, anchor, 1440, Paris);
        var utc = paris with { Timezone = "UTC" };

        var occurrences = Occurrences(paris, anchor, anchor.AddDays(4));

        Assert.Equal(Enumerable.Range(0, 4).Select(d => anchor.AddDays(d)), occurrences);
        Assert.Equal(occurrences, Occurrences(utc, anchor, anchor.AddDays(4)));
        // Through fall back too: 90 minutes apart in elapsed time, always.
        var fallAnchor = new DateTimeOffset(2025, 10, 25, 23, 0, 0, TimeSpan.Zero);
        var fall = Occurrences(paris with { RunAt = fallAnchor, IntervalMinutes = 90 }, fallAnchor, fallAnchor.AddHours(6));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => fallAnchor.AddMinutes(90 * i)), fall);
    }

    [Fact]
    public void A_once_schedule_occurs_only_while_its_instant_is_ahead()
    {
        var at = new DateTimeOffset(2025, 7, 1, 8, 0, 0, TimeSpan.Zero);
        var timing = new ScheduleTiming(ScheduleType.Once, null, at, null, "UTC");

        Assert.Equal(at, timing.NextOccurrence(at.AddTicks(-1)));
        Assert.Equal(at, timing.NextOccurrence(at.AddYears(-1)));
        Assert.Null(timing.NextOccurrence(at));
        Assert.Null(timing.NextOccurrence(at.AddMinutes(1)));
    }

    [Fact]
    public void Occurrences_are_returned_in_utc()
    {
        var after = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromHours(9));
        var at = new DateTimeOffset(2025, 7, 1, 10, 0, 0, TimeSpan.FromHours(2));

        var cron = Cron("0 9 * * *", "Asia/Tokyo").NextOccurrence(after);
        var once = new ScheduleTiming(ScheduleType.Once, null, at, null, Paris).NextOccurrence(after);
        var interval = new ScheduleTiming(ScheduleType.Interval, null, at, 30, Paris).NextOccurrence(at);

        Assert.Equal(TimeSpan.Zero, cron!.Value.Offset);
        Assert.Equal(TimeSpan.Zero, once!.Value.Offset);
        Assert.Equal(new DateTimeOffset(2025, 7, 1, 8, 0, 0, TimeSpan.Zero), once.Value);
        Assert.Equal(TimeSpan.Zero, interval!.Value.Offset);
        Assert.Equal(new DateTimeOffset(2025, 7, 1, 8, 30, 0, TimeSpan.Zero), interval.Value);
    }

    [Fact]
    public void Validate_returns_the_timing_with_defaults_applied()
    {
        var cron = (ValidCron() with { CronExpression = "  0 9 * * *  " }).ToDefinition().Validate(Now, requireFutureRunAt: true);
        var interval = new ScheduleCreate("Poll", "Check.", "gpt-4o", ScheduleType.Interval) { IntervalMinutes = 15 }.ToDefinition().Validate(Now, true);
        var localAnchor = new DateTimeOffset(2025, 6, 1, 16, 0, 0, TimeSpan.FromHours(2));
        var anchored = new ScheduleCreate("Poll", "Check.", "gpt-4o", ScheduleType.Interval) { IntervalMinutes = 15, RunAt = localAnchor }.ToDefinition().Validate(Now, true);

        Assert.Equal(new ScheduleTiming(ScheduleType.Cron, "0 9 * * *", null, null, "UTC"), cron);
        Assert.Equal(Now.AddMinutes(15), interval.RunAt);
        Assert.Equal(localAnchor, anchored.RunAt);
        Assert.Equal(TimeSpan.Zero, anchored.RunAt!.Value.Offset);
    }

    [Fact]
    public void Destination_defaults_to_email_when_an_address_is_given_and_to_storage_otherwise()
    {
        Assert.Equal(OutputDestination.Storage, ValidCron().ToDefinition().OutputDestination);
        Assert.Equal(OutputDestination.Email, (ValidCron() with { NotificationEmail = "me@example.test" }).ToDefinition().OutputDestination);
        Assert.Equal("UTC", ValidCron().ToDefinition().Timezone);
    }

    public static TheoryData<string, string> InvalidCronExpressions => new()
    {
        { "not a cron", "cronExpression" },
        { "61 * * * *", "cronExpression" },
        { "* * * *", "cronExpression" },
        { "0 0 30 2 *", "cronExpression" },
        { "   ", "cronExpression" },
    };

    [Theory]
    [MemberData(nameof(InvalidCronExpressions))]
    public void An_invalid_cron_expression_is_refused(string expression, string field)
    {
        var error = Invalid(ValidCron() with { CronExpression = expression });

        Assert.Equal([field], error.Errors.Keys);
    }

    [Fact]
    public void A_cron_schedule_needs_an_expression()
    {
        Assert.Equal(["cronExpression"], Invalid(ValidCron() with { CronExpression = null }).Errors.Keys);
        Assert.Equal(["cronExpression"], Invalid(ValidCron() with { CronExpression = new string('1', 101) }).Errors.Keys);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("")]
    [InlineData("Not a zone")]
    public void An_unknown_time_zone_is_refused(string timezone)
    {
        var error = Invalid(ValidCron() with { Timezone = timezone });

        Assert.Equal(["timezone"], error.Errors.Keys);
    }

    [Fact]
    public void A_once_instant_must_be_in_the_future_on_create()
    {
        var once = new ScheduleCreate("Reminder", "Remind me.", "gpt-4o", ScheduleType.Once);

        Assert.Equal(["runAt"], Invalid(once with { RunAt = Now.AddSeconds(-1) }).Errors.Keys);
        Assert.Equal(["runAt"], Invalid(once with { RunAt = Now }).Errors.Keys);
        Assert.Equal(["runAt"], Invalid(once).Errors.Keys);
        // An update that does not touch the timing keeps a passed instant.
        Assert.Equal(Now.AddDays(-1), (once with { RunAt = Now.AddDays(-1) }).ToDefinition().Validate(Now, requireFutureRunAt: false).RunAt);
        Assert.Equal(Now.AddSeconds(1), (once with { RunAt = Now.AddSeconds(1) }).ToDefinition().Validate(Now, requireFutureRunAt: true).RunAt);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(525_601)]
    public void An_interval_outside_one_minute_to_a_year_is_refused(int minutes)
    {
        var error = Invalid(new ScheduleCreate("Poll", "Check.", "gpt-4o", ScheduleType.Interval) { IntervalMinutes = minutes });

        Assert.Equal(["intervalMinutes"], error.Errors.Keys);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(525_600)]
    public void An_interval_of_one_minute_to_a_year_is_accepted(int minutes)
    {
        var timing = new ScheduleCreate("Poll", "Check.", "gpt-4o", ScheduleType.Interval) { IntervalMinutes = minutes }.ToDefinition().Validate(Now, true);

        Assert.Equal(minutes, timing.IntervalMinutes);
    }

    [Fact]
    public void An_interval_schedule_needs_its_minutes()
    {
        Assert.Equal(["intervalMinutes"], Invalid(new ScheduleCreate("Poll", "Check.", "gpt-4o", ScheduleType.Interval)).Errors.Keys);
    }

    [Fact]
    public void The_prompt_is_required_and_at_most_32000_characters()
    {
        Assert.Equal(["prompt"], Invalid(ValidCron() with { Prompt = "" }).Errors.Keys);
        Assert.Equal(["prompt"], Invalid(ValidCron() with { Prompt = "   " }).Errors.Keys);
        Assert.Equal(["prompt"], Invalid(ValidCron() with { Prompt = new string('p', 32_001) }).Errors.Keys);
        (ValidCron() with { Prompt = new string('p', 32_000) }).ToDefinition().Validate(Now, true);
    }

    [Fact]
    public void Name_and_model_are_required_and_bounded()
    {
        Assert.Equal(["name"], Invalid(ValidCron() with { Name = " " }).Errors.Keys);
        Assert.Equal(["name"], Invalid(ValidCron() with { Name = new string('n', 201) }).Errors.Keys);
        Assert.Equal(["model"], Invalid(ValidCron() with { Model = "" }).Errors.Keys);
        Assert.Equal(["model"], Invalid(ValidCron() with { Model = new string('m', 101) }).Errors.Keys);
    }

    [Fact]
    public void Fields_of_another_schedule_type_are_refused_rather_than_ignored()
    {
        var at = Now.AddDays(1);

        Assert.Equal(
            ["cronExpression", "intervalMinutes"],
            Invalid(new ScheduleCreate("R", "P", "gpt-4o", ScheduleType.Once) { RunAt = at, CronExpression = "0 9 * * *", IntervalMinutes = 5 }).Errors.Keys.Order());
        Assert.Equal(
            ["intervalMinutes", "runAt"],
            Invalid(ValidCron() with { RunAt = at, IntervalMinutes = 5 }).Errors.Keys.Order());
        Assert.Equal(
            ["cronExpression"],
            Invalid(new ScheduleCreate("P", "P", "gpt-4o", ScheduleType.Interval) { IntervalMinutes = 5, CronExpression = "0 9 * * *" }).Errors.Keys);
    }

    [Fact]
    public void Max_runs_must_be_between_one_and_a_million()
    {
        Assert.Equal(["maxRuns"], Invalid(ValidCron() with { MaxRuns = 0 }).Errors.Keys);
        Assert.Equal(["maxRuns"], Invalid(ValidCron() with { MaxRuns = -1 }).Errors.Keys);
        Assert.Equal(["maxRuns"], Invalid(ValidCron() with { MaxRuns = 1_000_001 }).Errors.Keys);
        (ValidCron() with { MaxRuns = 1_000_000 }).ToDefinition().Validate(Now, true);
        (ValidCron() with { MaxRuns = 1 }).ToDefinition().Validate(Now, true);
    }

    [Fact]
    public void A_webhook_destination_needs_an_http_url()
    {
        var webhook = ValidCron() with { OutputDestination = OutputDestination.Webhook };

        Assert.Equal(["webhookUrl"], Invalid(webhook).Errors.Keys);
        Assert.Equal(["webhookUrl"], Invalid(webhook with { WebhookUrl = "ftp://example.test/hook" }).Errors.Keys);
        Assert.Equal(["webhookUrl"], Invalid(webhook with { WebhookUrl = "javascript:alert(1)" }).Errors.Keys);
        Assert.Equal(["webhookUrl"], Invalid(webhook with { WebhookUrl = "/relative/hook" }).Errors.Keys);
        Assert.Equal(["webhookUrl"], Invalid(webhook with { WebhookUrl = "https://example.test/" + new string('a', 2048) }).Errors.Keys);
        (webhook with { WebhookUrl = "https://example.test/hook" }).ToDefinition().Validate(Now, true);
        (webhook with { WebhookUrl = "http://localhost:8080/hook" }).ToDefinition().Validate(Now, true);
    }

    [Fact]
    public void An_email_destination_needs_an_email_address()
    {
        var email = ValidCron() with { OutputDestination = OutputDestination.Email };

        Assert.Equal(["notificationEmail"], Invalid(email).Errors.Keys);
        Assert.Equal(["notificationEmail"], Invalid(email with { NotificationEmail = "not-an-address" }).Errors.Keys);
        Assert.Equal(["notificationEmail"], Invalid(email with { NotificationEmail = "me@" }).Errors.Keys);
        Assert.Equal(["notificationEmail"], Invalid(email with { NotificationEmail = "me @example.test" }).Errors.Keys);
        Assert.Equal(["notificationEmail"], Invalid(email with { NotificationEmail = " " }).Errors.Keys);
        (email with { NotificationEmail = "me@example.test" }).ToDefinition().Validate(Now, true);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var input = new ScheduleCreate("", "", "", ScheduleType.Cron)
        {
            CronExpression = "nope",
            Timezone = "Nowhere/Special",
            RunAt = Now.AddDays(1),
            IntervalMinutes = 0,
            MaxRuns = 0,
            OutputDestination = OutputDestination.Webhook,
            WebhookUrl = "ftp://example.test",
            NotificationEmail = "nobody",
        };

        var error = Invalid(input);

        Assert.Equal(
            ["cronExpression", "intervalMinutes", "maxRuns", "model", "name", "notificationEmail", "prompt", "runAt", "timezone", "webhookUrl"],
            error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(error.Errors, e => Assert.NotEmpty(e.Value));
        Assert.Contains("cronExpression", error.Message, StringComparison.Ordinal);
    }
}
