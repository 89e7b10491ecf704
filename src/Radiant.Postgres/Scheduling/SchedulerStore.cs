using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>A run leased by this worker, with everything needed to execute it.</summary>
internal sealed record ClaimedRun(
    Guid TenantId,
    Guid RunId,
    Guid ScheduleId,
    Guid UserId,
    Guid LeaseToken,
    RunTrigger Trigger,
    DateTimeOffset ScheduledFor,
    DateTimeOffset StartedAt,
    int Claims,
    int PreviousAttempts,
    string Name,
    string Prompt,
    string Model,
    string ProviderId,
    OutputDestination Destination,
    string? WebhookUrl,
    string? WebhookSecret,
    string? NotificationEmail);

/// <summary>What a worker records when it finishes a run.</summary>
internal sealed record RunOutcome(
    ClaimedRun Run,
    ScheduleRunStatus Status,
    string? Output,
    int? InputTokens,
    int? OutputTokens,
    decimal? Cost,
    int LatencyMs,
    int Attempts,
    string? Error,
    DeliveryStatus Delivery,
    int DeliveryAttempts,
    string? DeliveryError);

/// <summary>
/// The worker's SQL, batched: one statement claims many occurrences (and advances their schedules), one records many
/// outcomes. Claims and lease renewals run in the scheduler scope (across tenants); outcomes are recorded with each
/// run's tenant set, under the ordinary tenant policies.
/// </summary>
internal sealed partial class SchedulerStore
{
    /// <summary>How long an occurrence waits when this worker cannot resolve its schedule's time zone.</summary>
    internal static readonly TimeSpan UnknownZoneRetry = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Run first in the transactions that join a batch's arrays with the runs table. With a nested loop the planner may
    /// scan the runs and rescan the arrays once per run — quadratic in the batch: recording 500 runs of one tenant took
    /// 147 ms — whenever the table's statistics lag behind its rows (a table that grew since its last analyze, as after a
    /// burst). A hash join reads each side once; the runs side is still found through its primary key.
    /// </summary>
    private const string HashJoinsOnly = "SELECT set_config('enable_nestloop', 'off', true)";

    private readonly RadiantDb _db;
    private readonly bool _prepare;
    private readonly ILogger<SchedulerStore> _logger;
    private readonly string _selectDue;
    private readonly string _advanceAndInsert;
    private readonly string _claimRuns;
    private readonly string _complete;
    private readonly string _heartbeat;
    private readonly string _release;
    private readonly string _nextDue;
    private readonly string _postpone;

