using System.Text.Json.Serialization;
using Radiant.Errors;
using Radiant.Tenancy;

namespace Radiant.ThinkTank;

/// <summary>
/// Which users the Think Tank list (and its CSV export) shows, and in which order. Every filter is optional; given
/// ones must all match.
/// </summary>
/// <param name="Search">
/// Case-insensitive <b>prefix</b> of the email or of the display name (<c>"ali"</c> finds <c>alice@x.test</c> and
/// "Alibek N."). A prefix, not a substring: it is answered from an index on plain PostgreSQL, whatever the tenant's size.
/// </param>
/// <param name="Status">Only users with this status.</param>
/// <param name="Tier">Only users of this subscription tier.</param>
/// <param name="ActiveSince">Only users with a call recorded at or after this instant.</param>
/// <param name="Sort">The order (ties broken by user id, so paging is stable).</param>
/// <param name="Direction">Ascending or descending; by default ascending for email and name, descending for the others.</param>
public sealed record ThinkTankUserQuery(
    string? Search = null,
    UserStatus? Status = null,
    SubscriptionTier? Tier = null,
    DateTimeOffset? ActiveSince = null,
    ThinkTankUserSort Sort = ThinkTankUserSort.Email,
    SortDirection? Direction = null)
{
    /// <summary>The longest search text accepted.</summary>
    public const int SearchMaxLength = 200;

    /// <summary>Every user, by email.</summary>
    public static ThinkTankUserQuery All { get; } = new();

    /// <summary>The direction used: <see cref="Direction"/>, or the sort's default.</summary>
    public SortDirection EffectiveDirection =>
        Direction ?? (Sort is ThinkTankUserSort.Email or ThinkTankUserSort.Name ? SortDirection.Ascending : SortDirection.Descending);

    /// <summary>Throws a <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        errors.Optional("search", Search, SearchMaxLength);
        if (Status is { } status && !Enum.IsDefined(status))
        {
            errors.Add("status", "'status' must be active or suspended.");
        }

        if (Tier is { } tier && !Enum.IsDefined(tier))
        {
            errors.Add("tier", "'tier' must be free, pro, team or enterprise.");
        }

        if (!Enum.IsDefined(Sort))
        {
            errors.Add("sort", "'sort' must be email, name, last_active, spend or created.");
        }

        if (Direction is { } direction && !Enum.IsDefined(direction))
        {
            errors.Add("direction", "'direction' must be asc or desc.");
        }

        errors.ThrowIfAny();
    }
}

/// <summary>The orders of the Think Tank user list.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ThinkTankUserSort>))]
public enum ThinkTankUserSort
{
    /// <summary>By email, case-insensitively (users without an email first when ascending).</summary>
    [JsonStringEnumMemberName("email")]
    Email,

    /// <summary>By display name, case-insensitively (users without a name first when ascending).</summary>
    [JsonStringEnumMemberName("name")]
    Name,

    /// <summary>By the last call recorded (users never active last when descending).</summary>
    [JsonStringEnumMemberName("last_active")]
    LastActive,

    /// <summary>By all-time spend.</summary>
    [JsonStringEnumMemberName("spend")]
    Spend,

    /// <summary>By when Radiant first saw the user.</summary>
    [JsonStringEnumMemberName("created")]
    Created,
}

/// <summary>A sort direction.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SortDirection>))]
public enum SortDirection
{
    /// <summary>Smallest first.</summary>
    [JsonStringEnumMemberName("asc")]
    Ascending,

    /// <summary>Largest first.</summary>
    [JsonStringEnumMemberName("desc")]
    Descending,
}
