using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Scheduling;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Scheduling.ScheduleSamples;

namespace Radiant.Tests.Scheduling;

/// <summary>
/// Who reaches a schedule: its owner; a tenant admin of its tenant; nobody else, whatever they know about it. Then
/// the database on its own: the scheduler scope reads and advances schedules across tenants but never creates or
/// deletes them.
/// </summary>
public sealed class ScheduleIsolationTests(ScheduleServiceDatabase db) : IClassFixture<ScheduleServiceDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IScheduleService Schedules => db.Schedules;

    private static RadiantCaller Me(RadiantCaller user) => user;

    private static RadiantCaller Admin(RadiantCaller user) => user.AsTenantAdmin();

    /// <summary>A schedule with one run, owned by a new user of a new tenant.</summary>
    private async Task<(RadiantCaller Owner, ScheduledPrompt Schedule, ScheduleRun Run)> SeedAsync()
    {
        var owner = await db.NewUserAsync();
        var created = await Schedules.CreateAsync(Me(owner), Cron(), Ct);
        var run = await Schedules.RunNowAsync(Me(owner), created.Id, Ct);
        return (owner, await Schedules.GetAsync(Me(owner), created.Id, Ct), run);
    }

    private async Task AssertUnreachableAsync(RadiantCaller caller, Guid scheduleId, Guid runId)
    {
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.GetAsync(caller, scheduleId, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.UpdateAsync(caller, scheduleId, new ScheduleUpdate { Name = "hijacked" }, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.PauseAsync(caller, scheduleId, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.ResumeAsync(caller, scheduleId, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.RunNowAsync(caller, scheduleId, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.ListRunsAsync(caller, scheduleId, PageRequest.First, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.GetRunAsync(caller, scheduleId, runId, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.DeleteAsync(caller, scheduleId, Ct));
    }

    private static async Task<NpgsqlTransaction> BeginAsSchedulerAsync(NpgsqlConnection connection)
    {
        return await RawSql.BeginAsAppAsync(connection, tenantId: null, userId: null, scope: "scheduler");
    }

    [Fact]
    public async Task Another_user_of_the_tenant_cannot_reach_my_schedule()
    {
        var (owner, schedule, run) = await SeedAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);
        await Schedules.CreateAsync(Me(colleague), Cron(name: "theirs"), Ct);

        await AssertUnreachableAsync(Me(colleague), schedule.Id, run.Id);

        var theirs = await Schedules.ListAsync(Me(colleague), new ScheduleListQuery(PageRequest.First), Ct);
        Assert.Equal(["theirs"], theirs.Items.Select(s => s.Name));
        Assert.Equal(schedule, await Schedules.GetAsync(Me(owner), schedule.Id, Ct));
        Assert.Equal([run], (await Schedules.ListRunsAsync(Me(owner), schedule.Id, PageRequest.First, Ct)).Items);
    }

    [Fact]
    public async Task A_user_cannot_list_another_users_schedules()
    {
        var (owner, schedule, _) = await SeedAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() =>
            Schedules.ListAsync(Me(colleague), new ScheduleListQuery(PageRequest.First, UserId: owner.UserId), Ct));

        // Naming oneself is fine.
        Assert.Equal([schedule.Id], (await Schedules.ListAsync(Me(owner), new ScheduleListQuery(PageRequest.First, UserId: owner.UserId), Ct)).Items.Select(s => s.Id));
        Assert.Empty((await Schedules.ListAsync(Me(colleague), new ScheduleListQuery(PageRequest.First, UserId: colleague.UserId), Ct)).Items);
    }

    [Fact]
    public async Task A_tenant_admin_sees_and_manages_every_schedule_of_the_tenant()
    {
        var (owner, schedule, run) = await SeedAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);
        var colleagues = await Schedules.CreateAsync(Me(colleague), Interval(30), Ct);
        var admin = Admin(await db.NewUserAsync(owner.TenantId));

        Assert.Equal(schedule, await Schedules.GetAsync(admin, schedule.Id, Ct));
        Assert.Equal([colleagues.Id, schedule.Id], (await Schedules.ListAsync(admin, new ScheduleListQuery(PageRequest.First), Ct)).Items.Select(s => s.Id));
        Assert.Equal([schedule.Id], (await Schedules.ListAsync(admin, new ScheduleListQuery(PageRequest.First, UserId: owner.UserId), Ct)).Items.Select(s => s.Id));
        Assert.Equal([colleagues.Id], (await Schedules.ListAsync(admin, new ScheduleListQuery(PageRequest.First, UserId: colleague.UserId), Ct)).Items.Select(s => s.Id));
        Assert.Empty((await Schedules.ListAsync(admin, new ScheduleListQuery(PageRequest.First, UserId: admin.UserId), Ct)).Items);

        var renamed = await Schedules.UpdateAsync(admin, schedule.Id, new ScheduleUpdate { Name = "Renamed by admin" }, Ct);
        Assert.Equal(("Renamed by admin", owner.UserId), (renamed.Name, renamed.UserId));
        Assert.False((await Schedules.PauseAsync(admin, schedule.Id, Ct)).IsActive);
        Assert.True((await Schedules.ResumeAsync(admin, schedule.Id, Ct)).IsActive);
        var adminRun = await Schedules.RunNowAsync(admin, schedule.Id, Ct);
        Assert.Equal([adminRun.Id, run.Id], (await Schedules.ListRunsAsync(admin, schedule.Id, PageRequest.First, Ct)).Items.Select(r => r.Id));
        Assert.Equal(run, await Schedules.GetRunAsync(admin, schedule.Id, run.Id, Ct));
        await Schedules.DeleteAsync(admin, schedule.Id, Ct);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Schedules.GetAsync(Me(owner), schedule.Id, Ct));
        Assert.Equal(colleagues with { WebhookSecret = null }, await Schedules.GetAsync(Me(colleague), colleagues.Id, Ct));
    }

    [Fact]
    public async Task Another_tenant_even_its_admin_sees_nothing()
    {
        var (owner, schedule, run) = await SeedAsync();
        var stranger = await db.NewUserAsync();
        // Even a user with the owner's id in another tenant.
        var twin = await db.NewUserAsync(stranger.TenantId, owner.UserId);

        foreach (var caller in new[] { Me(stranger), Admin(stranger), Me(twin), Admin(twin) })
        {
            await AssertUnreachableAsync(caller, schedule.Id, run.Id);
            Assert.Empty((await Schedules.ListAsync(caller, new ScheduleListQuery(PageRequest.First), Ct)).Items);
        }

        Assert.Empty((await Schedules.ListAsync(Admin(stranger), new ScheduleListQuery(PageRequest.First, UserId: owner.UserId), Ct)).Items);
        Assert.Equal(schedule, await Schedules.GetAsync(Me(owner), schedule.Id, Ct));
    }

    [Fact]
    public async Task The_application_role_in_another_tenant_sees_no_schedule_or_run_rows()
    {
        var (owner, schedule, _) = await SeedAsync();
        var stranger = await db.NewUserAsync();
        await using var connection = await db.OpenOwnerConnectionAsync();

        await using (var tx = await RawSql.BeginAsAppAsync(connection, owner.TenantId, owner.UserId))
        {
            Assert.Equal(1, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompts WHERE id = '{schedule.Id}'"));
            Assert.Equal(1, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompt_runs WHERE prompt_id = '{schedule.Id}'"));
        }

        await using (var tx = await RawSql.BeginAsAppAsync(connection, stranger.TenantId, stranger.UserId))
        {
            Assert.Equal(0, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompts WHERE tenant_id = '{owner.TenantId}'"));
            Assert.Equal(0, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompt_runs WHERE tenant_id = '{owner.TenantId}'"));
            Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"UPDATE radiant.scheduled_prompts SET prompt_name = 'x' WHERE id = '{schedule.Id}'"));
            Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"DELETE FROM radiant.scheduled_prompt_runs WHERE prompt_id = '{schedule.Id}'"));
        }
    }

    [Fact]
    public async Task The_scheduler_scope_reads_and_advances_schedules_of_every_tenant()
    {
        var (first, a, _) = await SeedAsync();
        var (_, b, _) = await SeedAsync();
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await BeginAsSchedulerAsync(connection);

        Assert.Equal(2, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompts WHERE id IN ('{a.Id}', '{b.Id}')"));
        Assert.Equal(2, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompt_runs WHERE prompt_id IN ('{a.Id}', '{b.Id}')"));
        Assert.Equal(2, await RawSql.ExecuteAsync(connection, tx,
            $"UPDATE radiant.scheduled_prompts SET next_run = next_run + interval '1 day', run_count = run_count + 1 WHERE id IN ('{a.Id}', '{b.Id}')"));
        Assert.Equal(1, await RawSql.CountAsync(connection, tx, $"SELECT run_count FROM radiant.scheduled_prompts WHERE id = '{a.Id}'"));
        // It may record runs of any tenant...
        Assert.Equal(1, await RawSql.ExecuteAsync(connection, tx,
            "INSERT INTO radiant.scheduled_prompt_runs (tenant_id, id, prompt_id, scheduled_for, run_trigger) VALUES (@tenant, gen_random_uuid(), @prompt, now() + interval '1 hour', 'schedule')",
            ("tenant", first.TenantId), ("prompt", a.Id)));
        // ...but never delete a schedule or its runs.
        Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"DELETE FROM radiant.scheduled_prompts WHERE id = '{a.Id}'"));
        Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"DELETE FROM radiant.scheduled_prompt_runs WHERE prompt_id = '{a.Id}'"));
        Assert.Equal(1, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompts WHERE id = '{a.Id}'"));
        Assert.Equal(2, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.scheduled_prompt_runs WHERE prompt_id = '{a.Id}'"));
    }

    [Fact]
    public async Task The_scheduler_scope_cannot_create_schedules()
    {
        var (owner, _, _) = await SeedAsync();
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await BeginAsSchedulerAsync(connection);

        var error = await Assert.ThrowsAsync<PostgresException>(() => RawSql.ExecuteAsync(connection, tx,
            "INSERT INTO radiant.scheduled_prompts (tenant_id, id, user_id, prompt_name, prompt_text, model, schedule_type, run_at, next_run) VALUES (@tenant, gen_random_uuid(), @user, 'p', 'p', 'gpt-4o', 'once', now(), now())",
            ("tenant", owner.TenantId), ("user", owner.UserId)));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task Without_a_scope_or_a_tenant_the_application_role_sees_and_changes_no_schedule()
    {
        var (_, schedule, _) = await SeedAsync();
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, tenantId: null, userId: null);

        Assert.Equal(0, await RawSql.CountAsync(connection, tx, "SELECT count(*) FROM radiant.scheduled_prompts"));
        Assert.Equal(0, await RawSql.CountAsync(connection, tx, "SELECT count(*) FROM radiant.scheduled_prompt_runs"));
        Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"UPDATE radiant.scheduled_prompts SET next_run = now() WHERE id = '{schedule.Id}'"));
        await tx.RollbackAsync(Ct);

        // Another scope is no scheduler.
        await using var system = await RawSql.BeginAsAppAsync(connection, tenantId: null, userId: null, scope: "system");
        Assert.Equal(0, await RawSql.CountAsync(connection, system, "SELECT count(*) FROM radiant.scheduled_prompts"));
    }
}