    public SchedulerStore(RadiantDb db, IOptions<SchedulerWorkerOptions> options, ILogger<SchedulerStore> logger)
    {
        _db = db;
        // Only on a pool of its own: a request could replace a statement prepared on a connection it also uses.
        _prepare = options.Value.PrepareStatements && db.PreparesSafely;
        _logger = logger;
        _selectDue = db.Sql("""
            SELECT s.tenant_id, s.id, s.user_id, s.prompt_name, s.prompt_text, s.model, m.provider_id, s.schedule_type,
                   s.cron_expression, s.run_at, s.interval_minutes, s.timezone, s.max_runs, s.run_count, s.next_run,
                   s.output_destination, s.webhook_url, s.webhook_secret, s.notification_email, now()
            FROM {schema}.scheduled_prompts s
            JOIN {schema}.models m ON m.id = s.model
            WHERE s.is_active AND s.next_run <= now()
            ORDER BY s.next_run
            LIMIT @limit
            FOR UPDATE OF s SKIP LOCKED
            """);
        _advanceAndInsert = db.Sql("""
            WITH claimed AS (
                SELECT * FROM unnest(@tenants, @schedules, @runs, @tokens, @due, @next)
                    AS c(tenant_id, prompt_id, run_id, lease_token, scheduled_for, next_run)
            ), advanced AS (
                UPDATE {schema}.scheduled_prompts s
                SET next_run = c.next_run, is_active = c.next_run IS NOT NULL, run_count = s.run_count + 1,
                    total_runs = s.total_runs + 1, last_run = now(), updated_at = now()
                FROM claimed c
                WHERE s.tenant_id = c.tenant_id AND s.id = c.prompt_id
            )
            INSERT INTO {schema}.scheduled_prompt_runs
                (tenant_id, id, prompt_id, scheduled_for, run_trigger, status, lease_token, lease_owner, lease_expires_at, claims, started_at)
            SELECT c.tenant_id, c.run_id, c.prompt_id, c.scheduled_for, 'schedule', 'running', c.lease_token, @owner, now() + @lease, 1, now()
            FROM claimed c
            ON CONFLICT (tenant_id, prompt_id, scheduled_for) DO NOTHING
            RETURNING id
            """);
        _claimRuns = db.Sql("""
            WITH picked AS (
                SELECT r.tenant_id, r.id FROM {schema}.scheduled_prompt_runs r
                WHERE r.status = 'pending' OR (r.status = 'running' AND r.lease_expires_at < now())
                ORDER BY r.scheduled_for
                LIMIT @limit
                FOR UPDATE OF r SKIP LOCKED
            )
            UPDATE {schema}.scheduled_prompt_runs r
            SET status = 'running', lease_token = gen_random_uuid(), lease_owner = @owner, lease_expires_at = now() + @lease,
                claims = r.claims + 1, started_at = now()
            FROM picked p, {schema}.scheduled_prompts s, {schema}.models m
            WHERE r.tenant_id = p.tenant_id AND r.id = p.id AND s.tenant_id = r.tenant_id AND s.id = r.prompt_id AND m.id = s.model
            RETURNING r.tenant_id, r.id, r.prompt_id, s.user_id, r.lease_token, r.run_trigger, r.scheduled_for, r.started_at, r.claims,
                      r.attempts, s.prompt_name, s.prompt_text, s.model, m.provider_id, s.output_destination, s.webhook_url,
                      s.webhook_secret, s.notification_email
            """);
        // By primary key (id = ANY: the batch's runs, whatever the statistics say) and lease token, which only a running
        // run holds (a constraint since 0015): no status predicate, which would match the partial index of running leases
        // and invite the planner to read every running run of the tenant instead.
        _complete = db.Sql("""
            UPDATE {schema}.scheduled_prompt_runs r
            SET status = u.status, output = u.output, input_tokens = u.input_tokens, output_tokens = u.output_tokens, cost = u.cost,
                latency_ms = u.latency_ms, attempts = r.attempts + u.attempts, error_message = u.error,
                delivery_status = u.delivery, delivery_attempts = u.delivery_attempts, delivery_error = u.delivery_error,
                completed_at = clock_timestamp(), lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL
            FROM unnest(@runs, @tokens, @statuses, @outputs, @inputTokens, @outputTokens, @costs, @latencies, @attempts, @errors,
                        @deliveries, @deliveryAttempts, @deliveryErrors)
                AS u(id, lease_token, status, output, input_tokens, output_tokens, cost, latency_ms, attempts, error,
                     delivery, delivery_attempts, delivery_error)
            WHERE r.tenant_id = @tenant AND r.id = ANY(@runs) AND r.id = u.id AND r.lease_token = u.lease_token
            RETURNING u.lease_token
            """);
        // SKIP LOCKED: a run whose row is locked is being recorded (or released) by this worker right now; waiting for
        // it could deadlock with that batch, which locks the same rows in another order, and a recording that rolls back
        // leaves the lease to the next heartbeat, well within the lease.
        _heartbeat = db.Sql("""
            WITH renewed AS (
                SELECT r.tenant_id, r.id FROM {schema}.scheduled_prompt_runs r
                JOIN unnest(@tenants, @runs, @tokens) AS h(tenant_id, id, lease_token)
                    ON r.tenant_id = h.tenant_id AND r.id = h.id AND r.lease_token = h.lease_token
                WHERE r.status = 'running'
                FOR UPDATE OF r SKIP LOCKED
            )
            UPDATE {schema}.scheduled_prompt_runs r SET lease_expires_at = now() + @lease
            FROM renewed h
            WHERE r.tenant_id = h.tenant_id AND r.id = h.id
            """);
        _release = db.Sql("""
            UPDATE {schema}.scheduled_prompt_runs r SET status = 'pending', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL
            FROM unnest(@tenants, @runs, @tokens) AS h(tenant_id, id, lease_token)
            WHERE r.tenant_id = h.tenant_id AND r.id = h.id AND r.lease_token = h.lease_token AND r.status = 'running'
            """);
        // Three index probes (least ignores nulls): the first due schedule, any pending run, the first lease to expire;
        // as a wait from the database's clock, which is the one next_run and leases are compared with.
        _nextDue = db.Sql("""
            SELECT extract(epoch FROM least(
                (SELECT min(next_run) FROM {schema}.scheduled_prompts WHERE is_active),
                (SELECT now() WHERE EXISTS (SELECT FROM {schema}.scheduled_prompt_runs WHERE status = 'pending')),
                (SELECT min(lease_expires_at) FROM {schema}.scheduled_prompt_runs WHERE status = 'running')) - now())::float8
            """);
        _postpone = db.Sql("""
            UPDATE {schema}.scheduled_prompts s SET next_run = now() + @delay
            FROM unnest(@tenants, @schedules) AS p(tenant_id, id)
            WHERE s.tenant_id = p.tenant_id AND s.id = p.id
            """);
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> runs in one transaction: first runs waiting for a worker (already late),
    /// then due occurrences for the rest.
    /// </summary>
    public Task<List<ClaimedRun>> ClaimAsync(int limit, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        _db.InScopeAsync(RadiantScope.Scheduler, async (connection, transaction) =>
        {
            var claimed = await ClaimWaitingRunsAsync(connection, transaction, limit, owner, lease, cancellationToken);
            if (claimed.Count < limit)
            {
                claimed.AddRange(await ClaimDueOccurrencesAsync(connection, transaction, limit - claimed.Count, owner, lease, cancellationToken));
            }

            return claimed;
        }, cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> due occurrences: locks due schedules (skipping those another worker
    /// holds), computes each one's next run after the later of its due time and now — so a missed window yields one
    /// run, not one per missed tick — advances them and inserts their runs, leased to this worker.
    /// </summary>
    private async Task<List<ClaimedRun>> ClaimDueOccurrencesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int limit, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var due = new List<(ClaimedRun Run, DateTimeOffset? Next)>(limit);
        var postponed = new List<(Guid TenantId, Guid ScheduleId, string Zone)>();
        await using (var select = new NpgsqlCommand(_selectDue, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
            await PrepareAsync(select, cancellationToken);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var now = Utc(reader.GetDateTime(19));
                var scheduledFor = Utc(reader.GetDateTime(14));
                var type = DbEnum.Parse<ScheduleType>(reader.GetString(7));
                var timing = new ScheduleTiming(
                    type,
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : Utc(reader.GetDateTime(9)),
                    reader.IsDBNull(10) ? null : reader.GetInt32(10),
                    reader.GetString(11));
                int? maxRuns = reader.IsDBNull(12) ? null : reader.GetInt32(12);
                var runCount = reader.GetInt32(13);
                DateTimeOffset? next;
                try
                {
                    next = maxRuns is { } max && runCount + 1 >= max ? null : NextAfter(timing, scheduledFor > now ? scheduledFor : now);
                }
                catch (TimeZoneNotFoundException)
                {
                    // The host that accepted the schedule knew the zone; this worker's tz database does not (a
                    // slim image without tzdata, or an older one). Running now could not advance the schedule, and
                    // stopping it would lose it: leave the occurrence for a worker that knows the zone.
                    postponed.Add((reader.GetGuid(0), reader.GetGuid(1), timing.Timezone));
                    continue;
                }

                var run = new ClaimedRun(
                    TenantId: reader.GetGuid(0),
                    RunId: Guid.CreateVersion7(),
                    ScheduleId: reader.GetGuid(1),
                    UserId: reader.GetGuid(2),
                    LeaseToken: Guid.NewGuid(),
                    Trigger: RunTrigger.Schedule,
                    ScheduledFor: scheduledFor,
                    StartedAt: now,
                    Claims: 1,
                    PreviousAttempts: 0,
                    Name: reader.GetString(3),
                    Prompt: reader.GetString(4),
                    Model: reader.GetString(5),
                    ProviderId: reader.GetString(6),
                    Destination: DbEnum.Parse<OutputDestination>(reader.GetString(15)),
                    WebhookUrl: reader.IsDBNull(16) ? null : reader.GetString(16),
                    WebhookSecret: reader.IsDBNull(17) ? null : reader.GetString(17),
                    NotificationEmail: reader.IsDBNull(18) ? null : reader.GetString(18));
                due.Add((run, next));
            }
        }

        if (postponed.Count > 0)
        {
            await using var postpone = new NpgsqlCommand(_postpone, connection, transaction);
            postpone.Parameters.Add(UuidArray("tenants", postponed.Select(p => p.TenantId)));
            postpone.Parameters.Add(UuidArray("schedules", postponed.Select(p => p.ScheduleId)));
            postpone.Parameters.Add(new NpgsqlParameter<TimeSpan>("delay", UnknownZoneRetry) { NpgsqlDbType = NpgsqlDbType.Interval });
            await postpone.ExecuteNonQueryAsync(cancellationToken);
            foreach (var (tenantId, scheduleId, zone) in postponed)
            {
                LogUnknownZone(scheduleId, tenantId, zone, UnknownZoneRetry);
            }
        }

        if (due.Count == 0)
        {
            return [];
        }

        var inserted = new HashSet<Guid>();
        await using (var insert = new NpgsqlCommand(_advanceAndInsert, connection, transaction))
        {
            insert.Parameters.Add(UuidArray("tenants", due.Select(d => d.Run.TenantId)));
            insert.Parameters.Add(UuidArray("schedules", due.Select(d => d.Run.ScheduleId)));
            insert.Parameters.Add(UuidArray("runs", due.Select(d => d.Run.RunId)));
            insert.Parameters.Add(UuidArray("tokens", due.Select(d => d.Run.LeaseToken)));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("due", due.Select(d => d.Run.ScheduledFor).ToArray())
            {
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
            });
            insert.Parameters.Add(new NpgsqlParameter<DateTime?[]>("next", due.Select(d => d.Next?.UtcDateTime).ToArray())
            {
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
            });
            insert.Parameters.Add(new NpgsqlParameter<string>("owner", owner));
            insert.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", lease) { NpgsqlDbType = NpgsqlDbType.Interval });
            await PrepareAsync(insert, cancellationToken);
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add(reader.GetGuid(0));
            }
        }

        // An occurrence already recorded (the unique key) is not executed again; its schedule still advanced.
        return due.Where(d => inserted.Contains(d.Run.RunId)).Select(d => d.Run).ToList();
    }

    /// <summary>Claims runs waiting for a worker: run-now requests, runs handed back, and runs whose lease expired.</summary>
    private async Task<List<ClaimedRun>> ClaimWaitingRunsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int limit, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var runs = new List<ClaimedRun>();
        await using var command = new NpgsqlCommand(_claimRuns, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(new NpgsqlParameter<string>("owner", owner));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", lease) { NpgsqlDbType = NpgsqlDbType.Interval });
        await PrepareAsync(command, cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new ClaimedRun(
                TenantId: reader.GetGuid(0),
                RunId: reader.GetGuid(1),
                ScheduleId: reader.GetGuid(2),
                UserId: reader.GetGuid(3),
                LeaseToken: reader.GetGuid(4),
                Trigger: DbEnum.Parse<RunTrigger>(reader.GetString(5)),
                ScheduledFor: Utc(reader.GetDateTime(6)),
                StartedAt: Utc(reader.GetDateTime(7)),
                Claims: reader.GetInt32(8),
                PreviousAttempts: reader.GetInt32(9),
                Name: reader.GetString(10),
                Prompt: reader.GetString(11),
                Model: reader.GetString(12),
                ProviderId: reader.GetString(13),
                Destination: DbEnum.Parse<OutputDestination>(reader.GetString(14)),
                WebhookUrl: reader.IsDBNull(15) ? null : reader.GetString(15),
                WebhookSecret: reader.IsDBNull(16) ? null : reader.GetString(16),
                NotificationEmail: reader.IsDBNull(17) ? null : reader.GetString(17)));
        }

        return runs;
    }

