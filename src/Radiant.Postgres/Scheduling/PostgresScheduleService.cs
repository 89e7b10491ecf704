using System.Security.Cryptography;
using Dapper;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Scheduling;
using Radiant.Tenancy;
using static Radiant.Postgres.Scheduling.ScheduleRows;

namespace Radiant.Postgres.Scheduling;

/// <summary>
/// Schedule CRUD under row-level security, plus the visibility rule on top: a user reaches only their own schedules
/// (anything else is "not found"), a tenant admin every schedule of the tenant. Every committed change notifies the
/// workers' channel so a due run starts without waiting for the next poll.
/// </summary>
internal sealed class PostgresScheduleService : IScheduleService
{
    private readonly RadiantDb _db;
    private readonly string _channel;
    private readonly string _selectVisible;
    private readonly string _list;
    private readonly string _insert;
    private readonly string _update;
    private readonly string _setActive;
    private readonly string _listRuns;
    private readonly string _getRun;
    private readonly string _insertManualRun;
    private readonly string _modelCheck;
    private readonly string _rotateSecret;

    public PostgresScheduleService(RadiantDb db)
    {
        _db = db;
        _channel = RadiantChannels.Schedules(db);
        _selectVisible = db.Sql($$"""
            SELECT {{ScheduleColumns}} FROM {schema}.scheduled_prompts s
            WHERE s.id = @Id AND (@Admin OR s.user_id = @UserId)
            """);
        _list = db.Sql($$"""
            SELECT {{ScheduleColumns}} FROM {schema}.scheduled_prompts s
            WHERE (@Owner::uuid IS NULL OR s.user_id = @Owner) AND (@Active::boolean IS NULL OR s.is_active = @Active)
              AND (@AfterCreated::timestamptz IS NULL OR (s.created_at, s.id) < (@AfterCreated, @AfterId::uuid))
            ORDER BY s.created_at DESC, s.id DESC
            LIMIT @Limit
            """);
        _insert = db.Sql("""
            INSERT INTO {schema}.scheduled_prompts (
                tenant_id, id, user_id, prompt_name, prompt_text, model, schedule_type, cron_expression, run_at, interval_minutes,
                timezone, max_runs, next_run, notification_email, output_destination, webhook_url, webhook_secret)
            VALUES (@TenantId, @Id, @UserId, @Name, @Prompt, @Model, @Type, @CronExpression, @RunAt, @IntervalMinutes,
                @Timezone, @MaxRuns, @NextRun, @NotificationEmail, @OutputDestination, @WebhookUrl, @WebhookSecret);
            SELECT pg_notify(@Channel, '');
            """);
        _update = db.Sql("""
            UPDATE {schema}.scheduled_prompts SET
                prompt_name = @Name, prompt_text = @Prompt, model = @Model, schedule_type = @Type, cron_expression = @CronExpression,
                run_at = @RunAt, interval_minutes = @IntervalMinutes, timezone = @Timezone, max_runs = @MaxRuns,
                notification_email = @NotificationEmail, output_destination = @OutputDestination, webhook_url = @WebhookUrl,
                is_active = @IsActive, next_run = @NextRun, updated_at = now()
            WHERE tenant_id = @TenantId AND id = @Id;
            SELECT pg_notify(@Channel, '');
            """);
        _setActive = db.Sql("""
            UPDATE {schema}.scheduled_prompts SET is_active = @IsActive, next_run = @NextRun, updated_at = now()
            WHERE tenant_id = @TenantId AND id = @Id;
            SELECT pg_notify(@Channel, '');
            """);
        _listRuns = db.Sql($$"""
            SELECT {{RunColumns}} FROM {schema}.scheduled_prompt_runs r
            WHERE r.tenant_id = @TenantId AND r.prompt_id = @Id
              AND (@AfterScheduled::timestamptz IS NULL OR r.scheduled_for < @AfterScheduled)
            ORDER BY r.scheduled_for DESC
            LIMIT @Limit
            """);
        _getRun = db.Sql($$"""
            SELECT {{RunColumns}} FROM {schema}.scheduled_prompt_runs r
            WHERE r.tenant_id = @TenantId AND r.prompt_id = @Id AND r.id = @RunId
            """);
        _insertManualRun = db.Sql($$"""
            WITH counted AS (
                UPDATE {schema}.scheduled_prompts SET total_runs = total_runs + 1 WHERE tenant_id = @TenantId AND id = @Id
            )
            INSERT INTO {schema}.scheduled_prompt_runs AS r (tenant_id, id, prompt_id, scheduled_for, run_trigger, status)
            VALUES (@TenantId, @RunId, @Id, clock_timestamp(), 'manual', 'pending')
            RETURNING {{RunColumns}};
            """);
        _rotateSecret = db.Sql("UPDATE {schema}.scheduled_prompts SET webhook_secret = @Secret, updated_at = now() WHERE tenant_id = @TenantId AND id = @Id");
        _modelCheck = db.Sql("""
            SELECT coalesce(t.is_enabled, true) FROM {schema}.models m
            LEFT JOIN {schema}.tenant_model_settings t ON t.tenant_id = @TenantId AND t.model_id = m.id
            WHERE m.id = @Model
            """);
    }

