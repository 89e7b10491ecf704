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
        // record is added only when its key was new, in the same statement (migration 0011).
        _insertSql = db.Sql(
            """
            WITH key AS (
                INSERT INTO {schema}.usage_record_keys (tenant_id, request_id, attempt, answered)
                VALUES (@TenantId, @RequestId, @Attempt, @Outcome <> 'failed')
                ON CONFLICT (tenant_id, request_id, attempt) DO NOTHING
                RETURNING created_at)
            INSERT INTO {schema}.usage_records (
                tenant_id, id, request_id, attempt, user_id, team_id, model_id, provider_id, domain_mode, persona_id, routing_rule,
                input_tokens, output_tokens, cached_tokens, charge, pricing_version, latency_ms, first_token_ms, outcome, error, created_at)
            SELECT
                @TenantId, @Id, @RequestId, @Attempt, @UserId, @TeamId, @ModelId, @ProviderId, @DomainMode, @PersonaId, @RoutingRule,
                @InputTokens, @OutputTokens, @CachedTokens, @Charge, @PricingVersion, @LatencyMs, @FirstTokenMs, @Outcome, @Error, key.created_at
            FROM key
            """);
        _answeredSql = db.Sql(
            """
            SELECT EXISTS (SELECT FROM {schema}.usage_record_keys
                           WHERE tenant_id = @TenantId AND request_id = @RequestId AND answered)
            """);
    }

    /// <summary>Throws <see cref="RadiantConflictException"/> when the request id was already answered (completed or cancelled).</summary>
    public async Task RequireNewAsync(RadiantCaller caller, string requestId, CancellationToken cancellationToken)
    {
        var answered = await _db.InTenantAsync(
            caller,
            (connection, transaction) => connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                _answeredSql, new { caller.TenantId, RequestId = requestId }, transaction, cancellationToken: cancellationToken)),
            cancellationToken);
        if (answered)
        {
            throw new RadiantConflictException($"The request '{requestId}' was already answered; send a new request id for a new message.");
        }
    }

    /// <summary>
    /// Adds the record in the caller's transaction; false when a record of the same request and attempt exists already
    /// (the caller then charges nothing: the first record was charged).
    /// </summary>
    public async Task<bool> TryAddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, UsageRecord record, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
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
