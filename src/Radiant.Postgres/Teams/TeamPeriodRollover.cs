using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Teams;

/// <summary>Team periods: roll-over on the spot (when usage meets an ended period) and by the worker, the manual reset, and the history.</summary>
internal sealed partial class TeamPeriodRollover
{
    private readonly RadiantDb _db;
    private readonly TeamStore _store;
    private readonly TeamStore.Statements _sql;
    private readonly ILogger<TeamPeriodRollover> _logger;

    public TeamPeriodRollover(RadiantDb db, TeamStore store, ILogger<TeamPeriodRollover> logger)
    {
        _db = db;
        _store = store;
        _sql = store.Sql;
        _logger = logger;
    }

    public Task<Page<TeamPeriodSummary>> ListPeriodsAsync(RadiantCaller caller, Guid teamId, PageRequest? page, CancellationToken cancellationToken)
    {
        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("team-periods", slice, 1);
        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            await _store.RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
            var rows = (await connection.QueryAsync<(DateTime Start, DateTime End, long Pool, long Used)>(new CommandDefinition(
                _sql.ListPeriods,
                new { caller.TenantId, TeamId = teamId, Take = slice.Limit + 1, After = after?[0].GetDateTimeOffset() },
                transaction,
                cancellationToken: cancellationToken))).ToList();
            return PageCursor.ToPage(
                "team-periods", rows, slice, p => new TeamPeriodSummary(JsonColumns.Utc(p.Start), JsonColumns.Utc(p.End), p.Pool, p.Used), p => [p.Start]);
        }, cancellationToken);
    }

    public Task<TeamPlan> ResetPeriodAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken)
    {
        caller.RequireTenantAdmin("reset a team's period");
        var tenantId = caller.TenantId;
        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            _ = await connection.QuerySingleOrDefaultAsync<TeamStore.PlanRow>(new CommandDefinition(
                    _sql.LockPlan, new { TenantId = tenantId, Id = teamId }, transaction, cancellationToken: cancellationToken))
                ?? throw new RadiantNotFoundException("team", teamId);
            await RollOverAsync(connection, transaction, tenantId, teamId, closeAt: await _store.NowAsync(connection, transaction, cancellationToken), cancellationToken);
            return await _store.ReadPlanAsync(connection, transaction, tenantId, teamId, cancellationToken);
        }, cancellationToken);
    }

    public async Task<int> RollOverDuePeriodsAsync(CancellationToken cancellationToken)
    {
        // The system scope finds due plans across tenants (read only); each is then rolled over with its tenant set.
        var due = await _db.InScopeAsync(
            RadiantScope.System,
            async (connection, transaction) =>
            {
                return (await connection.QueryAsync<(Guid TenantId, Guid TeamId)>(new CommandDefinition(_sql.DuePlans, transaction: transaction, cancellationToken: cancellationToken))).ToList();
            },
            cancellationToken);

        var rolled = 0;
        foreach (var (tenantId, teamId) in due)
        {
            rolled += await _db.InTenantAsync(tenantId, null, async (connection, transaction) =>
            {
                // Another instance holding the row is rolling it over: skip it rather than wait.
                var locked = await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(
                    _sql.LockDuePlan, new { TenantId = tenantId, Id = teamId }, transaction, cancellationToken: cancellationToken));
                if (locked is null)
                {
                    return 0;
                }

                await RollOverAsync(connection, transaction, tenantId, teamId, closeAt: null, cancellationToken);
                return 1;
            }, cancellationToken);
        }

        return rolled;
    }

    /// <summary>Takes the plan row lock, then rolls the period over if it is still over (a concurrent request or the worker may just have done it).</summary>
    public async Task RollOverIfDueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, CancellationToken cancellationToken)
    {
        var due = await connection.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(
            _sql.LockPlanIfDue, new { TenantId = tenantId, Id = teamId }, transaction, cancellationToken: cancellationToken))
            ?? throw new RadiantNotFoundException("team", teamId);
        if (due)
        {
            await RollOverAsync(connection, transaction, tenantId, teamId, closeAt: null, cancellationToken);
        }
    }

    /// <summary>
    /// Closes the current period (at its end, or at <paramref name="closeAt"/> for a manual reset), keeps its totals,
    /// zeroes the counters and starts the period containing now. Missed periods with no usage are not recorded.
    /// The caller holds the plan row lock.
    /// </summary>
    private async Task RollOverAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, DateTimeOffset? closeAt, CancellationToken cancellationToken)
    {
        var plan = await _store.ReadPlanRowAsync(connection, transaction, tenantId, teamId, cancellationToken);
        var now = await _store.NowAsync(connection, transaction, cancellationToken);
        var closedAt = closeAt ?? JsonColumns.Utc(plan.CurrentPeriodEnd);
        var (nextStart, nextEnd) = TeamPeriods.Containing(JsonColumns.Utc(plan.PeriodAnchor), now);
        if (closeAt is { } manual)
        {
            nextStart = manual;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            _sql.RollOver,
            new { TenantId = tenantId, TeamId = teamId, ClosedAt = closedAt, NextStart = nextStart, NextEnd = nextEnd },
            transaction,
            cancellationToken: cancellationToken));
        var closedStart = JsonColumns.Utc(plan.CurrentPeriodStart);
        LogRolledOver(tenantId, teamId, closedStart, closedAt, plan.TokensUsedThisPeriod);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Team {TeamId} of tenant {TenantId}: period from {PeriodStart:O} closed at {ClosedAt:O} with {TokensUsed} tokens used")]
    private partial void LogRolledOver(Guid tenantId, Guid teamId, DateTimeOffset periodStart, DateTimeOffset closedAt, long tokensUsed);
}
