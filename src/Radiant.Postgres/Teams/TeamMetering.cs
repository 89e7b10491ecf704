using Dapper;
using Npgsql;
using NpgsqlTypes;
using Radiant.Errors;
using Radiant.Postgres.Notifications;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Teams;

/// <summary>What a metering operation does (the <c>p_kind</c> of <c>meter_team</c>, migration 0010).</summary>
internal enum MeterKind
{
    Record,
    Reserve,
    Settle,
    Release,
}

/// <summary>One metering operation on a team, as <c>meter_team</c> takes it.</summary>
/// <param name="Kind">What it does.</param>
/// <param name="UserId">The member.</param>
/// <param name="Target">The reservation settled or released.</param>
/// <param name="NewId">The id of the usage log row (record, settle) or of the new reservation (reserve).</param>
/// <param name="Tokens">Tokens used (record, settle) or the most to hold (reserve).</param>
/// <param name="MinTokens">The fewest a reservation accepts.</param>
/// <param name="Expiry">How long a reservation holds.</param>
/// <param name="Model">The model, if known.</param>
/// <param name="UsageType">The kind of usage, if given.</param>
internal sealed record MeterOperation(
    MeterKind Kind, Guid UserId, Guid? Target, Guid NewId, long Tokens, long MinTokens = 0, TimeSpan Expiry = default, string? Model = null, string? UsageType = null);

/// <summary>One row of <c>meter_team</c>: an operation's outcome (see the migration for their meaning).</summary>
internal sealed record MeterRow(
    string Outcome, long? Tokens, long? TokensNotCharged, long? Remaining, long? TeamUsed, long? TeamTotal, long? TeamRemaining,
    long? MemberUsed, long? MemberAllocation, long? MemberRemaining, Guid? ReservationId, DateTimeOffset? ExpiresAt);

/// <summary>
/// Team usage and reservations: every operation is one call of <c>meter_team</c> (migration 0010), which checks the
/// pool and the member's allocation under the plan row lock, writes the usage, the log and the reservations, and
/// raises the 80 % / 100 % warnings. Operations from callers go through a <see cref="TransactionCombiner{TKey, TOperation, TResult}"/>, which sends
/// each transaction as one round trip and combines concurrent operations on the same team; the methods taking a
/// connection and a transaction run inside a transaction the caller already has (the chat pipeline settling in the
/// transaction that writes its own usage record).
/// </summary>
internal sealed class TeamMetering
{
    private readonly RadiantDb _db;
    private readonly TeamStore _store;
    private readonly TeamStore.Statements _sql;
    private readonly TeamPeriodRollover _periods;
    private readonly TransactionCombiner<(Guid TenantId, Guid TeamId), MeterOperation, MeterRow> _batcher;
    private readonly string _meter;
    private readonly string _channel;
    private readonly string _expiredTeams;
    private readonly string _expire;

    public TeamMetering(RadiantDb db, TeamStore store, TeamPeriodRollover periods)
    {
        _db = db;
        _store = store;
        _sql = store.Sql;
        _periods = periods;
        _channel = RadiantChannels.Outbox(db);
        _meter = db.Sql(
            """
            SELECT outcome, tokens, tokens_not_charged, remaining, team_used, team_total, team_remaining,
                   member_used, member_allocation, member_remaining, reservation_id, expires_at
            FROM {schema}.meter_team($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ORDER BY ord
            """);
        _expiredTeams = db.Sql(
            "SELECT DISTINCT tenant_id FROM {schema}.team_reservations WHERE state = 'held' AND expires_at <= clock_timestamp() LIMIT 500");
        _expire = db.Sql(
            "UPDATE {schema}.team_reservations SET state = 'expired', closed_at = now() WHERE tenant_id = $1 AND state = 'held' AND expires_at <= clock_timestamp()");
        _batcher = new(RunBatchAsync);
    }

    public async Task<UsageRecorded> RecordUsageAsync(RadiantCaller caller, Guid teamId, TeamUsage usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        usage.Validate();
        var operation = Record(caller, usage);
        return ToUsage(Check(await RunAsync(caller, teamId, operation, cancellationToken), teamId, operation));
    }

    public async Task<TeamReservation> ReserveAsync(RadiantCaller caller, Guid teamId, TeamReservationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var operation = Reserve(caller, request);
        return ToReservation(Check(await RunAsync(caller, teamId, operation, cancellationToken), teamId, operation), teamId, request);
    }

