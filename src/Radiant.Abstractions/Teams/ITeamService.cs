using Radiant.Common;
using Radiant.Tenancy;

namespace Radiant.Teams;

/// <summary>
/// Family, team and enterprise plans with a monthly token pool. Only members see a plan (others get "not found");
/// only its owner and admins manage it (other members get "forbidden"). Limits hold under concurrency: usage and invitations are
/// checked and applied atomically.
/// </summary>
public interface ITeamService
{
    /// <summary>Creates a plan owned by the caller, who becomes its first member.</summary>
    Task<TeamPlan> CreateAsync(RadiantCaller caller, TeamCreate input, CancellationToken cancellationToken = default);

    /// <summary>A plan the caller is a member of (or invited to).</summary>
    Task<TeamPlan> GetAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default);

    /// <summary>The plans the caller is a member of or invited to, by name.</summary>
    Task<Page<TeamPlan>> ListAsync(RadiantCaller caller, PageRequest? page = null, CancellationToken cancellationToken = default);

    /// <summary>Partially updates a plan (owner or admins).</summary>
    Task<TeamPlan> UpdateAsync(RadiantCaller caller, Guid teamId, TeamUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Members and invitations (every status): the owner, then admins, then members, each by invitation time.</summary>
    Task<Page<TeamMember>> ListMembersAsync(RadiantCaller caller, Guid teamId, PageRequest? page = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Invites a user (owner or admins). Pending invitations count against the member limit, checked atomically. A
    /// removed or declining user is invited again by reactivating their row.
    /// </summary>
    Task<TeamMember> InviteAsync(RadiantCaller caller, Guid teamId, TeamInvitation invitation, CancellationToken cancellationToken = default);

    /// <summary>The caller accepts their pending invitation.</summary>
    Task<TeamMember> AcceptInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default);

    /// <summary>The caller declines their pending invitation.</summary>
    Task<TeamMember> DeclineInvitationAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default);

    /// <summary>Changes a member's role or allocation (owner or admins; only the owner hands over ownership).</summary>
    Task<TeamMember> UpdateMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, TeamMemberUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Removes a member (soft; owner or admins, or the member themselves). The owner cannot be removed.</summary>
    Task RemoveMemberAsync(RadiantCaller caller, Guid teamId, Guid userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records tokens the caller used. Refused with <see cref="Errors.RadiantLimitExceededException"/> (nothing recorded)
    /// when the pool or the caller's allocation would be exceeded (tokens held by unexpired reservations are not
    /// available). Concurrent calls on the same team are charged together in one transaction, each with its own result.
    /// </summary>
    Task<UsageRecorded> RecordUsageAsync(RadiantCaller caller, Guid teamId, TeamUsage usage, CancellationToken cancellationToken = default);

    /// <summary>
    /// Holds tokens before a model call: <see cref="TeamReservationRequest.MaxTokens"/> of the pool and, on a plan with
    /// allocations, of the caller's allocation, or what remains of them when that is less, as long as it is at least
    /// <see cref="TeamReservationRequest.MinTokens"/>; otherwise refused with
    /// <see cref="Errors.RadiantLimitExceededException"/> naming the limit (<c>team_pool</c> or <c>member_allocation</c>)
    /// and what remains. What is available is the pool (or allocation) less what was used and what unexpired
    /// reservations hold, so concurrent calls never overspend. Only active members reserve (pending invitees get
    /// <see cref="Errors.RadiantForbiddenException"/>, others "not found"); an inactive plan is a conflict.
    /// </summary>
    Task<TeamReservation> ReserveAsync(RadiantCaller caller, Guid teamId, TeamReservationRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Settles the caller's reservation to the real usage: releases the hold, charges <paramref name="actual"/> and logs
    /// it, with the 80 % / 100 % warnings. Usage beyond the hold is charged only if the excess fits in what remains;
    /// otherwise the hold is charged and <see cref="TeamSettlement.TokensNotCharged"/> says what was left out. An
    /// expired reservation holds nothing, so its usage is charged only if it fits. Idempotent: settling again returns
    /// the first settlement and charges nothing. Settling a released reservation is a conflict; another caller's (or an
    /// unknown) reservation is "not found".
    /// </summary>
    Task<TeamSettlement> SettleAsync(RadiantCaller caller, Guid teamId, Guid reservationId, TeamUsage actual, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the caller's reservation (the call failed or was not made): what it held is available again. Idempotent:
    /// releasing a settled, released or expired reservation does nothing.
    /// </summary>
    Task ReleaseAsync(RadiantCaller caller, Guid teamId, Guid reservationId, CancellationToken cancellationToken = default);

    /// <summary>Usage stats of the current period (members only).</summary>
    Task<TeamUsageStats> GetStatsAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default);

    /// <summary>Finished periods, newest first (members only).</summary>
    Task<Page<TeamPeriodSummary>> ListPeriodsAsync(RadiantCaller caller, Guid teamId, PageRequest? page = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tenant admins (<see cref="Errors.RadiantForbiddenException"/> for others): closes the current period now (its totals kept for history) and starts a new one that
    /// ends on the plan's regular boundary.
    /// </summary>
    Task<TeamPlan> ResetPeriodAsync(RadiantCaller caller, Guid teamId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rolls over every plan whose period has ended, across tenants; safe to run from several instances at once (each
    /// period is closed exactly once). Returns the number of plans rolled over. Normally run by the worker.
    /// </summary>
    Task<int> RollOverDuePeriodsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Receives 80 % and 100 % usage warnings (once per threshold per period). The default logs them.</summary>
public interface ITeamUsageNotifier
{
    /// <summary>Handles one warning, after the usage that caused it is committed.</summary>
    Task NotifyAsync(TeamUsageWarning warning, CancellationToken cancellationToken = default);
}
