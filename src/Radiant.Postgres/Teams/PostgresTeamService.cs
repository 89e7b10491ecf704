using Dapper;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Teams;

/// <summary>The plans themselves; membership, metering and periods are delegated to their own classes.</summary>
internal sealed class PostgresTeamService : ITeamService
{
    private readonly RadiantDb _db;
    private readonly TeamStore _store;
    private readonly TeamStore.Statements _sql;
    private readonly TeamMembership _membership;
    private readonly TeamMetering _metering;
    private readonly TeamPeriodRollover _periods;

    public PostgresTeamService(RadiantDb db, TeamStore store, TeamMembership membership, TeamMetering metering, TeamPeriodRollover periods)
    {
        _db = db;
        _store = store;
        _sql = store.Sql;
        _membership = membership;
        _metering = metering;
        _periods = periods;
    }

    public async Task<TeamPlan> CreateAsync(RadiantCaller caller, TeamCreate input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        try
        {
            return await _db.InTenantAsync(caller, async (connection, transaction) =>
            {
                var now = await _store.NowAsync(connection, transaction, cancellationToken);
                var (start, end) = TeamPeriods.Containing(now, now);
                var id = Guid.CreateVersion7();
                await connection.ExecuteAsync(new CommandDefinition(
                    _sql.InsertPlan,
                    new
                    {
                        caller.TenantId, Id = id, input.Name, Type = DbEnum.Name(input.Type), OwnerId = caller.UserId, input.MaxMembers,
                        input.TotalTokensMonthly, input.SharedPool, input.BillingEmail, Anchor = now, Start = start, End = end,
                    },
                    transaction,
                    cancellationToken: cancellationToken));
                return await _store.ReadPlanAsync(connection, transaction, caller.TenantId, id, cancellationToken);
            }, cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("user", caller);
        }
    }

    public Task<TeamPlan> GetAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            await _store.RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: true, cancellationToken);
            return await _store.ReadPlanAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
        }, cancellationToken);

    public Task<Page<TeamPlan>> ListAsync(RadiantCaller caller, PageRequest? page = null, CancellationToken cancellationToken = default)
    {
        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("teams", slice, 2);
        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            var rows = (await connection.QueryAsync<TeamStore.PlanRow>(new CommandDefinition(
                _sql.ListPlans,
                new { caller.TenantId, caller.UserId, Take = slice.Limit + 1, AfterName = after?[0].GetString(), AfterId = after?[1].GetGuid() },
                transaction,
                cancellationToken: cancellationToken))).ToList();
            return PageCursor.ToPage("teams", rows, slice, r => r.ToPlan(), r => [r.Name, r.Id]);
        }, cancellationToken);
    }

    public Task<TeamPlan> UpdateAsync(RadiantCaller caller, Guid teamId, TeamUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        update.Validate();
        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            var plan = await _store.LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            await _store.RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            var seats = await _store.CountSeatsAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
            var maxMembers = update.MaxMembers.GetValueOrDefault(plan.MaxMembers);
            var shared = update.SharedPool.GetValueOrDefault(plan.SharedPool);
            var pool = update.TotalTokensMonthly.GetValueOrDefault(plan.TotalTokensMonthly);
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            if (update.MaxMembers.HasValue && maxMembers < seats)
            {
                errors["maxMembers"] = [$"'maxMembers' cannot go below the {seats} members and pending invitations."];
            }

            if (!shared)
            {
                var allocated = await _store.SumAllocationsAsync(connection, transaction, caller.TenantId, teamId, null, cancellationToken);
                if (allocated > pool)
                {
                    errors["totalTokensMonthly"] = [$"Member allocations total {allocated} tokens, more than a pool of {pool}."];
                }
            }

            if (errors.Count > 0)
            {
                throw new RadiantValidationException(errors);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                _sql.UpdatePlan,
                new
                {
                    caller.TenantId, Id = teamId, Name = update.Name.GetValueOrDefault(plan.Name), MaxMembers = maxMembers, TotalTokensMonthly = pool,
                    SharedPool = shared, IsActive = update.IsActive.GetValueOrDefault(plan.IsActive),
                    BillingEmail = update.BillingEmail.GetValueOrDefault(plan.BillingEmail),
                },
                transaction,
                cancellationToken: cancellationToken));
            return await _store.ReadPlanAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
        }, cancellationToken);
    }

    public Task<Page<TeamMember>> ListMembersAsync(RadiantCaller caller, Guid teamId, PageRequest? page = null, CancellationToken cancellationToken = default) =>
        _membership.ListMembersAsync(caller, teamId, page, cancellationToken);

    public Task<TeamMember> InviteAsync(RadiantCaller caller, Guid teamId, TeamInvitation invitation, CancellationToken cancellationToken = default) =>
        _membership.InviteAsync(caller, teamId, invitation, cancellationToken);

    public Task<TeamMember> AcceptInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        _membership.AcceptInvitationAsync(caller, teamId, cancellationToken);

    public Task<TeamMember> DeclineInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        _membership.DeclineInvitationAsync(caller, teamId, cancellationToken);

    public Task<TeamMember> UpdateMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, TeamMemberUpdate update, CancellationToken cancellationToken = default) =>
        _membership.UpdateMemberAsync(caller, teamId, userId, update, cancellationToken);

    public Task RemoveMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, CancellationToken cancellationToken = default) =>
        _membership.RemoveMemberAsync(caller, teamId, userId, cancellationToken);

    public Task<UsageRecorded> RecordUsageAsync(RadiantCaller caller, Guid teamId, TeamUsage usage, CancellationToken cancellationToken = default) =>
        _metering.RecordUsageAsync(caller, teamId, usage, cancellationToken);

    public Task<TeamReservation> ReserveAsync(RadiantCaller caller, Guid teamId, TeamReservationRequest request, CancellationToken cancellationToken = default) =>
        _metering.ReserveAsync(caller, teamId, request, cancellationToken);

    public Task<TeamSettlement> SettleAsync(RadiantCaller caller, Guid teamId, Guid reservationId, TeamUsage actual, CancellationToken cancellationToken = default) =>
        _metering.SettleAsync(caller, teamId, reservationId, actual, cancellationToken);

    public Task ReleaseAsync(RadiantCaller caller, Guid teamId, Guid reservationId, CancellationToken cancellationToken = default) =>
        _metering.ReleaseAsync(caller, teamId, reservationId, cancellationToken);

    public Task<TeamUsageStats> GetStatsAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        _metering.GetStatsAsync(caller, teamId, cancellationToken);

    public Task<Page<TeamPeriodSummary>> ListPeriodsAsync(RadiantCaller caller, Guid teamId, PageRequest? page = null, CancellationToken cancellationToken = default) =>
        _periods.ListPeriodsAsync(caller, teamId, page, cancellationToken);

    public Task<TeamPlan> ResetPeriodAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        _periods.ResetPeriodAsync(caller, teamId, cancellationToken);

    public Task<int> RollOverDuePeriodsAsync(CancellationToken cancellationToken = default) =>
        _periods.RollOverDuePeriodsAsync(cancellationToken);
}
