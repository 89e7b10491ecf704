using Dapper;
using Npgsql;
using NpgsqlTypes;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.Chat;

/// <summary>How one provider call of the chat pipeline ended, as recorded.</summary>
internal enum UsageOutcome
{
    Completed,
    Cancelled,
    Failed,
}

/// <summary>One usage record: a provider call of the chat pipeline, narrow (no prompt or reply text).</summary>
internal sealed record UsageRecord(
    string RequestId,
    int Attempt,
    Guid? TeamId,
    string ModelId,
    string ProviderId,
    string? DomainMode,
    Guid? PersonaId,
    string RoutingRule,
    int InputTokens,
    int OutputTokens,
    int CachedTokens,
    decimal Charge,
    long PricingVersion,
    int LatencyMs,
    int? FirstTokenMs,
    UsageOutcome Outcome,
    string? Error);

/// <summary>
/// The <c>usage_records</c> table: written once per provider call, idempotent by request id and attempt through
/// <c>usage_record_keys</c>; the rollups the analytics read are maintained by the table's trigger in the same transaction.
/// </summary>
internal sealed class UsageRecords
{
    /// <summary>Longest error text stored (the column's length).</summary>
    public const int ErrorMaxLength = 500;

    private readonly RadiantDb _db;
    private readonly string _insertSql;
    private readonly string _answeredSql;

    public UsageRecords(RadiantDb db)
    {
        _db = db;
        // The key is the uniqueness (usage_records is partitioned by month, so it cannot hold one across months): a
        // record is added only when its key was new (migration 0011), and — only then — to the users' all-time and
        // monthly totals that the Think Tank user list reads (migration 0012), all in one statement of the recording
        // transaction, for every record of a combined batch: a duplicate adds nothing, the list never scans
        // usage_records, and the rollup trigger sees the batch as one statement (one update per rollup row). Totals
        // are grouped per user (a row is updated once per statement) and locked in user order.
        _insertSql = db.Sql(
            """
            WITH input AS (
                SELECT * FROM unnest(@ids, @request_ids, @attempts, @user_ids, @team_ids, @model_ids, @provider_ids, @domain_modes,
                                     @persona_ids, @rules, @input_tokens, @output_tokens, @cached_tokens, @charges, @pricing_versions,
                                     @latencies, @first_tokens, @outcomes, @errors)
                    WITH ORDINALITY AS i (id, request_id, attempt, user_id, team_id, model_id, provider_id, domain_mode, persona_id,
                                          routing_rule, input_tokens, output_tokens, cached_tokens, charge, pricing_version, latency_ms,
                                          first_token_ms, outcome, error, ord)
            ), key AS (
                INSERT INTO {schema}.usage_record_keys (tenant_id, request_id, attempt, answered)
                SELECT @tenant_id, request_id, attempt, outcome <> 'failed' FROM input ORDER BY ord
                ON CONFLICT (tenant_id, request_id, attempt) DO NOTHING
                RETURNING request_id, attempt, created_at
            ), record AS (
                INSERT INTO {schema}.usage_records (
                    tenant_id, id, request_id, attempt, user_id, team_id, model_id, provider_id, domain_mode, persona_id, routing_rule,
                    input_tokens, output_tokens, cached_tokens, charge, pricing_version, latency_ms, first_token_ms, outcome, error, created_at)
                SELECT
                    @tenant_id, i.id, i.request_id, i.attempt, i.user_id, i.team_id, i.model_id, i.provider_id, i.domain_mode, i.persona_id,
                    i.routing_rule, i.input_tokens, i.output_tokens, i.cached_tokens, i.charge, i.pricing_version, i.latency_ms,
                    i.first_token_ms, i.outcome, i.error, key.created_at
                FROM input i JOIN key ON key.request_id = i.request_id AND key.attempt = i.attempt
                RETURNING id, user_id, input_tokens, output_tokens, charge, outcome, created_at
            ), totals AS (
                INSERT INTO {schema}.user_usage_totals AS t (tenant_id, user_id, requests, failed_requests, input_tokens, output_tokens, spend, last_active_at)
                SELECT @tenant_id, user_id, count(*), count(*) FILTER (WHERE outcome = 'failed'), sum(input_tokens), sum(output_tokens),
                       sum(charge), max(created_at)
                FROM record GROUP BY user_id ORDER BY user_id
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET
                    requests = t.requests + EXCLUDED.requests, failed_requests = t.failed_requests + EXCLUDED.failed_requests,
                    input_tokens = t.input_tokens + EXCLUDED.input_tokens, output_tokens = t.output_tokens + EXCLUDED.output_tokens,
                    spend = t.spend + EXCLUDED.spend, last_active_at = greatest(t.last_active_at, EXCLUDED.last_active_at)
            ), months AS (
                INSERT INTO {schema}.user_usage_months AS m (tenant_id, month, user_id, requests, failed_requests, input_tokens, output_tokens, spend)
                SELECT @tenant_id, date_trunc('month', created_at AT TIME ZONE 'UTC')::date, user_id, count(*),
                       count(*) FILTER (WHERE outcome = 'failed'), sum(input_tokens), sum(output_tokens), sum(charge)
                FROM record GROUP BY 2, 3 ORDER BY 2, 3
                ON CONFLICT (tenant_id, month, user_id) DO UPDATE SET
                    requests = m.requests + EXCLUDED.requests, failed_requests = m.failed_requests + EXCLUDED.failed_requests,
                    input_tokens = m.input_tokens + EXCLUDED.input_tokens, output_tokens = m.output_tokens + EXCLUDED.output_tokens,
                    spend = m.spend + EXCLUDED.spend
            )
            SELECT i.ord::int FROM input i JOIN record r ON r.id = i.id
            """);
        // Whether the request id was answered, and whether the caller is suspended: one round trip for both, so the
        // pipeline refuses a suspended user (a host calling IRadiantChat directly, a scheduled run) at no extra cost.
        _answeredSql = db.Sql(
            """
            SELECT EXISTS (SELECT FROM {schema}.usage_record_keys
                           WHERE tenant_id = @TenantId AND request_id = @RequestId AND answered) AS Answered,
                   EXISTS (SELECT FROM {schema}.users
                           WHERE tenant_id = @TenantId AND user_id = @UserId AND status = 'suspended') AS Suspended
            """);
    }

