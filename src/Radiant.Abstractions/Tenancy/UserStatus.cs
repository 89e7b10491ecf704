using System.Text.Json.Serialization;

namespace Radiant.Tenancy;

/// <summary>Whether a user may use Radiant. A suspended user's requests are refused everywhere until an admin reactivates them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UserStatus>))]
public enum UserStatus
{
    /// <summary>The user may use Radiant (every user starts active).</summary>
    [JsonStringEnumMemberName("active")]
    Active,

    /// <summary>A tenant admin suspended the user: every request is refused with <see cref="Errors.RadiantAccountSuspendedException"/>.</summary>
    [JsonStringEnumMemberName("suspended")]
    Suspended,
}

/// <summary>The subscription tier the identity provider reports for a user (seed section 29.2).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SubscriptionTier>))]
public enum SubscriptionTier
{
    /// <summary>The free tier.</summary>
    [JsonStringEnumMemberName("free")]
    Free,

    /// <summary>A paid individual subscription.</summary>
    [JsonStringEnumMemberName("pro")]
    Pro,

    /// <summary>A team subscription.</summary>
    [JsonStringEnumMemberName("team")]
    Team,

    /// <summary>An enterprise subscription.</summary>
    [JsonStringEnumMemberName("enterprise")]
    Enterprise,
}
