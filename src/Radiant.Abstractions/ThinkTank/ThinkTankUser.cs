using Radiant.Tenancy;

namespace Radiant.ThinkTank;

/// <summary>
/// A user of the tenant as the Think Tank admin's user list shows it (seed section 29.2): the profile Radiant stores,
/// the account's status, and the user's figures over all time, read from a per-user aggregate the chat pipeline keeps
/// as it records usage (never a scan of the usage records).
/// </summary>
/// <param name="UserId">The user.</param>
/// <param name="Email">The email the identity provider gave, if any.</param>
/// <param name="DisplayName">The display name the identity provider gave, if any.</param>
/// <param name="Tier">The subscription tier the identity provider gave, if any.</param>
/// <param name="Status">Whether the user may use Radiant.</param>
/// <param name="Requests">Provider calls the chat pipeline recorded for the user (a fallback counts each attempt), including failed ones.</param>
/// <param name="FailedRequests">Of <see cref="Requests"/>, the calls that failed (charged nothing).</param>
/// <param name="InputTokens">Prompt tokens of all those calls.</param>
/// <param name="OutputTokens">Reply tokens of all those calls.</param>
/// <param name="TotalTokens"><see cref="InputTokens"/> plus <see cref="OutputTokens"/>.</param>
/// <param name="Spend">What the user was charged, in dollars.</param>
/// <param name="LastActiveAt">When the last call was recorded; null when the user never made one.</param>
/// <param name="CreatedAt">When Radiant first saw the user.</param>
/// <param name="StatusChangedAt">When an admin last suspended or reactivated the user; null if never.</param>
/// <param name="StatusChangedBy">The admin who did, if any.</param>
public sealed record ThinkTankUser(
    Guid UserId,
    string? Email,
    string? DisplayName,
    SubscriptionTier? Tier,
    UserStatus Status,
    long Requests,
    long FailedRequests,
    long InputTokens,
    long OutputTokens,
    long TotalTokens,
    decimal Spend,
    DateTimeOffset? LastActiveAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StatusChangedAt,
    Guid? StatusChangedBy);

/// <summary>The figures above the Think Tank user list (seed section 29.2). Months are calendar months in UTC.</summary>
/// <param name="TotalUsers">Users of the tenant.</param>
/// <param name="ActiveUsers7d">Users with a call recorded in the last 7 days.</param>
/// <param name="NewUsersThisMonth">Users first seen this month.</param>
/// <param name="SuspendedUsers">Users currently suspended.</param>
/// <param name="SpendThisMonth">What the tenant's users were charged this month, in dollars.</param>
/// <param name="MonthStart">The start of "this month" (UTC).</param>
/// <param name="AsOf">The database time the figures were read at.</param>
public sealed record ThinkTankUserStats(
    long TotalUsers,
    long ActiveUsers7d,
    long NewUsersThisMonth,
    long SuspendedUsers,
    decimal SpendThisMonth,
    DateTimeOffset MonthStart,
    DateTimeOffset AsOf);
