using Dapper;
using Npgsql;
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
        // The key is the uniqueness (usage_records is partitioned by month, so it cannot hold one across months): the
        // record is added only when its key was new (migration 0011), and — only then — the user's all-time and monthly
        // totals that the Think Tank user list reads (migration 0012), all in one statement of the recording transaction:
        // a duplicate adds nothing, and the list never scans usage_records. The totals row locks per user, so only the
        // same user's concurrent calls wait on it.
        _insertSql = db.Sql(
            """
            WITH key AS (
                INSERT INTO {schema}.usage_record_keys (tenant_id, request_id, attempt, answered)
                VALUES (@TenantId, @RequestId, @Attempt, @Outcome <> 'failed')
                ON CONFLICT (tenant_id, request_id, attempt) DO NOTHING
                RETURNING created_at
            ), record AS (
                INSERT INTO {schema}.usage_records (
                    tenant_id, id, request_id, attempt, user_id, team_id, model_id, provider_id, domain_mode, persona_id, routing_rule,
                    input_tokens, output_tokens, cached_tokens, charge, pricing_version, latency_ms, first_token_ms, outcome, error, created_at)
                SELECT
                    @TenantId, @Id, @RequestId, @Attempt, @UserId, @TeamId, @ModelId, @ProviderId, @DomainMode, @PersonaId, @RoutingRule,
                    @InputTokens, @OutputTokens, @CachedTokens, @Charge, @PricingVersion, @LatencyMs, @FirstTokenMs, @Outcome, @Error, key.created_at
                FROM key
                RETURNING tenant_id, user_id, input_tokens, output_tokens, charge, outcome, created_at
            ), totals AS (
                INSERT INTO {schema}.user_usage_totals AS t (tenant_id, user_id, requests, failed_requests, input_tokens, output_tokens, spend, last_active_at)
                SELECT tenant_id, user_id, 1, (outcome = 'failed')::int, input_tokens, output_tokens, charge, created_at FROM record
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET
                    requests = t.requests + 1, failed_requests = t.failed_requests + EXCLUDED.failed_requests,
                    input_tokens = t.input_tokens + EXCLUDED.input_tokens, output_tokens = t.output_tokens + EXCLUDED.output_tokens,
                    spend = t.spend + EXCLUDED.spend, last_active_at = greatest(t.last_active_at, EXCLUDED.last_active_at)
            ), months AS (
                INSERT INTO {schema}.user_usage_months AS m (tenant_id, month, user_id, requests, failed_requests, input_tokens, output_tokens, spend)
                SELECT tenant_id, date_trunc('month', created_at AT TIME ZONE 'UTC')::date, user_id, 1, (outcome = 'failed')::int, input_tokens, output_tokens, charge
                FROM record
                ON CONFLICT (tenant_id, month, user_id) DO UPDATE SET
                    requests = m.requests + 1, failed_requests = m.failed_requests + EXCLUDED.failed_requests,
                    input_tokens = m.input_tokens + EXCLUDED.input_tokens, output_tokens = m.output_tokens + EXCLUDED.output_tokens,
                    spend = m.spend + EXCLUDED.spend
            )
            SELECT count(*)::int FROM record
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
    /// Adds the record in the caller's transaction; false when a record of the same request and attempt exists already
    /// (the caller then charges nothing: the first record was charged). An inserted record is added to the user's
    /// totals in the same statement.
    /// </summary>
    public async Task<bool> TryAddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, UsageRecord record, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            _insertSql,
            new
            {
                caller.TenantId,
                Id = Guid.CreateVersion7(),
                record.RequestId,
                Attempt = (short)record.Attempt,
                caller.UserId,
                record.TeamId,
                record.ModelId,
                record.ProviderId,
                record.DomainMode,
                record.PersonaId,
                record.RoutingRule,
                record.InputTokens,
                record.OutputTokens,
                record.CachedTokens,
                record.Charge,
                record.PricingVersion,
                record.LatencyMs,
                record.FirstTokenMs,
                Outcome = record.Outcome.ToString().ToLowerInvariant(),
                Error = Truncate(TextRules.Clean(record.Error)),
            },
            transaction,
            cancellationToken: cancellationToken)) == 1;

    private static string? Truncate(string? text) => text is { Length: > ErrorMaxLength } ? text[..(ErrorMaxLength - 1)] + "…" : text;
}
