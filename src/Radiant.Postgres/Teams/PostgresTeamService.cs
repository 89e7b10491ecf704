using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Teams;

internal sealed partial class PostgresTeamService : ITeamService
{
    private const string PlanColumns =
        "p.id AS Id, p.tenant_id AS TenantId, p.plan_name AS Name, p.plan_type AS Type, p.owner_id AS OwnerId, p.max_members AS MaxMembers, " +
        "p.total_tokens_monthly AS TotalTokensMonthly, p.shared_pool AS SharedPool, p.billing_email AS BillingEmail, p.is_active AS IsActive, " +
        "p.tokens_used_this_period AS TokensUsedThisPeriod, p.current_period_start AS CurrentPeriodStart, " +
        "p.current_period_end AS CurrentPeriodEnd, p.created_at AS CreatedAt, p.period_anchor AS PeriodAnchor";

    private const string RoleRank = "CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END";

    private const string MemberColumns =
        "m.user_id AS UserId, u.email AS Email, u.display_name AS DisplayName, m.role AS Role, m.status AS Status, " +
        "m.token_allocation AS TokenAllocation, m.tokens_used_this_period AS TokensUsedThisPeriod, m.invited_by AS InvitedBy, " +
        "m.invited_at AS InvitedAt, m.accepted_at AS AcceptedAt";

    private readonly RadiantDb _db;
    private readonly ITeamUsageNotifier _notifier;
    private readonly ILogger<PostgresTeamService> _logger;
    private readonly Sql _sql;

    public PostgresTeamService(RadiantDb db, ITeamUsageNotifier notifier, ILogger<PostgresTeamService> logger)
    {
        _db = db;
        _notifier = notifier;
        _logger = logger;
        _sql = new Sql(db);
    }