    /// <summary>
    /// Records outcomes in one transaction and one round trip: for each tenant of the batch, a command sets that
    /// tenant and the next updates its runs, under the ordinary tenant policies (the context can change within a
    /// transaction, and each statement reads it when it starts). Returns the lease tokens of
    /// the runs recorded; a run missing from the result lost its lease (another worker took it over) or was deleted,
    /// and is left to its new owner.
    /// </summary>
    public Task<HashSet<Guid>> CompleteAsync(IReadOnlyCollection<RunOutcome> outcomes, CancellationToken cancellationToken) =>
        // On the worker pool (the scheduler's scope), though every command runs as its tenant: the batch enters each
        // tenant before its runs' update, and no statement runs in the scope itself.
        _db.InScopeAsync(RadiantScope.Scheduler, async (connection, transaction) =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(HashJoinsOnly));
            foreach (var tenant in outcomes.GroupBy(o => o.Run.TenantId))
            {
                batch.BatchCommands.Add(_db.TenantCommand(connection, tenant.Key));
                batch.BatchCommands.Add(CompleteCommand(tenant.Key, tenant.ToList()));
            }

            // Two statement texts whatever the tenant count: prepared once per physical connection (Npgsql keeps them
            // across pooled opens), so a batch spanning hundreds of tenants is not hundreds of parse-and-plan cycles.
            if (_prepare)
            {
                await batch.PrepareAsync(cancellationToken);
            }