    public async Task<TeamSettlement> SettleAsync(RadiantCaller caller, Guid teamId, Guid reservationId, TeamUsage actual, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actual);
        actual.Validate();
        var operation = Settle(caller, reservationId, actual);
        return ToSettlement(Check(await RunAsync(caller, teamId, operation, cancellationToken), teamId, operation), reservationId);
    }

    public async Task ReleaseAsync(RadiantCaller caller, Guid teamId, Guid reservationId, CancellationToken cancellationToken)
    {
        var operation = Release(caller, reservationId);
        Check(await RunAsync(caller, teamId, operation, cancellationToken), teamId, operation);
    }

    /// <summary>
    /// Records usage inside the caller's transaction (its context entered for <paramref name="caller"/>'s tenant by
    /// <see cref="RadiantDb"/>): one statement, or three when the period has ended and is rolled over first.
    /// </summary>
    public async Task<UsageRecorded> RecordUsageAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, TeamUsage usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        usage.Validate();
        var operation = Record(caller, usage);
        return ToUsage(Check(await MeterInTransactionAsync(connection, transaction, caller.TenantId, teamId, operation, cancellationToken), teamId, operation));
    }

    /// <summary>Reserves inside the caller's transaction (see <see cref="RecordUsageAsync(NpgsqlConnection, NpgsqlTransaction, RadiantCaller, Guid, TeamUsage, CancellationToken)"/>).</summary>
    public async Task<TeamReservation> ReserveAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, TeamReservationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var operation = Reserve(caller, request);
        return ToReservation(Check(await MeterInTransactionAsync(connection, transaction, caller.TenantId, teamId, operation, cancellationToken), teamId, operation), teamId, request);
    }

    /// <summary>
    /// Settles inside the caller's transaction, so the settlement commits (or rolls back) with what else the
    /// transaction writes — the chat pipeline's own usage record.
    /// </summary>
    public async Task<TeamSettlement> SettleAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, Guid reservationId, TeamUsage actual, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actual);
        actual.Validate();
        var operation = Settle(caller, reservationId, actual);
        return ToSettlement(Check(await MeterInTransactionAsync(connection, transaction, caller.TenantId, teamId, operation, cancellationToken), teamId, operation), reservationId);
    }

    /// <summary>Releases inside the caller's transaction; true when this call released the hold (false: it was already closed).</summary>
    public async Task<bool> ReleaseAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, Guid reservationId, CancellationToken cancellationToken)
    {
        var operation = Release(caller, reservationId);
        return Check(await MeterInTransactionAsync(connection, transaction, caller.TenantId, teamId, operation, cancellationToken), teamId, operation).Outcome == "released";
    }

    /// <summary>
    /// Marks expired holds across tenants (the worker's housekeeping: an expired hold already stops counting, marked or
    /// not). Returns the number marked.
    /// </summary>
    public async Task<int> ExpireReservationsAsync(CancellationToken cancellationToken)
    {
        var tenants = await _db.InScopeAsync(
            RadiantScope.System,
            async (connection, transaction) => (await connection.QueryAsync<Guid>(new CommandDefinition(_expiredTeams, transaction: transaction, cancellationToken: cancellationToken))).ToList(),
            cancellationToken);
        var expired = 0;
        foreach (var tenantId in tenants)
        {
            expired += await _db.InTenantAsync(tenantId, null, async (connection, transaction) =>
            {
                await using var command = new NpgsqlCommand(_expire, connection, transaction);
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = tenantId });
                return await command.ExecuteNonQueryAsync(cancellationToken);
            }, cancellationToken);
        }

        return expired;
    }

    public Task<TeamUsageStats> GetStatsAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken) =>
        _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            await _store.RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
            var plan = await _store.ReadPlanAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
            var members = (await connection.QueryAsync<TeamStore.MemberRow>(new CommandDefinition(
                    _sql.ListMembers, new { caller.TenantId, TeamId = teamId }, transaction, cancellationToken: cancellationToken)))
                .Where(m => m.Status == "active")
                .Select(m => new MemberUsage(
                    m.UserId, m.Email, m.DisplayName, DbEnum.Parse<TeamRole>(m.Role), m.TokensUsedThisPeriod, m.TokenAllocation,
                    Math.Round(m.TokensUsedThisPeriod * 100m / plan.TotalTokensMonthly, 2, MidpointRounding.AwayFromZero)))
                .ToList();
            return new TeamUsageStats(
                plan.Id, plan.Name, plan.SharedPool, plan.TotalTokensMonthly, plan.TokensUsedThisPeriod,
                Math.Max(0, plan.TotalTokensMonthly - plan.TokensUsedThisPeriod), plan.CurrentPeriodStart, plan.CurrentPeriodEnd, members);
        }, cancellationToken);

    private static MeterOperation Record(RadiantCaller caller, TeamUsage usage) =>
        new(MeterKind.Record, caller.UserId, null, Guid.CreateVersion7(), usage.Tokens, Model: usage.Model, UsageType: usage.UsageType);

    private static MeterOperation Reserve(RadiantCaller caller, TeamReservationRequest request) =>
        new(MeterKind.Reserve, caller.UserId, null, Guid.CreateVersion7(), request.MaxTokens, request.MinTokens, request.EffectiveExpiry, request.Model);

    /// <summary>A settlement of <paramref name="reservationId"/> to <paramref name="actual"/> (validated by the caller).</summary>
    public static MeterOperation Settle(RadiantCaller caller, Guid reservationId, TeamUsage actual) =>
        new(MeterKind.Settle, caller.UserId, reservationId, Guid.CreateVersion7(), actual.Tokens, Model: actual.Model, UsageType: actual.UsageType);

    /// <summary>A release of <paramref name="reservationId"/>.</summary>
    public static MeterOperation Release(RadiantCaller caller, Guid reservationId) =>
        new(MeterKind.Release, caller.UserId, reservationId, Guid.CreateVersion7(), 0);

    /// <summary>Through the batcher; a period that ended is rolled over in a transaction of the caller's own, then charged there.</summary>
    private async Task<MeterRow> RunAsync(RadiantCaller caller, Guid teamId, MeterOperation operation, CancellationToken cancellationToken)
    {
        var row = await _batcher.RunAsync((caller.TenantId, teamId), operation, cancellationToken);
        return row.Outcome == "period_over"
            ? await _db.InTenantAsync(caller, (connection, transaction) => MeterInTransactionAsync(connection, transaction, caller.TenantId, teamId, operation, cancellationToken), cancellationToken)
            : row;
    }

    private async Task<MeterRow> MeterInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, MeterOperation operation, CancellationToken cancellationToken) =>
        (await MeterAllInTransactionAsync(connection, transaction, tenantId, teamId, [operation], cancellationToken))[0];

    /// <summary>
    /// Applies <paramref name="operations"/> to one team inside the caller's transaction, in one call of
    /// <c>meter_team</c>; the rows come back unchecked, one per operation. An operation that found the period ended
    /// is applied again, in the same transaction, once the period is rolled over.
    /// </summary>
    public async Task<IReadOnlyList<MeterRow>> MeterAllInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, IReadOnlyList<MeterOperation> operations,
        CancellationToken cancellationToken)
    {
        var rows = await MeterOnceAsync(connection, transaction, teamId, operations, cancellationToken);
        var over = Enumerable.Range(0, rows.Count).Where(i => rows[i].Outcome == "period_over").ToList();
        if (over.Count == 0)
        {
            return rows;
        }

        // Under the plan lock, so that what follows sees the latest state: roll the ended period over (unless a
        // concurrent request or the worker just did), then charge again in the new one.
        await _periods.RollOverIfDueAsync(connection, transaction, tenantId, teamId, cancellationToken);
        var again = await MeterOnceAsync(connection, transaction, teamId, over.ConvertAll(i => operations[i]), cancellationToken);
        var result = rows.ToArray();
        for (var j = 0; j < over.Count; j++)
        {
            result[over[j]] = again[j].Outcome == "period_over" ? throw new InvalidOperationException("The period was still over after rolling it over.") : again[j];
        }

        return result;
    }

    private async Task<IReadOnlyList<MeterRow>> MeterOnceAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid teamId, IReadOnlyList<MeterOperation> operations, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_meter, connection, transaction);
        AddParameters(command.Parameters, teamId, operations);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadRowsAsync(reader, operations.Count, cancellationToken);
    }

    private Task<IReadOnlyList<MeterRow>> RunBatchAsync((Guid TenantId, Guid TeamId) team, IReadOnlyList<MeterOperation> operations) =>
        _db.InTenantOneTripAsync(
            team.TenantId,
            null,
            batch =>
            {
                var command = new NpgsqlBatchCommand(_meter);
                AddParameters(command.Parameters, team.TeamId, operations);
                batch.BatchCommands.Add(command);
            },
            (reader, ct) => ReadRowsAsync(reader, operations.Count, ct),
            CancellationToken.None);

    private void AddParameters(NpgsqlParameterCollection parameters, Guid teamId, IReadOnlyList<MeterOperation> operations)
    {
        var count = operations.Count;
        var kinds = new string[count];
        var users = new Guid[count];
        var targets = new Guid?[count];
        var newIds = new Guid[count];
        var tokens = new long[count];
        var mins = new long[count];
        var expiries = new long[count];
        var models = new string?[count];
        var types = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var o = operations[i];
            kinds[i] = o.Kind switch
            {
                MeterKind.Record => "record",
                MeterKind.Reserve => "reserve",
                MeterKind.Settle => "settle",
                _ => "release",
            };
            users[i] = o.UserId;
            targets[i] = o.Target;
            newIds[i] = o.NewId;
            tokens[i] = o.Tokens;
            mins[i] = o.MinTokens;
            expiries[i] = (long)o.Expiry.TotalMilliseconds;
            models[i] = o.Model;
            types[i] = o.UsageType;
        }

        parameters.Add(new NpgsqlParameter<Guid> { TypedValue = teamId });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = users });
        parameters.Add(new NpgsqlParameter<Guid?[]> { TypedValue = targets, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = newIds });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = tokens });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = mins });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = expiries });
        parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = models, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = _channel });
    }

    private static async Task<IReadOnlyList<MeterRow>> ReadRowsAsync(NpgsqlDataReader reader, int expected, CancellationToken cancellationToken)
    {
        var rows = new List<MeterRow>(expected);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new MeterRow(
                reader.GetString(0), Int64(reader, 1), Int64(reader, 2), Int64(reader, 3), Int64(reader, 4), Int64(reader, 5), Int64(reader, 6),
                Int64(reader, 7), Int64(reader, 8), Int64(reader, 9),
                reader.IsDBNull(10) ? null : reader.GetGuid(10),
                reader.IsDBNull(11) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(11), DateTimeKind.Utc))));
        }

        return rows.Count == expected ? rows : throw new InvalidOperationException($"meter_team returned {rows.Count} rows for {expected} operations.");
    }

    private static long? Int64(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    /// <summary>Returns a row that did what was asked (or had been done before); throws the refusal of any other.</summary>
    public static MeterRow Check(MeterRow row, Guid teamId, MeterOperation operation) => row.Outcome switch
    {
        "recorded" or "reserved" or "settled" or "settled_before" or "released" or "closed_before" => row,
        "not_found" when operation.Kind is MeterKind.Settle or MeterKind.Release => throw new RadiantNotFoundException("reservation", operation.Target!.Value),
        "not_found" => throw new RadiantNotFoundException("team", teamId),
        "pending" => throw new RadiantForbiddenException("Accept the invitation before using the plan."),
        "inactive" => throw new RadiantConflictException("The plan is inactive."),
        "released_before" => throw new RadiantConflictException("The reservation was released; there is nothing to settle."),
        "team_pool" => throw new RadiantLimitExceededException(
            "team_pool",
            row.Remaining!.Value,
            operation.Kind == MeterKind.Reserve
                ? $"The team's monthly pool of {row.TeamTotal} tokens has {row.Remaining} left to reserve, fewer than the {operation.MinTokens} this call needs."
                : $"The team's monthly pool of {row.TeamTotal} tokens would be exceeded by {operation.Tokens} tokens; {row.Remaining} remain."),
        "member_allocation" when row.MemberAllocation is null => throw new RadiantLimitExceededException(
            "member_allocation", 0, "This plan gives each member an allocation, and you have none yet; ask an admin."),
        "member_allocation" => throw new RadiantLimitExceededException(
            "member_allocation",
            row.Remaining!.Value,
            operation.Kind == MeterKind.Reserve
                ? $"Your allocation of {row.MemberAllocation} tokens has {row.Remaining} left to reserve, fewer than the {operation.MinTokens} this call needs."
                : $"Your allocation of {row.MemberAllocation} tokens would be exceeded; {row.Remaining} remain."),
        _ => throw new InvalidOperationException($"meter_team answered '{row.Outcome}'."),
    };

    private static UsageRecorded ToUsage(MeterRow row) =>
        new(row.TeamUsed!.Value, row.TeamRemaining!.Value, row.MemberUsed!.Value, row.MemberRemaining);

    private static TeamReservation ToReservation(MeterRow row, Guid teamId, TeamReservationRequest request) =>
        new(row.ReservationId!.Value, teamId, request.MaxTokens, row.Tokens!.Value, row.ExpiresAt!.Value, row.TeamRemaining!.Value, row.MemberRemaining);

    private static TeamSettlement ToSettlement(MeterRow row, Guid reservationId) =>
        new(reservationId, row.Tokens!.Value, row.TokensNotCharged!.Value, ToUsage(row));
}