    public async Task<TeamPlan> CreateAsync(RadiantCaller caller, TeamCreate input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        try
        {
            return await InTenantAsync(caller, async (connection, transaction) =>
            {
                var now = await NowAsync(connection, transaction, cancellationToken);
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
                return await ReadPlanAsync(connection, transaction, caller.TenantId, id, cancellationToken);
            }, cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("user", caller);
        }
    }

    public Task<TeamPlan> GetAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            await RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: true, cancellationToken);
            return await ReadPlanAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
        }, cancellationToken);

    public Task<Page<TeamPlan>> ListAsync(RadiantCaller caller, PageRequest? page = null, CancellationToken cancellationToken = default)
    {
        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("teams", slice, 2);
        return InTenantAsync(caller, async (connection, transaction) =>
        {
            var rows = (await connection.QueryAsync<PlanRow>(new CommandDefinition(
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
        return InTenantAsync(caller, async (connection, transaction) =>
        {
            var plan = await LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            await RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            var seats = await CountSeatsAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
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
                var allocated = await SumAllocationsAsync(connection, transaction, caller.TenantId, teamId, null, cancellationToken);
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
            return await ReadPlanAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
        }, cancellationToken);
    }

    public Task<Page<TeamMember>> ListMembersAsync(RadiantCaller caller, Guid teamId, PageRequest? page = null, CancellationToken cancellationToken = default)
    {
        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("team-members", slice, 3);
        return InTenantAsync(caller, async (connection, transaction) =>
        {
            await RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
            var rows = (await connection.QueryAsync<MemberRow>(new CommandDefinition(
                _sql.ListMembersPage,
                new
                {
                    caller.TenantId, TeamId = teamId, Take = slice.Limit + 1,
                    AfterRank = after?[0].GetInt32(), AfterInvited = after?[1].GetDateTimeOffset(), AfterUser = after?[2].GetGuid(),
                },
                transaction,
                cancellationToken: cancellationToken))).ToList();
            return PageCursor.ToPage("team-members", rows, slice, r => r.ToMember(), r => [r.RoleRank, r.InvitedAt, r.UserId]);
        }, cancellationToken);
    }

    public Task<TeamMember> InviteAsync(RadiantCaller caller, Guid teamId, TeamInvitation invitation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        invitation.Validate();

        return InTenantAsync(caller, async (connection, transaction) =>
        {
            // The plan row lock serializes invitations: counting seats and adding one cannot interleave.
            var plan = await LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            await RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            var existing = await FindMemberAsync(connection, transaction, caller.TenantId, teamId, invitation.UserId, cancellationToken);
            if (existing is { Status: "active" or "pending" })
            {
                throw new RadiantConflictException($"User {invitation.UserId} is already {(existing.Status == "active" ? "a member" : "invited")}.");
            }

            var seats = await CountSeatsAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
            if (seats >= plan.MaxMembers)
            {
                throw new RadiantLimitExceededException("max_members", 0, $"The plan has reached its limit of {plan.MaxMembers} members (pending invitations included).");
            }

            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    _sql.Invite,
                    new { caller.TenantId, TeamId = teamId, invitation.UserId, Role = DbEnum.Name(invitation.Role), InvitedBy = caller.UserId },
                    transaction,
                    cancellationToken: cancellationToken));
            }
            catch (PostgresException e) when (e.IsForeignKeyViolation())
            {
                throw new RadiantNotFoundException("user", invitation.UserId);
            }

            return (await FindMemberAsync(connection, transaction, caller.TenantId, teamId, invitation.UserId, cancellationToken))!.ToMember();
        }, cancellationToken);
    }

    public Task<TeamMember> AcceptInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        AnswerInvitationAsync(caller, teamId, "active", cancellationToken);

    public Task<TeamMember> DeclineInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        AnswerInvitationAsync(caller, teamId, "declined", cancellationToken);

    public Task<TeamMember> UpdateMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, TeamMemberUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        update.Validate();

        return InTenantAsync(caller, async (connection, transaction) =>
        {
            var plan = await LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            var me = await RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            var target = await FindMemberAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken);
            if (target is not { Status: "active" or "pending" })
            {
                throw new RadiantNotFoundException("team member", userId);
            }

            if (update.Role.HasValue && DbEnum.Name(update.Role.Value) != target.Role)
            {
                await ChangeRoleAsync(connection, transaction, caller, teamId, me, target, update.Role.Value, cancellationToken);
            }

            if (update.TokenAllocation.HasValue)
            {
                var allocation = update.TokenAllocation.Value;
                if (!plan.SharedPool && allocation is { } tokens)
                {
                    var others = await SumAllocationsAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken);
                    if (others + tokens > plan.TotalTokensMonthly)
                    {
                        var free = Math.Max(0, plan.TotalTokensMonthly - others);
                        throw new RadiantLimitExceededException("team_pool", free, $"Allocations may not exceed the pool of {plan.TotalTokensMonthly} tokens; {free} are unallocated.");
                    }
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    _sql.SetAllocation, new { caller.TenantId, TeamId = teamId, UserId = userId, Allocation = allocation }, transaction, cancellationToken: cancellationToken));
            }

            return (await FindMemberAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken))!.ToMember();
        }, cancellationToken);
    }

    public Task RemoveMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            await LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            if (userId != caller.UserId)
            {
                await RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            }
            else
            {
                await RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: true, cancellationToken);
            }

            var target = await FindMemberAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken);
            if (target is not { Status: "active" or "pending" })
            {
                throw new RadiantNotFoundException("team member", userId);
            }

            if (target.Role == "owner")
            {
                throw new RadiantConflictException("The owner cannot be removed; hand ownership to another member first.");
            }

            return await connection.ExecuteAsync(new CommandDefinition(
                _sql.Remove, new { caller.TenantId, TeamId = teamId, UserId = userId }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);

    public async Task<UsageRecorded> RecordUsageAsync(RadiantCaller caller, Guid teamId, TeamUsage usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        usage.Validate();
        var warnings = new List<TeamUsageWarning>();
        var recorded = await InTenantAsync(caller, async (connection, transaction) =>
        {
            var args = new { caller.TenantId, TeamId = teamId, caller.UserId, usage.Tokens };
            // 1. The pool: check and increment in one statement; the row lock it takes serializes the team's usage.
            var team = await connection.QuerySingleOrDefaultAsync<PoolRow>(new CommandDefinition(_sql.ChargePool, args, transaction, cancellationToken: cancellationToken));
            if (team is null)
            {
                // Slow path, under the plan lock so that what follows sees the latest committed state: roll an ended
                // period over (unless a concurrent request or the worker just did), charge again, or explain the refusal.
                await RequireUsableMembershipAsync(connection, transaction, caller, teamId, cancellationToken);
                var due = await connection.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(
                    _sql.LockPlanIfDue, new { caller.TenantId, Id = teamId }, transaction, cancellationToken: cancellationToken))
                    ?? throw new RadiantNotFoundException("team", teamId);
                if (due)
                {
                    await RollOverAsync(connection, transaction, caller.TenantId, teamId, closeAt: null, cancellationToken);
                }

                team = await connection.QuerySingleOrDefaultAsync<PoolRow>(new CommandDefinition(_sql.ChargePool, args, transaction, cancellationToken: cancellationToken));
                if (team is null)
                {
                    await DiagnosePoolAsync(connection, transaction, caller, teamId, usage.Tokens, cancellationToken);
                    throw new InvalidOperationException("Usage was refused for a reason the diagnosis did not find.");
                }
            }

            // 2. The member: active, and within their allocation when the plan is not a shared pool.
            var member = await connection.QuerySingleOrDefaultAsync<MemberUsageRow>(new CommandDefinition(
                _sql.ChargeMember, new { caller.TenantId, TeamId = teamId, caller.UserId, usage.Tokens, team.SharedPool }, transaction, cancellationToken: cancellationToken));
            if (member is null)
            {
                var row = await FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken);
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
            await RaiseWarningsAsync(connection, transaction, caller.TenantId, teamId, teamId, null, team.Used - usage.Tokens, team.Used, team.Total, periodStart, warnings, cancellationToken);
            if (!team.SharedPool && member.Allocation is { } allocation)
            {
                await RaiseWarningsAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, caller.UserId, member.Used - usage.Tokens, member.Used, allocation, periodStart, warnings, cancellationToken);
            }

            return new UsageRecorded(
                team.Used,
                Math.Max(0, team.Total - team.Used),
                member.Used,
                team.SharedPool || member.Allocation is null ? null : Math.Max(0, member.Allocation.Value - member.Used));
        }, cancellationToken);

        foreach (var warning in warnings)
        {
            LogWarning(warning.TeamId, warning.UserId, warning.ThresholdPercent, warning.TokensUsed, warning.TokensLimit);
            await _notifier.NotifyAsync(warning, cancellationToken);
        }

        return recorded;
    }

    public Task<TeamUsageStats> GetStatsAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            await RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
            var plan = await ReadPlanAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
            var members = (await connection.QueryAsync<MemberRow>(new CommandDefinition(
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

    public Task<Page<TeamPeriodSummary>> ListPeriodsAsync(RadiantCaller caller, Guid teamId, PageRequest? page = null, CancellationToken cancellationToken = default)
    {
        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("team-periods", slice, 1);
        return InTenantAsync(caller, async (connection, transaction) =>
        {
            await RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
            var rows = (await connection.QueryAsync<(DateTime Start, DateTime End, long Pool, long Used)>(new CommandDefinition(
                _sql.ListPeriods,
                new { caller.TenantId, TeamId = teamId, Take = slice.Limit + 1, After = after?[0].GetDateTimeOffset() },
                transaction,
                cancellationToken: cancellationToken))).ToList();
            return PageCursor.ToPage(
                "team-periods", rows, slice, p => new TeamPeriodSummary(JsonColumns.Utc(p.Start), JsonColumns.Utc(p.End), p.Pool, p.Used), p => [p.Start]);
        }, cancellationToken);
    }

    public Task<TeamPlan> ResetPeriodAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin("reset a team's period");
        var tenantId = caller.TenantId;
        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            _ = await connection.QuerySingleOrDefaultAsync<PlanRow>(new CommandDefinition(
                    _sql.LockPlan, new { TenantId = tenantId, Id = teamId }, transaction, cancellationToken: cancellationToken))
                ?? throw new RadiantNotFoundException("team", teamId);
            await RollOverAsync(connection, transaction, tenantId, teamId, closeAt: await NowAsync(connection, transaction, cancellationToken), cancellationToken);
            return await ReadPlanAsync(connection, transaction, tenantId, teamId, cancellationToken);
        }, cancellationToken);
    }

    public async Task<int> RollOverDuePeriodsAsync(CancellationToken cancellationToken = default)
    {
        var due = await _db.WithoutTenantAsync(
            async (connection, transaction) =>
            {
                await connection.ExecuteAsync(new CommandDefinition("SELECT set_config('radiant.scope', 'system', true)", transaction: transaction, cancellationToken: cancellationToken));
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

    /// <summary>
    /// Closes the current period (at its end, or at <paramref name="closeAt"/> for a manual reset), keeps its totals,
    /// zeroes the counters and starts the period containing now. Missed periods with no usage are not recorded.
    /// The caller holds the plan row lock.
    /// </summary>
    private async Task RollOverAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, DateTimeOffset? closeAt, CancellationToken cancellationToken)
    {
        var plan = await ReadPlanRowAsync(connection, transaction, tenantId, teamId, cancellationToken);
        var now = await NowAsync(connection, transaction, cancellationToken);
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

    private async Task RaiseWarningsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, Guid subject, Guid? userId,
        long before, long after, long limit, DateTimeOffset periodStart, List<TeamUsageWarning> warnings, CancellationToken cancellationToken)
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
                    warnings.Add(new TeamUsageWarning(tenantId, teamId, userId, threshold, after, limit, periodStart));
                }
            }
        }
    }

    /// <summary>Explains a refused pool charge by throwing: not a member (not found), inactive plan, or the pool. Returns when the period has ended.</summary>
    private async Task DiagnosePoolAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, long tokens, CancellationToken cancellationToken)
    {
        await RequireUsableMembershipAsync(connection, transaction, caller, teamId, cancellationToken);
        var plan = await ReadPlanRowAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
        if (!plan.IsActive)
        {
            throw new RadiantConflictException("The plan is inactive.");
        }

        if (plan.CurrentPeriodEnd <= (await NowAsync(connection, transaction, cancellationToken)).UtcDateTime)
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
        var membership = await FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken);
        if (membership is not { Status: "active" })
        {
            throw membership is { Status: "pending" }
                ? new RadiantForbiddenException("Accept the invitation before using the plan.")
                : new RadiantNotFoundException("team", teamId);
        }
    }

    private async Task ChangeRoleAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, MemberRow me, MemberRow target, TeamRole role, CancellationToken cancellationToken)
    {
        if (target.Role == "owner")
        {
            throw new RadiantConflictException("The owner's role changes only by handing ownership to another member.");
        }

        if (role == TeamRole.Owner)
        {
            if (me.Role != "owner")
            {
                throw new RadiantForbiddenException("Only the owner can hand over ownership.");
            }

            if (target.Status != "active")
            {
                throw new RadiantConflictException("Ownership can go only to an active member.");
            }

            // Demote first: the unique index allows one active owner at any moment.
            await connection.ExecuteAsync(new CommandDefinition(
                _sql.TransferOwnership, new { caller.TenantId, TeamId = teamId, From = caller.UserId, To = target.UserId }, transaction, cancellationToken: cancellationToken));
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            _sql.SetRole, new { caller.TenantId, TeamId = teamId, target.UserId, Role = DbEnum.Name(role) }, transaction, cancellationToken: cancellationToken));
    }

    private Task<TeamMember> AnswerInvitationAsync(RadiantCaller caller, Guid teamId, string status, CancellationToken cancellationToken) =>
        InTenantAsync(caller, async (connection, transaction) =>
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                _sql.Answer, new { caller.TenantId, TeamId = teamId, caller.UserId, Status = status }, transaction, cancellationToken: cancellationToken));
            if (changed == 0)
            {
                throw new RadiantNotFoundException("invitation", teamId);
            }

            return (await FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken))!.ToMember();
        }, cancellationToken);

    private async Task<PlanRow> LockPlanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, CancellationToken cancellationToken)
    {
        var plan = await connection.QuerySingleOrDefaultAsync<PlanRow>(new CommandDefinition(
            _sql.LockPlan, new { caller.TenantId, Id = teamId }, transaction, cancellationToken: cancellationToken));
        if (plan is null)
        {
            throw new RadiantNotFoundException("team", teamId);
        }

        return plan;
    }

    private async Task<MemberRow> RequireMembershipAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, bool allowPending, CancellationToken cancellationToken)
    {
        var me = await FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken);
        return me is { Status: "active" } || (allowPending && me is { Status: "pending" })
            ? me
            : throw new RadiantNotFoundException("team", teamId);
    }

    private async Task<MemberRow> RequireManagerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, CancellationToken cancellationToken)
    {
        var me = await RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
        return me.Role is "owner" or "admin" ? me : throw new RadiantForbiddenException("Only the plan's owner and admins can do this.");
    }

    private Task<MemberRow?> FindMemberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, Guid userId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<MemberRow>(new CommandDefinition(
            _sql.FindMember, new { TenantId = tenantId, TeamId = teamId, UserId = userId }, transaction, cancellationToken: cancellationToken));

    private Task<int> CountSeatsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(_sql.CountSeats, new { TenantId = tenantId, TeamId = teamId }, transaction, cancellationToken: cancellationToken));

    private Task<long> SumAllocationsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, Guid? except, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(_sql.SumAllocations, new { TenantId = tenantId, TeamId = teamId, Except = except }, transaction, cancellationToken: cancellationToken));

    private async Task<TeamPlan> ReadPlanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, CancellationToken cancellationToken) =>
        (await ReadPlanRowAsync(connection, transaction, tenantId, teamId, cancellationToken)).ToPlan();

    private async Task<PlanRow> ReadPlanRowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<PlanRow>(new CommandDefinition(_sql.GetPlan, new { TenantId = tenantId, Id = teamId }, transaction, cancellationToken: cancellationToken))
        ?? throw new RadiantNotFoundException("team", teamId);

    private Task<DateTimeOffset> NowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        _db.NowAsync(connection, transaction, cancellationToken);

    private Task<T> InTenantAsync<T>(RadiantCaller caller, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        _db.InTenantAsync(caller, work, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Team {TeamId} of tenant {TenantId}: period from {PeriodStart:O} closed at {ClosedAt:O} with {TokensUsed} tokens used")]
    private partial void LogRolledOver(Guid tenantId, Guid teamId, DateTimeOffset periodStart, DateTimeOffset closedAt, long tokensUsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Team {TeamId} crossed {Threshold} % ({TokensUsed} of {Limit} tokens; member {UserId})")]
    private partial void LogWarning(Guid teamId, Guid? userId, int threshold, long tokensUsed, long limit);

    private sealed class Sql(RadiantDb db)
    {
        public string InsertPlan { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_plans (tenant_id, id, plan_name, plan_type, owner_id, max_members, total_tokens_monthly, shared_pool,
                billing_email, period_anchor, current_period_start, current_period_end, created_at)
            VALUES (@TenantId, @Id, @Name, @Type, @OwnerId, @MaxMembers, @TotalTokensMonthly, @SharedPool, @BillingEmail, @Anchor, @Start, @End, @Anchor);
            INSERT INTO {schema}.team_members (tenant_id, team_id, user_id, role, status, invited_by, accepted_at)
            VALUES (@TenantId, @Id, @OwnerId, 'owner', 'active', @OwnerId, @Anchor);
            """);

        public string GetPlan { get; } = db.Sql($"SELECT {PlanColumns} FROM {{schema}}.team_plans p WHERE p.tenant_id = @TenantId AND p.id = @Id");

        public string LockPlan { get; } = db.Sql($"SELECT {PlanColumns} FROM {{schema}}.team_plans p WHERE p.tenant_id = @TenantId AND p.id = @Id FOR UPDATE");

        public string ListPlans { get; } = db.Sql(
            $$"""
            SELECT {{PlanColumns}} FROM {schema}.team_plans p
            JOIN {schema}.team_members m ON m.tenant_id = p.tenant_id AND m.team_id = p.id
            WHERE p.tenant_id = @TenantId AND m.user_id = @UserId AND m.status IN ('active', 'pending')
              AND (@AfterName::varchar IS NULL OR (p.plan_name, p.id) > (@AfterName, @AfterId::uuid))
            ORDER BY p.plan_name, p.id
            LIMIT @Take
            """);

        public string UpdatePlan { get; } = db.Sql(
            """
            UPDATE {schema}.team_plans SET
                plan_name = @Name, max_members = @MaxMembers, total_tokens_monthly = @TotalTokensMonthly, shared_pool = @SharedPool,
                is_active = @IsActive, billing_email = @BillingEmail, updated_at = now()
            WHERE tenant_id = @TenantId AND id = @Id
            """);

        public string FindMember { get; } = db.Sql(
            $$"""
            SELECT {{MemberColumns}} FROM {schema}.team_members m
            JOIN {schema}.users u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId AND m.user_id = @UserId
            """);

        public string ListMembers { get; } = db.Sql(
            $$"""
            SELECT {{MemberColumns}} FROM {schema}.team_members m
            JOIN {schema}.users u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId
            ORDER BY {{RoleRank}}, m.invited_at, m.user_id
            """);

        public string ListMembersPage { get; } = db.Sql(
            $$"""
            SELECT {{MemberColumns}}, {{RoleRank}} AS RoleRank FROM {schema}.team_members m
            JOIN {schema}.users u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId
              AND (@AfterRank::int IS NULL OR ({{RoleRank}}, m.invited_at, m.user_id) > (@AfterRank, @AfterInvited::timestamptz, @AfterUser::uuid))
            ORDER BY {{RoleRank}}, m.invited_at, m.user_id
            LIMIT @Take
            """);

        public string CountSeats { get; } = db.Sql(
            "SELECT count(*)::int FROM {schema}.team_members WHERE tenant_id = @TenantId AND team_id = @TeamId AND status IN ('active', 'pending')");

        public string SumAllocations { get; } = db.Sql(
            """
            SELECT coalesce(sum(token_allocation), 0)::bigint FROM {schema}.team_members
            WHERE tenant_id = @TenantId AND team_id = @TeamId AND status IN ('active', 'pending') AND (@Except::uuid IS NULL OR user_id <> @Except)
            """);

        // A removed or declining user is invited again by reactivating their row (their usage this period stays counted).
        public string Invite { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_members (tenant_id, team_id, user_id, role, status, invited_by)
            VALUES (@TenantId, @TeamId, @UserId, @Role, 'pending', @InvitedBy)
            ON CONFLICT (tenant_id, team_id, user_id) DO UPDATE SET role = EXCLUDED.role, status = 'pending',
                invited_by = EXCLUDED.invited_by, invited_at = now(), accepted_at = NULL, removed_at = NULL
            """);

        public string Answer { get; } = db.Sql(
            """
            UPDATE {schema}.team_members SET status = @Status, accepted_at = CASE WHEN @Status = 'active' THEN now() END
            WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId AND status = 'pending'
            """);

        public string SetRole { get; } = db.Sql("UPDATE {schema}.team_members SET role = @Role WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId");

        public string TransferOwnership { get; } = db.Sql(
            """
            UPDATE {schema}.team_members SET role = 'admin' WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @From;
            UPDATE {schema}.team_members SET role = 'owner' WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @To;
            UPDATE {schema}.team_plans SET owner_id = @To, updated_at = now() WHERE tenant_id = @TenantId AND id = @TeamId;
            """);

        public string SetAllocation { get; } = db.Sql(
            "UPDATE {schema}.team_members SET token_allocation = @Allocation WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId");

        public string Remove { get; } = db.Sql(
            "UPDATE {schema}.team_members SET status = 'removed', removed_at = now() WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId");

        public string ChargePool { get; } = db.Sql(
            """
            UPDATE {schema}.team_plans SET tokens_used_this_period = tokens_used_this_period + @Tokens
            WHERE tenant_id = @TenantId AND id = @TeamId AND is_active AND current_period_end > clock_timestamp()
              AND tokens_used_this_period + @Tokens <= total_tokens_monthly
              AND EXISTS (SELECT FROM {schema}.team_members
                          WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId AND status = 'active')
            RETURNING shared_pool AS SharedPool, total_tokens_monthly AS Total, tokens_used_this_period AS Used, current_period_start AS PeriodStart
            """);

        public string ChargeMember { get; } = db.Sql(
            """
            UPDATE {schema}.team_members SET tokens_used_this_period = tokens_used_this_period + @Tokens
            WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId AND status = 'active'
              AND (@SharedPool OR (token_allocation IS NOT NULL AND tokens_used_this_period + @Tokens <= token_allocation))
            RETURNING tokens_used_this_period AS Used, token_allocation AS Allocation
            """);

        public string LogUsage { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_usage_log (tenant_id, id, team_id, user_id, tokens_used, model, usage_type, period_start)
            VALUES (@TenantId, @Id, @TeamId, @UserId, @Tokens, @Model, @UsageType, @PeriodStart)
            """);

        public string Warn { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_usage_warnings (tenant_id, team_id, period_start, subject_id, threshold)
            VALUES (@TenantId, @TeamId, @PeriodStart, @Subject, @Threshold) ON CONFLICT DO NOTHING
            """);

        public string DuePlans { get; } = db.Sql(
            "SELECT tenant_id, id FROM {schema}.team_plans WHERE current_period_end <= clock_timestamp() ORDER BY current_period_end LIMIT 500");

        // Locks the plan and tells whether its period is still over (as the charge statement sees now()).
        public string LockPlanIfDue { get; } = db.Sql(
            "SELECT current_period_end <= clock_timestamp() FROM {schema}.team_plans WHERE tenant_id = @TenantId AND id = @Id FOR UPDATE");

        public string LockDuePlan { get; } = db.Sql(
            "SELECT current_period_end FROM {schema}.team_plans WHERE tenant_id = @TenantId AND id = @Id AND current_period_end <= clock_timestamp() FOR UPDATE SKIP LOCKED");

        public string RollOver { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_periods (tenant_id, team_id, period_start, period_end, total_tokens_monthly, tokens_used)
            SELECT tenant_id, id, current_period_start, @ClosedAt, total_tokens_monthly, tokens_used_this_period
            FROM {schema}.team_plans WHERE tenant_id = @TenantId AND id = @TeamId;
            INSERT INTO {schema}.team_member_periods (tenant_id, team_id, period_start, user_id, tokens_used, token_allocation)
            SELECT m.tenant_id, m.team_id, p.current_period_start, m.user_id, m.tokens_used_this_period, m.token_allocation
            FROM {schema}.team_members m JOIN {schema}.team_plans p ON p.tenant_id = m.tenant_id AND p.id = m.team_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId AND (m.status = 'active' OR m.tokens_used_this_period > 0);
            UPDATE {schema}.team_members SET tokens_used_this_period = 0 WHERE tenant_id = @TenantId AND team_id = @TeamId;
            UPDATE {schema}.team_plans SET tokens_used_this_period = 0, current_period_start = @NextStart, current_period_end = @NextEnd, updated_at = now()
            WHERE tenant_id = @TenantId AND id = @TeamId;
            """);

        public string ListPeriods { get; } = db.Sql(
            """
            SELECT period_start, period_end, total_tokens_monthly, tokens_used FROM {schema}.team_periods
            WHERE tenant_id = @TenantId AND team_id = @TeamId AND (@After::timestamptz IS NULL OR period_start < @After)
            ORDER BY period_start DESC
            LIMIT @Take
            """);
    }

    private sealed class PlanRow
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Name { get; init; } = "";
        public string Type { get; init; } = "";
        public Guid OwnerId { get; init; }
        public int MaxMembers { get; init; }
        public long TotalTokensMonthly { get; init; }
        public bool SharedPool { get; init; }
        public string? BillingEmail { get; init; }
        public bool IsActive { get; init; }
        public long TokensUsedThisPeriod { get; init; }
        public DateTime CurrentPeriodStart { get; init; }
        public DateTime CurrentPeriodEnd { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime PeriodAnchor { get; init; }

        public TeamPlan ToPlan() => new(
            Id, TenantId, Name, DbEnum.Parse<TeamPlanType>(Type), OwnerId, MaxMembers, TotalTokensMonthly, SharedPool, BillingEmail,
            IsActive, TokensUsedThisPeriod, JsonColumns.Utc(CurrentPeriodStart), JsonColumns.Utc(CurrentPeriodEnd), JsonColumns.Utc(CreatedAt));
    }

    private sealed class MemberRow
    {
        public Guid UserId { get; init; }
        public string? Email { get; init; }
        public string? DisplayName { get; init; }
        public string Role { get; init; } = "";
        public string Status { get; init; } = "";
        public long? TokenAllocation { get; init; }
        public long TokensUsedThisPeriod { get; init; }
        public Guid? InvitedBy { get; init; }
        public DateTime InvitedAt { get; init; }
        public DateTime? AcceptedAt { get; init; }
        public int RoleRank { get; init; }

        public TeamMember ToMember() => new(
            UserId, Email, DisplayName, DbEnum.Parse<TeamRole>(Role), DbEnum.Parse<MemberStatus>(Status), TokenAllocation, TokensUsedThisPeriod,
            InvitedBy, JsonColumns.Utc(InvitedAt), AcceptedAt is { } a ? JsonColumns.Utc(a) : null);
    }

    private sealed class PoolRow
    {
        public bool SharedPool { get; init; }
        public long Total { get; init; }
        public long Used { get; init; }
        public DateTime PeriodStart { get; init; }
    }

    private sealed class MemberUsageRow
    {
        public long Used { get; init; }
        public long? Allocation { get; init; }
    }
}