    /// <summary>
    /// Throws <see cref="RadiantAccountSuspendedException"/> when the caller is suspended, and
    /// <see cref="RadiantConflictException"/> when the request id was already answered (completed or cancelled).
    /// </summary>
    public async Task RequireNewAsync(RadiantCaller caller, string requestId, CancellationToken cancellationToken)
    {
        var (answered, suspended) = await _db.InTenantAsync(
            caller,
            (connection, transaction) => connection.QuerySingleAsync<(bool Answered, bool Suspended)>(new CommandDefinition(
                _answeredSql, new { caller.TenantId, caller.UserId, RequestId = requestId }, transaction, cancellationToken: cancellationToken)),
            cancellationToken);
        if (suspended)
        {
            throw new RadiantAccountSuspendedException();
        }

        if (answered)
        {
            throw new RadiantConflictException($"The request '{requestId}' was already answered; send a new request id for a new message.");
        }
    }

    /// <summary>
    /// Adds <paramref name="records"/> of one tenant in the caller's transaction, in one statement; returns, for each,
    /// whether it was added — false when a record of the same request and attempt exists already, or comes earlier in
    /// the list (the caller then charges nothing: the first record was charged). Added records are added to their
    /// users' totals in the same statement.
    /// </summary>
    public async Task<bool[]> TryAddAllAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<(Guid UserId, UsageRecord Record)> records,
        CancellationToken cancellationToken)
    {
        var added = new bool[records.Count];
        // A request and attempt twice in one list: only the first is sent (the statement joins records to the keys it added).
        var seen = new HashSet<(string, int)>();
        var sent = new List<int>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            if (seen.Add((records[i].Record.RequestId, records[i].Record.Attempt)))
            {
                sent.Add(i);
            }
        }

        T[] Column<T>(Func<Guid, UsageRecord, T> value) => sent.ConvertAll(i => value(records[i].UserId, records[i].Record)).ToArray();

        await using var command = new NpgsqlCommand(_insertSql, connection, transaction);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid>("tenant_id", tenantId));
        p.Add(new NpgsqlParameter<Guid[]>("ids", Column((_, _) => Guid.CreateVersion7())));
        p.Add(new NpgsqlParameter<string[]>("request_ids", Column((_, r) => r.RequestId)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<short[]>("attempts", Column((_, r) => (short)r.Attempt)));
        p.Add(new NpgsqlParameter<Guid[]>("user_ids", Column((user, _) => user)));
        p.Add(new NpgsqlParameter<Guid?[]>("team_ids", Column((_, r) => r.TeamId)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        p.Add(new NpgsqlParameter<string[]>("model_ids", Column((_, r) => r.ModelId)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string[]>("provider_ids", Column((_, r) => r.ProviderId)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string?[]>("domain_modes", Column((_, r) => r.DomainMode)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<Guid?[]>("persona_ids", Column((_, r) => r.PersonaId)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        p.Add(new NpgsqlParameter<string[]>("rules", Column((_, r) => r.RoutingRule)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<int[]>("input_tokens", Column((_, r) => r.InputTokens)));
        p.Add(new NpgsqlParameter<int[]>("output_tokens", Column((_, r) => r.OutputTokens)));
        p.Add(new NpgsqlParameter<int[]>("cached_tokens", Column((_, r) => r.CachedTokens)));
        p.Add(new NpgsqlParameter<decimal[]>("charges", Column((_, r) => r.Charge)));
        p.Add(new NpgsqlParameter<long[]>("pricing_versions", Column((_, r) => r.PricingVersion)));
        p.Add(new NpgsqlParameter<int[]>("latencies", Column((_, r) => r.LatencyMs)));
        p.Add(new NpgsqlParameter<int?[]>("first_tokens", Column((_, r) => r.FirstTokenMs)) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        p.Add(new NpgsqlParameter<string[]>("outcomes", Column((_, r) => r.Outcome.ToString().ToLowerInvariant())) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string?[]>("errors", Column((_, r) => Truncate(TextRules.Clean(r.Error)))) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            added[sent[reader.GetInt32(0) - 1]] = true;
        }

        return added;
    }

    /// <summary>Adds one record in the caller's transaction (see <see cref="TryAddAllAsync"/>).</summary>
    public async Task<bool> TryAddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, UsageRecord record, CancellationToken cancellationToken) =>
        (await TryAddAllAsync(connection, transaction, caller.TenantId, [(caller.UserId, record)], cancellationToken))[0];

    private static string? Truncate(string? text) => text is { Length: > ErrorMaxLength } ? text[..(ErrorMaxLength - 1)] + "…" : text;
}
