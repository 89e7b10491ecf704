using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Errors;
using Radiant.Postgres.Notifications;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Teams;

/// <summary>Team usage: the atomic pool and member charge, the explanation of a refusal, the stats, and the 80 % / 100 % warnings.</summary>
internal sealed partial class TeamMetering
{
    private readonly RadiantDb _db;
    private readonly TeamStore _store;
    private readonly TeamStore.Statements _sql;
    private readonly TeamPeriodRollover _periods;
    private readonly Outbox _outbox;
    private readonly ILogger<TeamMetering> _logger;

    public TeamMetering(RadiantDb db, TeamStore store, TeamPeriodRollover periods, Outbox outbox, ILogger<TeamMetering> logger)
    {
        _db = db;
        _store = store;
        _sql = store.Sql;
        _periods = periods;
        _outbox = outbox;
        _logger = logger;
    }

    public async Task<UsageRecorded> RecordUsageAsync(RadiantCaller caller, Guid teamId, TeamUsage usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        usage.Validate();
        return await _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            var args = new { caller.TenantId, TeamId = teamId, caller.UserId, usage.Tokens };
            // 1. The pool: check and increment in one statement; the row lock it takes serializes the team's usage.
            var team = await connection.QuerySingleOrDefaultAsync<TeamStore.PoolRow>(new CommandDefinition(_sql.ChargePool, args, transaction, cancellationToken: cancellationToken));
            if (team is null)
            {
                // Slow path, under the plan lock so that what follows sees the latest committed state: roll an ended
                // period over (unless a concurrent request or the worker just did), charge again, or explain the refusal.
                await RequireUsableMembershipAsync(connection, transaction, caller, teamId, cancellationToken);
                await _periods.RollOverIfDueAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);

                team = await connection.QuerySingleOrDefaultAsync<TeamStore.PoolRow>(new CommandDefinition(_sql.ChargePool, args, transaction, cancellationToken: cancellationToken));
                if (team is null)
                {
                    await DiagnosePoolAsync(connection, transaction, caller, teamId, usage.Tokens, cancellationToken);
                    throw new InvalidOperationException("Usage was refused for a reason the diagnosis did not find.");
                }
            }

            // 2. The member: active, and within their allocation when the plan is not a shared pool.
            var member = await connection.QuerySingleOrDefaultAsync<TeamStore.MemberUsageRow>(new CommandDefinition(
                _sql.ChargeMember, new { caller.TenantId, TeamId = teamId, caller.UserId, usage.Tokens, team.SharedPool }, transaction, cancellationToken: cancellationToken));
            if (member is null)
            {
                var row = await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken);
                throw row switch
                {
                    { Status: "active", TokenAllocation: null } => new RadiantLimitExceededException(
                        "member_allocation", 0, "This plan gives each member an allocation, and you have none yet; ask an admin."),
                    { Status: "active" } => new RadiantLimitExceededException(
                        "member_allocation",
                        Math.Max(0, row.TokenAllocation!.Value - row.TokensUsedThisPeriod),
                        $"Your allocation of {row.TokenAllocation} tokens would be exceeded; {Math.Max(0, row.TokenAllocation!.Value - row.TokensUsedThisPeriod)} remain."),
                    _ => new RadiantNotFoundException("team", teamId),
                };
            }

            // 3. The log, in the same transaction.
            await connection.ExecuteAsync(new CommandDefinition(
                _sql.LogUsage,
                new { caller.TenantId, Id = Guid.CreateVersion7(), TeamId = teamId, caller.UserId, usage.Tokens, usage.Model, usage.UsageType, team.PeriodStart },
                transaction,
                cancellationToken: cancellationToken));

            // 4. Warnings at 80 % and 100 %, once per threshold per period.
            var periodStart = JsonColumns.Utc(team.PeriodStart);
            await RaiseWarningsAsync(connection, transaction, caller.TenantId, teamId, teamId, null, team.Used - usage.Tokens, team.Used, team.Total, periodStart, cancellationToken);
            if (!team.SharedPool && member.Allocation is { } allocation)
            {
                await RaiseWarningsAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, caller.UserId, member.Used - usage.Tokens, member.Used, allocation, periodStart, cancellationToken);
            }

            return new UsageRecorded(
                team.Used,
                Math.Max(0, team.Total - team.Used),
                member.Used,
                team.SharedPool || member.Allocation is null ? null : Math.Max(0, member.Allocation.Value - member.Used));
        }, cancellationToken);
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

    private async Task RaiseWarningsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, Guid subject, Guid? userId,
        long before, long after, long limit, DateTimeOffset periodStart, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return;
        }

        foreach (var threshold in new[] { 80, 100 })
        {
            // Crossed by this usage: below before, at or above after (integer arithmetic, no rounding).
            if (before * 100 < threshold * limit && after * 100 >= threshold * limit)
            {
                var inserted = await connection.ExecuteAsync(new CommandDefinition(
                    _sql.Warn, new { TenantId = tenantId, TeamId = teamId, PeriodStart = periodStart, Subject = subject, Threshold = (short)threshold }, transaction, cancellationToken: cancellationToken));
                if (inserted == 1)
                {
                    // Queued with the usage, delivered once it commits (the outbox), retried if the host's notifier throws.
                    await _outbox.AddAsync(connection, transaction, new TeamUsageWarning(tenantId, teamId, userId, threshold, after, limit, periodStart), cancellationToken);
                    LogWarning(teamId, userId, threshold, after, limit);
                }
            }
        }
    }

    /// <summary>Explains a refused pool charge by throwing: not a member (not found), inactive plan, or the pool. Returns when the period has ended.</summary>
    private async Task DiagnosePoolAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, long tokens, CancellationToken cancellationToken)
    {
        await RequireUsableMembershipAsync(connection, transaction, caller, teamId, cancellationToken);
        var plan = await _store.ReadPlanRowAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
        if (!plan.IsActive)
        {
            throw new RadiantConflictException("The plan is inactive.");
        }

        if (plan.CurrentPeriodEnd <= (await _store.NowAsync(connection, transaction, cancellationToken)).UtcDateTime)
        {
            return;
        }

        var remaining = Math.Max(0, plan.TotalTokensMonthly - plan.TokensUsedThisPeriod);
        throw new RadiantLimitExceededException(
            "team_pool", remaining, $"The team's monthly pool of {plan.TotalTokensMonthly} tokens would be exceeded by {tokens} tokens; {remaining} remain.");
    }

    /// <summary>Only active members use a plan: a pending invitee is told to accept first, anyone else does not see it.</summary>
    private async Task RequireUsableMembershipAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, CancellationToken cancellationToken)
    {
        var membership = await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken);
        if (membership is not { Status: "active" })
        {
            throw membership is { Status: "pending" }
                ? new RadiantForbiddenException("Accept the invitation before using the plan.")
                : new RadiantNotFoundException("team", teamId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Team {TeamId} crossed {Threshold} % ({TokensUsed} of {Limit} tokens; member {UserId})")]
    private partial void LogWarning(Guid teamId, Guid? userId, int threshold, long tokensUsed, long limit);
}
