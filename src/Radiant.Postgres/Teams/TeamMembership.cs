using Dapper;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Teams;

/// <summary>Team membership: invitations and their answers, roles (ownership hand-over included), allocations, removal.</summary>
internal sealed class TeamMembership
{
    private readonly RadiantDb _db;
    private readonly TeamStore _store;
    private readonly TeamStore.Statements _sql;

    public TeamMembership(RadiantDb db, TeamStore store)
    {
        _db = db;
        _store = store;
        _sql = store.Sql;
    }

    public Task<Page<TeamMember>> ListMembersAsync(RadiantCaller caller, Guid teamId, PageRequest? page, CancellationToken cancellationToken)
    {
        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("team-members", slice, 3);
        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            await _store.RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
            var rows = (await connection.QueryAsync<TeamStore.MemberRow>(new CommandDefinition(
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

    public Task<TeamMember> InviteAsync(RadiantCaller caller, Guid teamId, TeamInvitation invitation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        invitation.Validate();

        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            // The plan row lock serializes invitations: counting seats and adding one cannot interleave.
            var plan = await _store.LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            await _store.RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            var existing = await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, invitation.UserId, cancellationToken);
            if (existing is { Status: "active" or "pending" })
            {
                throw new RadiantConflictException($"User {invitation.UserId} is already {(existing.Status == "active" ? "a member" : "invited")}.");
            }

            var seats = await _store.CountSeatsAsync(connection, transaction, caller.TenantId, teamId, cancellationToken);
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

            return (await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, invitation.UserId, cancellationToken))!.ToMember();
        }, cancellationToken);
    }

    public Task<TeamMember> AcceptInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken) =>
        AnswerInvitationAsync(caller, teamId, "active", cancellationToken);

    public Task<TeamMember> DeclineInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken) =>
        AnswerInvitationAsync(caller, teamId, "declined", cancellationToken);

    public Task<TeamMember> UpdateMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, TeamMemberUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        update.Validate();

        return _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            var plan = await _store.LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            var me = await _store.RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            var target = await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken);
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
                    var others = await _store.SumAllocationsAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken);
                    if (others + tokens > plan.TotalTokensMonthly)
                    {
                        var free = Math.Max(0, plan.TotalTokensMonthly - others);
                        throw new RadiantLimitExceededException("team_pool", free, $"Allocations may not exceed the pool of {plan.TotalTokensMonthly} tokens; {free} are unallocated.");
                    }
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    _sql.SetAllocation, new { caller.TenantId, TeamId = teamId, UserId = userId, Allocation = allocation }, transaction, cancellationToken: cancellationToken));
            }

            return (await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken))!.ToMember();
        }, cancellationToken);
    }

    public Task RemoveMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, CancellationToken cancellationToken) =>
        _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            await _store.LockPlanAsync(connection, transaction, caller, teamId, cancellationToken);
            if (userId != caller.UserId)
            {
                await _store.RequireManagerAsync(connection, transaction, caller, teamId, cancellationToken);
            }
            else
            {
                await _store.RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: true, cancellationToken);
            }

            var target = await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, userId, cancellationToken);
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

    private async Task ChangeRoleAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, TeamStore.MemberRow me, TeamStore.MemberRow target, TeamRole role, CancellationToken cancellationToken)
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
        _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                _sql.Answer, new { caller.TenantId, TeamId = teamId, caller.UserId, Status = status }, transaction, cancellationToken: cancellationToken));
            if (changed == 0)
            {
                throw new RadiantNotFoundException("invitation", teamId);
            }

            return (await _store.FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken))!.ToMember();
        }, cancellationToken);
}