    public async Task<ScheduledPrompt> CreateAsync(RadiantCaller caller, ScheduleCreate input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var definition = input.ToDefinition();
        var id = Guid.CreateVersion7();
        var secret = NewWebhookSecret();
        try
        {
            return await InTenantAsync(caller, async (connection, transaction) =>
            {
                var now = await _db.NowAsync(connection, transaction, cancellationToken);
                var timing = definition.Validate(now, requireFutureRunAt: true);
                await RequireUsableModelAsync(connection, transaction, caller, definition.Model, cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(_insert, new
                {
                    caller.TenantId,
                    Id = id,
                    caller.UserId,
                    definition.Name,
                    definition.Prompt,
                    definition.Model,
                    Type = DbEnum.Name(definition.Type),
                    timing.CronExpression,
                    timing.RunAt,
                    timing.IntervalMinutes,
                    definition.Timezone,
                    definition.MaxRuns,
                    NextRun = timing.NextOccurrence(now),
                    definition.NotificationEmail,
                    OutputDestination = DbEnum.Name(definition.OutputDestination),
                    definition.WebhookUrl,
                    WebhookSecret = secret,
                    Channel = _channel,
                }, transaction, cancellationToken: cancellationToken));
                // The one time the secret is shown, with RotateWebhookSecretAsync.
                return (await ReadVisibleAsync(connection, transaction, caller, id, cancellationToken)) with { WebhookSecret = secret };
            }, cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            // The user row is provisioned by the caller's first request; a service caller that skipped it lands here.
            throw new RadiantNotFoundException("user", caller);
        }
    }

    public Task<Page<ScheduledPrompt>> ListAsync(RadiantCaller caller, ScheduleListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = PageCursor.Decode("schedules", query.Page, 2);
        if (query.UserId is { } other && other != caller.UserId && !caller.IsTenantAdmin)
        {
            throw new RadiantForbiddenException("Only tenant admins list other users' schedules.");
        }

        var owner = caller.IsTenantAdmin ? query.UserId : caller.UserId;
        return InTenantAsync(caller, async (connection, transaction) =>
        {
            var rows = (await connection.QueryAsync<ScheduleRow>(new CommandDefinition(_list, new
            {
                Owner = owner,
                Active = query.IsActive,
                Limit = query.Page.Limit + 1,
                AfterCreated = after?[0].GetDateTimeOffset(),
                AfterId = after?[1].GetGuid(),
            }, transaction, cancellationToken: cancellationToken))).ToList();
            return PageCursor.ToPage("schedules", rows, query.Page, r => r.ToSchedule(), r => [r.CreatedAt, r.Id]);
        }, cancellationToken);
    }

    public Task<ScheduledPrompt> GetAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, (connection, transaction) => ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken), cancellationToken);

    public Task<ScheduledPrompt> UpdateAsync(RadiantCaller caller, Guid scheduleId, ScheduleUpdate input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return InTenantAsync(caller, async (connection, transaction) =>
        {
            var current = await LockVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            var stored = current.ToDefinition();
            var definition = input.ApplyTo(stored);
            var changesTiming = input.ChangesTimingOf(stored);
            var now = await _db.NowAsync(connection, transaction, cancellationToken);
            var timing = definition.Validate(now, requireFutureRunAt: changesTiming);
            if (input.Model.HasValue && definition.Model != current.Model)
            {
                await RequireUsableModelAsync(connection, transaction, caller, definition.Model, cancellationToken);
            }

            var isActive = current.IsActive;
            var nextRun = ScheduleRows.Utc(current.NextRun);
            if (isActive && changesTiming)
            {
                nextRun = timing.NextOccurrence(now);
            }

            if (definition.MaxRuns is { } max && current.RunCount >= max)
            {
                // Lowering the limit to what already ran finishes the schedule.
                isActive = false;
            }

            if (!isActive || nextRun is null)
            {
                isActive = false;
                nextRun = null;
            }

            await connection.ExecuteAsync(new CommandDefinition(_update, new
            {
                caller.TenantId,
                Id = scheduleId,
                definition.Name,
                definition.Prompt,
                definition.Model,
                Type = DbEnum.Name(definition.Type),
                timing.CronExpression,
                timing.RunAt,
                timing.IntervalMinutes,
                definition.Timezone,
                definition.MaxRuns,
                definition.NotificationEmail,
                OutputDestination = DbEnum.Name(definition.OutputDestination),
                definition.WebhookUrl,
                IsActive = isActive,
                NextRun = nextRun,
                Channel = _channel,
            }, transaction, cancellationToken: cancellationToken));
            return await ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
        }, cancellationToken);
    }

    public Task<ScheduledPrompt> PauseAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            var current = await LockVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            if (current.IsActive)
            {
                await SetActiveAsync(connection, transaction, caller, scheduleId, null, cancellationToken);
            }

            return await ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
        }, cancellationToken);

    public Task<ScheduledPrompt> ResumeAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            var current = await LockVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            if (current.IsActive)
            {
                return await ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            }

            if (current.MaxRuns is { } max && current.RunCount >= max)
            {
                throw new RadiantConflictException($"The schedule reached its {max} run(s); raise maxRuns to resume it.");
            }

            var definition = current.ToDefinition();
            var now = await _db.NowAsync(connection, transaction, cancellationToken);
            DateTimeOffset? nextRun;
            if (definition.Type == ScheduleType.Once)
            {
                if (current.RunCount > 0 && ScheduleRows.Utc(current.LastRun) is { } lastRun && definition.RunAt <= lastRun)
                {
                    throw new RadiantConflictException("This once schedule has already run at its runAt; give it a new runAt (PUT), then resume it.");
                }

                // Its instant passed while paused: run it now rather than never.
                nextRun = definition.RunAt > now ? definition.RunAt : now;
            }
            else
            {
                nextRun = new ScheduleTiming(definition.Type, definition.CronExpression, definition.RunAt, definition.IntervalMinutes, definition.Timezone)
                    .NextOccurrence(now);
                if (nextRun is null)
                {
                    throw new RadiantConflictException("The schedule has no future occurrence to resume to.");
                }
            }

            await SetActiveAsync(connection, transaction, caller, scheduleId, nextRun, cancellationToken);
            return await ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
        }, cancellationToken);

    public Task<ScheduledPrompt> RotateWebhookSecretAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            await LockVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            var secret = NewWebhookSecret();
            await connection.ExecuteAsync(new CommandDefinition(
                _rotateSecret, new { caller.TenantId, Id = scheduleId, Secret = secret }, transaction, cancellationToken: cancellationToken));
            return (await ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken)) with { WebhookSecret = secret };
        }, cancellationToken);

    public Task DeleteAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            await LockVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                _db.Sql("DELETE FROM {schema}.scheduled_prompts WHERE tenant_id = @TenantId AND id = @Id"),
                new { caller.TenantId, Id = scheduleId },
                transaction,
                cancellationToken: cancellationToken));
            return true;
        }, cancellationToken);

    public Task<Page<ScheduleRun>> ListRunsAsync(RadiantCaller caller, Guid scheduleId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var after = PageCursor.Decode("schedule-runs", page, 1);
        return InTenantAsync(caller, async (connection, transaction) =>
        {
            await ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            var rows = (await connection.QueryAsync<RunRow>(new CommandDefinition(_listRuns, new
            {
                caller.TenantId,
                Id = scheduleId,
                Limit = page.Limit + 1,
                AfterScheduled = after?[0].GetDateTimeOffset(),
            }, transaction, cancellationToken: cancellationToken))).ToList();
            // Newest occurrence first: a schedule has one run per instant (the unique key), so the instant alone is the cursor.
            return PageCursor.ToPage("schedule-runs", rows, page, r => r.ToRun(), r => [r.ScheduledFor]);
        }, cancellationToken);
    }

    public Task<ScheduleRun> GetRunAsync(RadiantCaller caller, Guid scheduleId, Guid runId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            await ReadVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
                _getRun, new { caller.TenantId, Id = scheduleId, RunId = runId }, transaction, cancellationToken: cancellationToken));
            return row?.ToRun() ?? throw new RadiantNotFoundException("run", runId);
        }, cancellationToken);

    public Task<ScheduleRun> RunNowAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            await LockVisibleAsync(connection, transaction, caller, scheduleId, cancellationToken);
            var row = await connection.QuerySingleAsync<RunRow>(new CommandDefinition(
                _insertManualRun, new { caller.TenantId, Id = scheduleId, RunId = Guid.CreateVersion7() }, transaction, cancellationToken: cancellationToken));
            await NotifyAsync(connection, transaction, cancellationToken);
            return row.ToRun();
        }, cancellationToken);

    private Task<T> InTenantAsync<T>(RadiantCaller caller, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        _db.InTenantAsync(caller, work, cancellationToken);

    private async Task<ScheduledPrompt> ReadVisibleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid id, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            _selectVisible, new { Id = id, Admin = caller.IsTenantAdmin, caller.UserId }, transaction, cancellationToken: cancellationToken));
        return row?.ToSchedule() ?? throw new RadiantNotFoundException("schedule", id);
    }

    private async Task<ScheduleRow> LockVisibleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid id, CancellationToken cancellationToken)
    {
        // The lock orders this change after a worker's claim of the same schedule (and the other way round).
        var row = await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            _selectVisible + " FOR UPDATE OF s", new { Id = id, Admin = caller.IsTenantAdmin, caller.UserId }, transaction, cancellationToken: cancellationToken));
        return row ?? throw new RadiantNotFoundException("schedule", id);
    }

    private Task<int> SetActiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid id, DateTimeOffset? nextRun, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(_setActive, new
        {
            caller.TenantId,
            Id = id,
            IsActive = nextRun is not null,
            NextRun = nextRun,
            Channel = _channel,
        }, transaction, cancellationToken: cancellationToken));

    private Task<int> NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@Channel, '')", new { Channel = _channel }, transaction, cancellationToken: cancellationToken));

    private async Task RequireUsableModelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, string model, CancellationToken cancellationToken)
    {
        var enabled = await connection.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(
            _modelCheck, new { caller.TenantId, Model = model }, transaction, cancellationToken: cancellationToken));
        if (enabled is null)
        {
            throw new RadiantValidationException("model", $"'model' must be a model of the registry; '{model}' is not.");
        }

        if (enabled is false)
        {
            throw new RadiantValidationException("model", $"The model '{model}' is disabled for this tenant.");
        }
    }

    private static string NewWebhookSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