            var recorded = new HashSet<Guid>();
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var result = 0;
            do
            {
                // Results: the planner setting's row, then for each tenant its enter_context row and the lease tokens
                // its UPDATE recorded.
                while (result > 0 && result % 2 == 0 && await reader.ReadAsync(cancellationToken))
                {
                    recorded.Add(reader.GetGuid(0));
                }

                result++;
            }
            while (await reader.NextResultAsync(cancellationToken));

            return recorded;
        }, cancellationToken);

    private NpgsqlBatchCommand CompleteCommand(Guid tenantId, List<RunOutcome> batch)
    {
        var command = new NpgsqlBatchCommand(_complete);
        command.Parameters.Add(new NpgsqlParameter<Guid>("tenant", tenantId));
        command.Parameters.Add(UuidArray("runs", batch.Select(o => o.Run.RunId)));
        command.Parameters.Add(UuidArray("tokens", batch.Select(o => o.Run.LeaseToken)));
        command.Parameters.Add(TextArray("statuses", batch.Select(o => DbEnum.Name(o.Status))));
        command.Parameters.Add(TextArray("outputs", batch.Select(o => TextRules.Clean(o.Output))));
        command.Parameters.Add(new NpgsqlParameter<int?[]>("inputTokens", batch.Select(o => o.InputTokens).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int?[]>("outputTokens", batch.Select(o => o.OutputTokens).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<decimal?[]>("costs", batch.Select(o => o.Cost).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int[]>("latencies", batch.Select(o => o.LatencyMs).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int[]>("attempts", batch.Select(o => o.Attempts).ToArray()));
        command.Parameters.Add(TextArray("errors", batch.Select(o => Truncate(o.Error))));
        command.Parameters.Add(TextArray("deliveries", batch.Select(o => DbEnum.Name(o.Delivery))));
        command.Parameters.Add(new NpgsqlParameter<int[]>("deliveryAttempts", batch.Select(o => o.DeliveryAttempts).ToArray()));
        command.Parameters.Add(TextArray("deliveryErrors", batch.Select(o => Truncate(o.DeliveryError))));
        return command;
    }

    /// <summary>Renews the leases of runs this worker is executing.</summary>
    public Task<int> HeartbeatAsync(IReadOnlyCollection<ClaimedRun> runs, TimeSpan lease, CancellationToken cancellationToken) =>
        LeaseCommandAsync(_heartbeat, runs, lease, cancellationToken);

    /// <summary>Hands runs back (pending, unleased) so another worker starts them at once, as this one stops.</summary>
    public Task<int> ReleaseAsync(IReadOnlyCollection<ClaimedRun> runs, CancellationToken cancellationToken) =>
        LeaseCommandAsync(_release, runs, null, cancellationToken);

    /// <summary>
    /// How long until work is (or becomes) due — a next run, a pending run, an expiring lease — by the database's
    /// clock (zero or negative: due now); null when nothing is scheduled.
    /// </summary>
    public Task<TimeSpan?> UntilNextDueAsync(CancellationToken cancellationToken) =>
        _db.InScopeAsync(RadiantScope.Scheduler, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(_nextDue, connection, transaction);
            await PrepareAsync(command, cancellationToken);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0) ? TimeSpan.FromSeconds(reader.GetDouble(0)) : (TimeSpan?)null;
        }, cancellationToken);

    private Task<int> LeaseCommandAsync(string sql, IReadOnlyCollection<ClaimedRun> runs, TimeSpan? lease, CancellationToken cancellationToken)
    {
        if (runs.Count == 0)
        {
            return Task.FromResult(0);
        }

        return _db.InScopeAsync(RadiantScope.Scheduler, async (connection, transaction) =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(HashJoinsOnly));
            var command = new NpgsqlBatchCommand(sql);
            batch.BatchCommands.Add(command);
            command.Parameters.Add(UuidArray("tenants", runs.Select(r => r.TenantId)));
            command.Parameters.Add(UuidArray("runs", runs.Select(r => r.RunId)));
            command.Parameters.Add(UuidArray("tokens", runs.Select(r => r.LeaseToken)));
            if (lease is { } duration)
            {
                command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", duration) { NpgsqlDbType = NpgsqlDbType.Interval });
            }

            if (_prepare)
            {
                await batch.PrepareAsync(cancellationToken);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
            return command.RecordsAffected;
        }, cancellationToken);
    }

    private Task PrepareAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        _prepare ? command.PrepareAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>The next occurrence; throws <see cref="TimeZoneNotFoundException"/> when this machine lacks the zone.</summary>
    private static DateTimeOffset? NextAfter(ScheduleTiming timing, DateTimeOffset after)
    {
        try
        {
            return timing.NextOccurrence(after);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            // Validated on write; a row edited by hand that no longer parses stops after this run instead of looping.
            return null;
        }
    }

    private static NpgsqlParameter<Guid[]> UuidArray(string name, IEnumerable<Guid> values) => new(name, values.ToArray());

    private static NpgsqlParameter<string?[]> TextArray(string name, IEnumerable<string?> values) =>
        new(name, values.ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static string? Truncate(string? text)
    {
        text = TextRules.Clean(text);
        if (text is not { Length: > SchedulerWorkerOptions.MaxErrorLength })
        {
            return text;
        }

        // Never cut between the two halves of a surrogate pair.
        var length = char.IsHighSurrogate(text[SchedulerWorkerOptions.MaxErrorLength - 1]) ? SchedulerWorkerOptions.MaxErrorLength - 1 : SchedulerWorkerOptions.MaxErrorLength;
        return text[..length];
    }

    private static DateTimeOffset Utc(DateTime value) => ScheduleRows.Utc(value);

    [LoggerMessage(Level = LogLevel.Error, Message = "Schedule {ScheduleId} of tenant {TenantId} uses time zone '{Zone}', which this worker's time zone database does not know (install tzdata); its occurrence is postponed by {Delay} for a worker that knows it")]
    private partial void LogUnknownZone(Guid scheduleId, Guid tenantId, string zone, TimeSpan delay);
}
