using System.Text.Json.Serialization;

namespace Radiant.Teams;

/// <summary>The kind of plan.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TeamPlanType>))]
public enum TeamPlanType
{
    /// <summary>A family plan.</summary>
    [JsonStringEnumMemberName("family")]
    Family,

    /// <summary>A team plan.</summary>
    [JsonStringEnumMemberName("team")]
    Team,

    /// <summary>An enterprise plan.</summary>
    [JsonStringEnumMemberName("enterprise")]
    Enterprise,
}

/// <summary>A member's role. There is always exactly one owner.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TeamRole>))]
public enum TeamRole
{
    /// <summary>An ordinary member.</summary>
    [JsonStringEnumMemberName("member")]
    Member,

    /// <summary>Manages members, allocations and the plan.</summary>
    [JsonStringEnumMemberName("admin")]
    Admin,

    /// <summary>The plan's owner (one per plan); also the only one who can hand ownership over.</summary>
    [JsonStringEnumMemberName("owner")]
    Owner,
}

/// <summary>Where a membership stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MemberStatus>))]
public enum MemberStatus
{
    /// <summary>Invited, not yet accepted (counts against the member limit).</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>A member.</summary>
    [JsonStringEnumMemberName("active")]
    Active,

    /// <summary>The invitee declined.</summary>
    [JsonStringEnumMemberName("declined")]
    Declined,

    /// <summary>Removed (kept for history; can be invited again).</summary>
    [JsonStringEnumMemberName("removed")]
    Removed,
}

/// <summary>A family, team or enterprise plan with its monthly token pool.</summary>
/// <param name="Id">The plan.</param>
/// <param name="TenantId">The tenant.</param>
/// <param name="Name">Name, 1–100 characters.</param>
/// <param name="Type">Family, team or enterprise.</param>
/// <param name="OwnerId">The owner.</param>
/// <param name="MaxMembers">Maximum members, pending invitations included.</param>
/// <param name="TotalTokensMonthly">The monthly token pool.</param>
/// <param name="SharedPool">True: members draw on one pool; false: each member has an allocation.</param>
/// <param name="BillingEmail">Optional billing email.</param>
/// <param name="IsActive">Inactive plans record no usage.</param>
/// <param name="TokensUsedThisPeriod">Tokens used by the whole team in the current period.</param>
/// <param name="CurrentPeriodStart">Start of the current period.</param>
/// <param name="CurrentPeriodEnd">End of the current period (exclusive).</param>
/// <param name="CreatedAt">When the plan was created (the anchor of its periods).</param>
public sealed record TeamPlan(
    Guid Id,
    Guid TenantId,
    string Name,
    TeamPlanType Type,
    Guid OwnerId,
    int MaxMembers,
    long TotalTokensMonthly,
    bool SharedPool,
    string? BillingEmail,
    bool IsActive,
    long TokensUsedThisPeriod,
    DateTimeOffset CurrentPeriodStart,
    DateTimeOffset CurrentPeriodEnd,
    DateTimeOffset CreatedAt);

/// <summary>A membership (or invitation).</summary>
/// <param name="UserId">The user.</param>
/// <param name="Email">The user's email.</param>
/// <param name="DisplayName">The user's display name.</param>
/// <param name="Role">Role.</param>
/// <param name="Status">Pending, active, declined or removed.</param>
/// <param name="TokenAllocation">Monthly allocation (per-member plans), or null.</param>
/// <param name="TokensUsedThisPeriod">Tokens used in the current period.</param>
/// <param name="InvitedBy">Who invited the user.</param>
/// <param name="InvitedAt">When.</param>
/// <param name="AcceptedAt">When the invitation was accepted.</param>
public sealed record TeamMember(
    Guid UserId,
    string? Email,
    string? DisplayName,
    TeamRole Role,
    MemberStatus Status,
    long? TokenAllocation,
    long TokensUsedThisPeriod,
    Guid? InvitedBy,
    DateTimeOffset InvitedAt,
    DateTimeOffset? AcceptedAt);

/// <summary>A team's usage in its current period: the pool, what is used and left, and each active member's share of the pool.</summary>
/// <param name="TeamId">The plan.</param>
/// <param name="PlanName">Its name.</param>
/// <param name="SharedPool">Shared pool or per-member allocations.</param>
/// <param name="TotalTokensMonthly">The pool.</param>
/// <param name="TokensUsed">Used this period.</param>
/// <param name="TokensRemaining">Left this period (never negative).</param>
/// <param name="CurrentPeriodStart">Start of the period.</param>
/// <param name="CurrentPeriodEnd">End of the period.</param>
/// <param name="Members">Active members.</param>
public sealed record TeamUsageStats(
    Guid TeamId,
    string PlanName,
    bool SharedPool,
    long TotalTokensMonthly,
    long TokensUsed,
    long TokensRemaining,
    DateTimeOffset CurrentPeriodStart,
    DateTimeOffset CurrentPeriodEnd,
    IReadOnlyList<MemberUsage> Members);

/// <summary>One member's usage.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Email">Email.</param>
/// <param name="DisplayName">Display name.</param>
/// <param name="Role">Role.</param>
/// <param name="TokensUsed">Used this period.</param>
/// <param name="Allocation">Allocation, or null.</param>
/// <param name="ShareOfPoolPercent">Tokens used as a percentage of the pool (2 decimals).</param>
public sealed record MemberUsage(Guid UserId, string? Email, string? DisplayName, TeamRole Role, long TokensUsed, long? Allocation, decimal ShareOfPoolPercent);

/// <summary>The result of recording usage.</summary>
/// <param name="TeamTokensUsed">The team's total for the period after this usage.</param>
/// <param name="TeamTokensRemaining">The pool left.</param>
/// <param name="MemberTokensUsed">The member's total for the period.</param>
/// <param name="MemberTokensRemaining">The member's allocation left, or null without one.</param>
public sealed record UsageRecorded(long TeamTokensUsed, long TeamTokensRemaining, long MemberTokensUsed, long? MemberTokensRemaining);

/// <summary>A pool or allocation crossed 80 % or 100 % in a period (raised once per threshold per period).</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="TeamId">The plan.</param>
/// <param name="UserId">The member whose allocation crossed it, or null for the team pool.</param>
/// <param name="ThresholdPercent">80 or 100.</param>
/// <param name="TokensUsed">Tokens used.</param>
/// <param name="TokensLimit">The pool or allocation.</param>
/// <param name="PeriodStart">The period.</param>
public sealed record TeamUsageWarning(Guid TenantId, Guid TeamId, Guid? UserId, int ThresholdPercent, long TokensUsed, long TokensLimit, DateTimeOffset PeriodStart);

/// <summary>A finished period's totals, kept for history.</summary>
/// <param name="PeriodStart">Start.</param>
/// <param name="PeriodEnd">End.</param>
/// <param name="TotalTokensMonthly">The pool at the time.</param>
/// <param name="TokensUsed">What the team used.</param>
public sealed record TeamPeriodSummary(DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long TotalTokensMonthly, long TokensUsed);
