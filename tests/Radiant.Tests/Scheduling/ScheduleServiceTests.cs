using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Scheduling;
using Radiant.Tenancy;
using static Radiant.Tests.Scheduling.ScheduleSamples;

namespace Radiant.Tests.Scheduling;

/// <summary>
/// <see cref="IScheduleService"/> against a real database. No worker runs here, so run-now runs stay pending and
/// states only a worker reaches (a run count) are set with raw SQL as the owner. The services' clock is fake.
/// </summary>
public sealed class ScheduleServiceTests(ScheduleServiceDatabase db) : IClassFixture<ScheduleServiceDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IScheduleService Schedules => db.Schedules;

    private static RadiantCaller Me(RadiantCaller user) => user;

    private async Task<(RadiantCaller Owner, ScheduledPrompt Schedule)> CreateAsync(ScheduleCreate input, RadiantCaller? owner = null)
    {
        var user = owner ?? await db.NewUserAsync();
        return (user, await Schedules.CreateAsync(Me(user), input, Ct));
    }

    private Task<long> StoredSchedulesAsync(Guid tenantId) =>
        db.CountAsOwnerAsync($"SELECT count(*) FROM radiant.scheduled_prompts WHERE tenant_id = '{tenantId}'");

    private Task<long> StoredRunsAsync(Guid scheduleId) =>
        db.CountAsOwnerAsync($"SELECT count(*) FROM radiant.scheduled_prompt_runs WHERE prompt_id = '{scheduleId}'");

    /// <summary>What a worker would leave after <paramref name="runs"/> scheduled runs, with the schedule's activity as given.</summary>
    private Task<int> SetRunCountAsync(Guid scheduleId, int runs, bool? active = null) =>
        db.ExecuteAsOwnerAsync(active is { } a
            ? $"UPDATE radiant.scheduled_prompts SET run_count = {runs}, last_run = coalesce(run_at, now()), is_active = {a}, next_run = {(a ? "next_run" : "NULL")} WHERE id = '{scheduleId}'"
            : $"UPDATE radiant.scheduled_prompts SET run_count = {runs}, last_run = coalesce(run_at, now()) WHERE id = '{scheduleId}'");

    [Fact]
    public async Task Create_stores_the_schedule_with_its_next_run_computed_in_its_time_zone()
    {
        var owner = await db.NewUserAsync();
        var now = db.Now;

        var created = await Schedules.CreateAsync(Me(owner), Cron("0 9 * * *", "Asia/Tokyo") with { MaxRuns = 3 }, Ct);

        var expectedNext = new ScheduleTiming(ScheduleType.Cron, "0 9 * * *", null, null, "Asia/Tokyo").NextOccurrence(now);
        Assert.Equal(expectedNext, created.NextRun);
        Assert.Equal(0, created.NextRun!.Value.UtcDateTime.Hour);
        Assert.Equal(owner.UserId, created.UserId);
        Assert.Equal(("Morning digest", "Summarise the news.", "gpt-4o"), (created.Name, created.Prompt, created.Model));
        Assert.Equal((ScheduleType.Cron, "0 9 * * *", "Asia/Tokyo"), (created.Type, created.CronExpression, created.Timezone));
        Assert.Null(created.RunAt);
        Assert.Null(created.IntervalMinutes);
        Assert.True(created.IsActive);
        Assert.Equal((3, 0, 0L), (created.MaxRuns, created.RunCount, created.TotalRuns));
        Assert.Null(created.LastRun);
        Assert.Null(created.LastStatus);
        Assert.Equal(OutputDestination.Storage, created.OutputDestination);
        Assert.Equal(created with { WebhookSecret = null }, await Schedules.GetAsync(Me(owner), created.Id, Ct));
        Assert.Equal(1, await StoredSchedulesAsync(owner.TenantId));
    }

    [Fact]
    public async Task Create_a_once_schedule_runs_at_its_instant_and_an_interval_at_its_anchor()
    {
        var now = db.Now;

        var (_, once) = await CreateAsync(Once(now.AddHours(3)));
        var (_, interval) = await CreateAsync(Interval(45));
        var (_, anchored) = await CreateAsync(Interval(60, now.AddHours(-2).AddMinutes(-30)));

        Assert.Equal((now.AddHours(3), now.AddHours(3)), (once.RunAt, once.NextRun));
        // Without an anchor the first run is one interval from now, and that becomes the anchor.
        Assert.Equal((now.AddMinutes(45), now.AddMinutes(45)), (interval.RunAt, interval.NextRun));
        // An anchor in the past is kept; the next run is the first anchor + k intervals after now.
        Assert.Equal(now.AddHours(-2).AddMinutes(-30), anchored.RunAt);
        Assert.Equal(now.AddMinutes(30), anchored.NextRun);
        Assert.All(new[] { once, interval, anchored }, s => Assert.Equal(TimeSpan.Zero, s.NextRun!.Value.Offset));
    }

    [Fact]
    public async Task Create_defaults_the_destination_to_email_when_a_notification_email_is_given()
    {
        var (_, email) = await CreateAsync(Cron() with { NotificationEmail = "me@example.test" });
        var (_, storage) = await CreateAsync(Cron());

        Assert.Equal((OutputDestination.Email, "me@example.test"), (email.OutputDestination, email.NotificationEmail));
        Assert.Equal(OutputDestination.Storage, storage.OutputDestination);
    }

    [Fact]
    public async Task Create_generates_a_distinct_webhook_signing_secret()
    {
        var webhook = Cron() with { OutputDestination = OutputDestination.Webhook, WebhookUrl = "https://hooks.example.test/radiant" };

        var (owner, first) = await CreateAsync(webhook);
        var (_, second) = await CreateAsync(webhook, owner);

        Assert.Equal((OutputDestination.Webhook, "https://hooks.example.test/radiant"), (first.OutputDestination, first.WebhookUrl));
        Assert.StartsWith("whsec_", first.WebhookSecret, StringComparison.Ordinal);
        Assert.StartsWith("whsec_", second.WebhookSecret, StringComparison.Ordinal);
        Assert.True(first.WebhookSecret!.Length >= "whsec_".Length + 40, first.WebhookSecret);
        Assert.NotEqual(first.WebhookSecret, second.WebhookSecret);
    }

    [Fact]
    public async Task The_webhook_secret_is_shown_on_create_and_on_rotation_and_never_read_back()
    {
        var webhook = Cron() with { OutputDestination = OutputDestination.Webhook, WebhookUrl = "https://hooks.example.test/radiant" };
        var (owner, created) = await CreateAsync(webhook);

        Assert.Null((await Schedules.GetAsync(Me(owner), created.Id, Ct)).WebhookSecret);
        Assert.All((await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First), Ct)).Items, s => Assert.Null(s.WebhookSecret));
        Assert.Null((await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { Name = "renamed" }, Ct)).WebhookSecret);
        Assert.Null((await Schedules.PauseAsync(Me(owner), created.Id, Ct)).WebhookSecret);

        var rotated = await Schedules.RotateWebhookSecretAsync(Me(owner), created.Id, Ct);

        Assert.StartsWith("whsec_", rotated.WebhookSecret, StringComparison.Ordinal);
        Assert.NotEqual(created.WebhookSecret, rotated.WebhookSecret);
        Assert.Null((await Schedules.GetAsync(Me(owner), created.Id, Ct)).WebhookSecret);
        // What the worker signs with is the new secret.
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var stored = new Npgsql.NpgsqlCommand("SELECT webhook_secret FROM radiant.scheduled_prompts WHERE id = @id", connection);
        stored.Parameters.AddWithValue("id", created.Id);
        Assert.Equal(rotated.WebhookSecret, (string?)await stored.ExecuteScalarAsync(Ct));
        var stranger = await db.NewUserAsync();
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.RotateWebhookSecretAsync(Me(stranger), created.Id, Ct));
    }

    [Fact]
    public async Task Create_with_an_invalid_field_stores_nothing()
    {
        var owner = await db.NewUserAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.CreateAsync(Me(owner), Cron("every day at nine") with { Timezone = "Atlantis/Capital" }, Ct));

        Assert.Equal(["cronExpression", "timezone"], error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, await StoredSchedulesAsync(owner.TenantId));
    }

    [Fact]
    public async Task Create_with_a_model_not_in_the_registry_is_a_validation_error_and_stores_nothing()
    {
        var owner = await db.NewUserAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.CreateAsync(Me(owner), Cron() with { Model = "gpt-99-ultra" }, Ct));

        Assert.Equal(["model"], error.Errors.Keys);
        Assert.Equal(0, await StoredSchedulesAsync(owner.TenantId));
        Assert.Empty((await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First), Ct)).Items);
    }

    [Fact]
    public async Task Create_with_a_model_disabled_for_the_tenant_is_refused_while_other_tenants_may_use_it()
    {
        var owner = await db.NewUserAsync();
        var elsewhere = await db.NewUserAsync();
        await db.Registry.SetEnabledAsync(Admin(owner.TenantId), "gpt-4o", enabled: false, Ct);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Schedules.CreateAsync(Me(owner), Cron(), Ct));

        Assert.Equal(["model"], error.Errors.Keys);
        Assert.Equal(0, await StoredSchedulesAsync(owner.TenantId));
        Assert.Equal("gpt-4o", (await Schedules.CreateAsync(Me(elsewhere), Cron(), Ct)).Model);
        Assert.Equal("claude-4-sonnet", (await Schedules.CreateAsync(Me(owner), Cron() with { Model = "claude-4-sonnet" }, Ct)).Model);
    }

    [Fact]
    public async Task Create_for_a_user_who_was_never_provisioned_is_not_found()
    {
        var ghost = new RadiantCaller(Guid.NewGuid(), Guid.NewGuid());

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.CreateAsync(Me(ghost), Cron(), Ct));
    }

    [Fact]
    public async Task List_is_newest_first_with_paging_total_runs_and_last_status()
    {
        var owner = await db.NewUserAsync();
        var (_, first) = await CreateAsync(Cron(name: "first"), owner);
        var (_, second) = await CreateAsync(Interval(30, name: "second"), owner);
        var (_, third) = await CreateAsync(Once(db.Now.AddDays(1), name: "third"), owner);
        await Schedules.RunNowAsync(Me(owner), second.Id, Ct);
        await Schedules.RunNowAsync(Me(owner), second.Id, Ct);

        var page1 = await Schedules.ListAsync(Me(owner), new ScheduleListQuery(new PageRequest(Limit: 2)), Ct);
        var page2 = await Schedules.ListAsync(Me(owner), new ScheduleListQuery(new PageRequest(page1.NextCursor, 2)), Ct);
        var all = await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First), Ct);

        Assert.Equal([third.Id, second.Id], page1.Items.Select(s => s.Id));
        Assert.NotNull(page1.NextCursor);
        Assert.Equal([first.Id], page2.Items.Select(s => s.Id));
        Assert.Null(page2.NextCursor);
        Assert.Null(all.NextCursor);
        var counted = all.Items.Single(s => s.Id == second.Id);
        Assert.Equal((2L, ScheduleRunStatus.Pending, 0), (counted.TotalRuns, counted.LastStatus, counted.RunCount));
        Assert.All(all.Items.Where(s => s.Id != second.Id), s => Assert.Equal((0L, (ScheduleRunStatus?)null), (s.TotalRuns, s.LastStatus)));
        Assert.Equal(counted, await Schedules.GetAsync(Me(owner), second.Id, Ct));
    }

    [Fact]
    public async Task List_filters_on_active_and_refuses_a_bad_page()
    {
        var owner = await db.NewUserAsync();
        var (_, active) = await CreateAsync(Cron(), owner);
        var (_, paused) = await CreateAsync(Cron(), owner);
        await Schedules.PauseAsync(Me(owner), paused.Id, Ct);

        Assert.Equal([active.Id], (await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First, IsActive: true), Ct)).Items.Select(s => s.Id));
        Assert.Equal([paused.Id], (await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First, IsActive: false), Ct)).Items.Select(s => s.Id));
        Assert.Equal([paused.Id, active.Id], (await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First, UserId: owner.UserId), Ct)).Items.Select(s => s.Id));
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.ListAsync(Me(owner), new ScheduleListQuery(new PageRequest("forged", 0)), Ct));
        Assert.Equal(["limit"], error.Errors.Keys);
        var forged = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.ListAsync(Me(owner), new ScheduleListQuery(new PageRequest("forged", 10)), Ct));
        Assert.Equal(["cursor"], forged.Errors.Keys);
    }

    [Fact]
    public async Task Get_of_an_unknown_schedule_is_not_found()
    {
        var owner = await db.NewUserAsync();

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.GetAsync(Me(owner), Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task Update_of_the_name_only_keeps_the_timing_and_the_next_run()
    {
        var (owner, created) = await CreateAsync(Interval(60));
        // Past the stored next run: a recomputation from now would move it.
        db.Clock.Advance(TimeSpan.FromMinutes(90));

        var updated = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { Name = "Renamed", Prompt = "New prompt." }, Ct);

        Assert.Equal(("Renamed", "New prompt."), (updated.Name, updated.Prompt));
        Assert.Equal(created.NextRun, updated.NextRun);
        Assert.Equal(created.RunAt, updated.RunAt);
        Assert.Equal(created with { Name = "Renamed", Prompt = "New prompt.", UpdatedAt = updated.UpdatedAt, WebhookSecret = null }, updated);
        Assert.True(updated.UpdatedAt >= created.UpdatedAt);
    }

    [Fact]
    public async Task Update_of_the_cron_expression_recomputes_the_next_run_from_now()
    {
        var (owner, created) = await CreateAsync(Cron("0 9 * * *"));
        db.Clock.Advance(TimeSpan.FromMinutes(7));
        var now = db.Now;

        var updated = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { CronExpression = "*/10 * * * *", Timezone = "Europe/Paris" }, Ct);

        Assert.Equal(("*/10 * * * *", "Europe/Paris"), (updated.CronExpression, updated.Timezone));
        Assert.Equal(new ScheduleTiming(ScheduleType.Cron, "*/10 * * * *", null, null, "Europe/Paris").NextOccurrence(now), updated.NextRun);
        Assert.True(updated.NextRun > now && updated.NextRun <= now.AddMinutes(10));
        Assert.True(updated.IsActive);
    }

    [Fact]
    public async Task Update_of_the_type_drops_the_old_timing_fields_unless_given_again()
    {
        var owner = await db.NewUserAsync();
        var (_, once) = await CreateAsync(Once(db.Now.AddDays(2)), owner);
        var (_, other) = await CreateAsync(Once(db.Now.AddDays(2)), owner);
        var (_, cron) = await CreateAsync(Cron(), owner);
        var now = db.Now;

        var interval = await Schedules.UpdateAsync(Me(owner), once.Id, new ScheduleUpdate { Type = ScheduleType.Interval, IntervalMinutes = 30 }, Ct);
        var anchored = await Schedules.UpdateAsync(Me(owner), other.Id, new ScheduleUpdate { Type = ScheduleType.Interval, IntervalMinutes = 30, RunAt = now.AddHours(5) }, Ct);
        var toCron = await Schedules.UpdateAsync(Me(owner), (await CreateAsync(Once(now.AddDays(2)), owner)).Schedule.Id, new ScheduleUpdate { Type = ScheduleType.Cron, CronExpression = "@hourly" }, Ct);
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.UpdateAsync(Me(owner), cron.Id, new ScheduleUpdate { Type = ScheduleType.Once }, Ct));

        // once → interval: the once instant is dropped; the anchor is now + the interval.
        Assert.Equal((ScheduleType.Interval, 30, now.AddMinutes(30), now.AddMinutes(30)), (interval.Type, interval.IntervalMinutes, interval.RunAt, interval.NextRun));
        Assert.Equal((now.AddHours(5), now.AddHours(5)), (anchored.RunAt, anchored.NextRun));
        Assert.Equal((ScheduleType.Cron, "@hourly", (DateTimeOffset?)null), (toCron.Type, toCron.CronExpression, toCron.RunAt));
        Assert.Equal(new ScheduleTiming(ScheduleType.Cron, "@hourly", null, null, "UTC").NextOccurrence(now), toCron.NextRun);
        // cron → once needs a runAt; the cron expression is dropped rather than refused.
        Assert.Equal(["runAt"], error.Errors.Keys);
        Assert.Equal(cron with { WebhookSecret = null }, await Schedules.GetAsync(Me(owner), cron.Id, Ct));
    }

    [Fact]
    public async Task Update_clears_optional_fields_with_null()
    {
        var (owner, created) = await CreateAsync(Cron() with { MaxRuns = 5, NotificationEmail = "me@example.test", OutputDestination = OutputDestination.Storage });

        var updated = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { MaxRuns = null, NotificationEmail = null }, Ct);

        Assert.Null(updated.MaxRuns);
        Assert.Null(updated.NotificationEmail);
        Assert.Equal(created.NextRun, updated.NextRun);
        // The email destination needs its address.
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { OutputDestination = OutputDestination.Email }, Ct));
        Assert.Equal(["notificationEmail"], error.Errors.Keys);
    }

    [Fact]
    public async Task Lowering_max_runs_to_the_run_count_deactivates_the_schedule()
    {
        var (owner, created) = await CreateAsync(Cron("*/5 * * * *"));
        await SetRunCountAsync(created.Id, 2);

        var same = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { MaxRuns = 3 }, Ct);
        var finished = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { MaxRuns = 2 }, Ct);

        Assert.True(same.IsActive);
        Assert.Equal(created.NextRun, same.NextRun);
        Assert.Equal((2, 2, false), (finished.MaxRuns, finished.RunCount, finished.IsActive));
        Assert.Null(finished.NextRun);
        await Assert.ThrowsAsync<RadiantConflictException>(() => Schedules.ResumeAsync(Me(owner), created.Id, Ct));
    }

    [Fact]
    public async Task A_failed_update_leaves_the_schedule_unchanged()
    {
        var (owner, created) = await CreateAsync(Cron() with { MaxRuns = 4 });
        db.Clock.Advance(TimeSpan.FromMinutes(1));

        var invalid = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { Name = "Changed", CronExpression = "bogus", IntervalMinutes = 10 }, Ct));
        var unknownModel = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { Name = "Changed", Model = "no-such-model", MaxRuns = 1 }, Ct));

        Assert.Equal(["cronExpression", "intervalMinutes"], invalid.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["model"], unknownModel.Errors.Keys);
        Assert.Equal(created with { WebhookSecret = null }, await Schedules.GetAsync(Me(owner), created.Id, Ct));
    }

    [Fact]
    public async Task Update_of_an_unknown_schedule_is_not_found()
    {
        var owner = await db.NewUserAsync();

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.UpdateAsync(Me(owner), Guid.NewGuid(), new ScheduleUpdate { Name = "x" }, Ct));
    }

    [Fact]
    public async Task Pause_is_idempotent_and_clears_the_next_run()
    {
        var (owner, created) = await CreateAsync(Cron());

        var paused = await Schedules.PauseAsync(Me(owner), created.Id, Ct);
        var again = await Schedules.PauseAsync(Me(owner), created.Id, Ct);

        Assert.False(paused.IsActive);
        Assert.Null(paused.NextRun);
        Assert.Equal(paused, again);
        Assert.Equal(paused, await Schedules.GetAsync(Me(owner), created.Id, Ct));
    }

    [Fact]
    public async Task Update_of_a_paused_schedule_keeps_it_paused()
    {
        var (owner, created) = await CreateAsync(Cron());
        await Schedules.PauseAsync(Me(owner), created.Id, Ct);

        var updated = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { CronExpression = "@hourly" }, Ct);

        Assert.False(updated.IsActive);
        Assert.Null(updated.NextRun);
        Assert.Equal("@hourly", updated.CronExpression);
    }

    [Fact]
    public async Task Resume_recomputes_the_next_run_from_now_without_replaying_missed_runs()
    {
        var (owner, created) = await CreateAsync(Interval(60));
        await Schedules.PauseAsync(Me(owner), created.Id, Ct);
        db.Clock.Advance(TimeSpan.FromHours(5));
        var now = db.Now;

        var resumed = await Schedules.ResumeAsync(Me(owner), created.Id, Ct);

        Assert.True(resumed.IsActive);
        // Anchored at creation + 1h; five hours later the next run is the sixth hour, not the missed first one.
        Assert.Equal(created.RunAt!.Value.AddHours(5), resumed.NextRun);
        Assert.Equal(now.AddHours(1), resumed.NextRun);
        Assert.Equal(0, resumed.RunCount);
        Assert.Equal(0, await StoredRunsAsync(created.Id));
    }

    [Fact]
    public async Task Resume_of_a_cron_schedule_finds_its_next_occurrence_after_now()
    {
        var (owner, created) = await CreateAsync(Cron("30 2 * * *", "Europe/Paris"));
        await Schedules.PauseAsync(Me(owner), created.Id, Ct);
        db.Clock.Advance(TimeSpan.FromDays(3));

        var resumed = await Schedules.ResumeAsync(Me(owner), created.Id, Ct);

        Assert.Equal(new ScheduleTiming(ScheduleType.Cron, "30 2 * * *", null, null, "Europe/Paris").NextOccurrence(db.Now), resumed.NextRun);
        Assert.True(resumed.NextRun > created.NextRun!.Value.AddDays(2));
    }

    [Fact]
    public async Task Resume_of_an_active_schedule_changes_nothing()
    {
        var (owner, created) = await CreateAsync(Interval(60));
        db.Clock.Advance(TimeSpan.FromHours(3));

        Assert.Equal(created with { WebhookSecret = null }, await Schedules.ResumeAsync(Me(owner), created.Id, Ct));
    }

    [Fact]
    public async Task Resume_of_a_once_schedule_whose_instant_passed_while_paused_runs_it_now()
    {
        var (owner, created) = await CreateAsync(Once(db.Now.AddMinutes(2)));
        await Schedules.PauseAsync(Me(owner), created.Id, Ct);
        db.Clock.Advance(TimeSpan.FromMinutes(10));

        var resumed = await Schedules.ResumeAsync(Me(owner), created.Id, Ct);

        Assert.True(resumed.IsActive);
        Assert.Equal(db.Now, resumed.NextRun);
        Assert.Equal(created.RunAt, resumed.RunAt);
    }

    [Fact]
    public async Task Resume_of_a_once_schedule_still_ahead_keeps_its_instant()
    {
        var (owner, created) = await CreateAsync(Once(db.Now.AddHours(2)));
        await Schedules.PauseAsync(Me(owner), created.Id, Ct);
        db.Clock.Advance(TimeSpan.FromMinutes(10));

        var resumed = await Schedules.ResumeAsync(Me(owner), created.Id, Ct);

        Assert.Equal(created.RunAt, resumed.NextRun);
    }

    [Fact]
    public async Task Resume_of_a_once_schedule_that_already_ran_is_a_conflict()
    {
        var (owner, created) = await CreateAsync(Once(db.Now.AddMinutes(5)));
        await SetRunCountAsync(created.Id, 1, active: false);

        await Assert.ThrowsAsync<RadiantConflictException>(() => Schedules.ResumeAsync(Me(owner), created.Id, Ct));

        var stored = await Schedules.GetAsync(Me(owner), created.Id, Ct);
        Assert.False(stored.IsActive);
        Assert.Null(stored.NextRun);
    }

    [Fact]
    public async Task Renaming_a_once_schedule_that_already_ran_keeps_it_finished()
    {
        var (owner, created) = await CreateAsync(Once(db.Now.AddMinutes(5)));
        await SetRunCountAsync(created.Id, 1, active: false);
        db.Clock.Advance(TimeSpan.FromMinutes(10));

        var renamed = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { Name = "Done" }, Ct);

        Assert.Equal(("Done", false, created.RunAt), (renamed.Name, renamed.IsActive, renamed.RunAt));
        Assert.Null(renamed.NextRun);
    }

    [Fact]
    public async Task A_once_schedule_that_already_ran_runs_again_when_given_a_new_instant()
    {
        var (owner, created) = await CreateAsync(Once(db.Now.AddMinutes(5)));
        await SetRunCountAsync(created.Id, 1, active: false);
        db.Clock.Advance(TimeSpan.FromMinutes(10));
        var newInstant = db.Now.AddHours(1);

        // Resume refuses with "give it a new runAt to run it again": so give it one, then resume (unless the update re-armed it).
        var rescheduled = await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { RunAt = newInstant }, Ct);
        var armed = rescheduled.IsActive ? rescheduled : await Schedules.ResumeAsync(Me(owner), created.Id, Ct);

        Assert.Equal(newInstant, rescheduled.RunAt);
        Assert.True(armed.IsActive);
        Assert.Equal(newInstant, armed.NextRun);
    }

    [Fact]
    public async Task Resume_of_a_schedule_that_reached_its_max_runs_is_a_conflict()
    {
        var (owner, created) = await CreateAsync(Interval(15) with { MaxRuns = 2 });
        await SetRunCountAsync(created.Id, 2, active: false);

        await Assert.ThrowsAsync<RadiantConflictException>(() => Schedules.ResumeAsync(Me(owner), created.Id, Ct));

        // Raising the limit lets it resume.
        await Schedules.UpdateAsync(Me(owner), created.Id, new ScheduleUpdate { MaxRuns = 3 }, Ct);
        Assert.True((await Schedules.ResumeAsync(Me(owner), created.Id, Ct)).IsActive);
    }

    [Fact]
    public async Task Delete_removes_the_schedule_and_its_runs()
    {
        var (owner, created) = await CreateAsync(Cron());
        var (_, kept) = await CreateAsync(Cron(), owner);
        await Schedules.RunNowAsync(Me(owner), created.Id, Ct);
        await Schedules.RunNowAsync(Me(owner), created.Id, Ct);
        await Schedules.RunNowAsync(Me(owner), kept.Id, Ct);
        Assert.Equal(2, await StoredRunsAsync(created.Id));

        await Schedules.DeleteAsync(Me(owner), created.Id, Ct);

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.GetAsync(Me(owner), created.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.ListRunsAsync(Me(owner), created.Id, PageRequest.First, Ct));
        Assert.Equal(0, await StoredRunsAsync(created.Id));
        Assert.Equal(1, await StoredRunsAsync(kept.Id));
        Assert.Equal([kept.Id], (await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First), Ct)).Items.Select(s => s.Id));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.DeleteAsync(Me(owner), created.Id, Ct));
    }

    [Fact]
    public async Task Run_now_queues_a_pending_manual_run_without_counting_it_or_moving_the_next_run()
    {
        var (owner, created) = await CreateAsync(Cron() with { MaxRuns = 1 });

        var run = await Schedules.RunNowAsync(Me(owner), created.Id, Ct);

        Assert.Equal((created.Id, RunTrigger.Manual, ScheduleRunStatus.Pending), (run.ScheduleId, run.Trigger, run.Status));
        Assert.Equal(0, run.Attempts);
        Assert.Null(run.StartedAt);
        Assert.Null(run.CompletedAt);
        Assert.Null(run.Output);
        Assert.Null(run.TokensUsed);
        Assert.Null(run.Cost);
        Assert.Null(run.DeliveryStatus);
        Assert.True(run.ScheduledFor <= DateTimeOffset.UtcNow.AddMinutes(1) && run.ScheduledFor >= DateTimeOffset.UtcNow.AddMinutes(-5));
        var after = await Schedules.GetAsync(Me(owner), created.Id, Ct);
        Assert.Equal((1L, ScheduleRunStatus.Pending), (after.TotalRuns, after.LastStatus));
        Assert.Equal((0, created.NextRun, true), (after.RunCount, after.NextRun, after.IsActive));
        Assert.Equal(run, await Schedules.GetRunAsync(Me(owner), created.Id, run.Id, Ct));
    }

    [Fact]
    public async Task Run_now_works_on_a_paused_schedule_and_leaves_it_paused()
    {
        var (owner, created) = await CreateAsync(Cron());
        await Schedules.PauseAsync(Me(owner), created.Id, Ct);

        var run = await Schedules.RunNowAsync(Me(owner), created.Id, Ct);

        var after = await Schedules.GetAsync(Me(owner), created.Id, Ct);
        Assert.Equal(ScheduleRunStatus.Pending, run.Status);
        Assert.False(after.IsActive);
        Assert.Null(after.NextRun);
        Assert.Equal(1L, after.TotalRuns);
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_with_paging()
    {
        var (owner, created) = await CreateAsync(Cron());
        var runs = new List<ScheduleRun>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await Schedules.RunNowAsync(Me(owner), created.Id, Ct));
        }

        var page1 = await Schedules.ListRunsAsync(Me(owner), created.Id, new PageRequest(Limit: 2), Ct);
        var page2 = await Schedules.ListRunsAsync(Me(owner), created.Id, new PageRequest(page1.NextCursor, 2), Ct);

        Assert.Equal([runs[2], runs[1]], page1.Items);
        Assert.NotNull(page1.NextCursor);
        Assert.Equal([runs[0]], page2.Items);
        Assert.Null(page2.NextCursor);
        // A cursor of another list is refused rather than misread.
        var misused = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Schedules.ListAsync(Me(owner), new ScheduleListQuery(new PageRequest(page1.NextCursor, 2)), Ct));
        Assert.Equal(["cursor"], misused.Errors.Keys);
        await Assert.ThrowsAsync<RadiantValidationException>(() => Schedules.ListRunsAsync(Me(owner), created.Id, new PageRequest(Limit: 201), Ct));
    }

    [Fact]
    public async Task Runs_are_listed_by_occurrence_not_by_when_their_row_was_written()
    {
        var (owner, created) = await CreateAsync(Cron());
        var manual = await Schedules.RunNowAsync(Me(owner), created.Id, Ct);
        // An occurrence recorded after the manual run but due before it (a worker that caught up with a missed window).
        var earlier = manual.ScheduledFor.AddMinutes(-5);
        await db.ExecuteAsOwnerAsync($"INSERT INTO radiant.scheduled_prompt_runs (tenant_id, id, prompt_id, scheduled_for, run_trigger, status) " +
            $"VALUES ('{owner.TenantId}', '{Guid.CreateVersion7()}', '{created.Id}', '{earlier:O}', 'schedule', 'pending')");

        var page1 = await Schedules.ListRunsAsync(Me(owner), created.Id, new PageRequest(Limit: 1), Ct);
        var page2 = await Schedules.ListRunsAsync(Me(owner), created.Id, new PageRequest(page1.NextCursor, 1), Ct);

        Assert.Equal([manual.Id], page1.Items.Select(r => r.Id));
        Assert.Equal([earlier], page2.Items.Select(r => r.ScheduledFor));
        Assert.Null(page2.NextCursor);
        // The last status is the newest occurrence's, though its row is older.
        await db.ExecuteAsOwnerAsync($"UPDATE radiant.scheduled_prompt_runs SET status = 'failed', completed_at = now() WHERE id = '{manual.Id}'");
        Assert.Equal(ScheduleRunStatus.Failed, (await Schedules.GetAsync(Me(owner), created.Id, Ct)).LastStatus);
    }

    [Fact]
    public async Task Only_a_running_run_can_hold_a_lease()
    {
        var (owner, created) = await CreateAsync(Cron());
        var run = await Schedules.RunNowAsync(Me(owner), created.Id, Ct);

        // The worker's recording finds runs by lease token alone, so the database keeps tokens off other runs.
        var error = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsOwnerAsync(
            $"UPDATE radiant.scheduled_prompt_runs SET lease_token = gen_random_uuid() WHERE id = '{run.Id}'"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal("scheduled_prompt_runs_lease_only_running", error.ConstraintName);
    }

    [Fact]
    public async Task Get_run_finds_a_run_only_under_its_own_schedule()
    {
        var (owner, created) = await CreateAsync(Cron());
        var (_, other) = await CreateAsync(Cron(), owner);
        var run = await Schedules.RunNowAsync(Me(owner), created.Id, Ct);

        Assert.Equal(run, await Schedules.GetRunAsync(Me(owner), created.Id, run.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.GetRunAsync(Me(owner), other.Id, run.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.GetRunAsync(Me(owner), created.Id, Guid.NewGuid(), Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.RunNowAsync(Me(owner), Guid.NewGuid(), Ct));
    }
}
