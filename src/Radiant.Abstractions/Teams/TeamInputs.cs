using System.Text.Json.Serialization;
using Radiant.Common;
using Radiant.Errors;

namespace Radiant.Teams;

/// <summary>A new plan; the caller becomes its owner and first member.</summary>
/// <param name="Name">Name, 1–100 characters.</param>
/// <param name="Type">Family, team or enterprise.</param>
/// <param name="MaxMembers">1 to 10,000, the owner included.</param>
/// <param name="TotalTokensMonthly">The monthly pool, 1 or more.</param>
/// <param name="SharedPool">One shared pool (default) or per-member allocations.</param>
/// <param name="BillingEmail">Optional billing email.</param>
public sealed record TeamCreate(string Name, TeamPlanType Type, int MaxMembers, long TotalTokensMonthly, bool SharedPool = true, string? BillingEmail = null)
{
    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        errors.Required("name", Name, TeamLimits.NameMaxLength);
        if (!Enum.IsDefined(Type))
        {
            errors.Add("type", "'type' must be family, team or enterprise.");
        }

        TeamLimits.ValidateMaxMembers(errors, MaxMembers);
        TeamLimits.ValidatePool(errors, TotalTokensMonthly);
        errors.Email("billingEmail", BillingEmail, TeamLimits.EmailMaxLength);
        errors.ThrowIfAny();
    }
}

/// <summary>A partial update of a plan (owner or admins): absent fields keep their value; null clears the billing email.</summary>
public sealed record TeamUpdate
{
    /// <summary>New name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Name { get; init; }

    /// <summary>New member limit (not below the current members and pending invitations).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<int> MaxMembers { get; init; }

    /// <summary>New pool (not below the allocations of a per-member plan).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<long> TotalTokensMonthly { get; init; }

    /// <summary>Switch between a shared pool and per-member allocations.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> SharedPool { get; init; }

    /// <summary>New billing email; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> BillingEmail { get; init; }

    /// <summary>Activate or deactivate the plan.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> IsActive { get; init; }

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (Name.HasValue)
        {
            errors.Required("name", Name.Value, TeamLimits.NameMaxLength);
        }

        if (MaxMembers.HasValue)
        {
            TeamLimits.ValidateMaxMembers(errors, MaxMembers.Value);
        }

        if (TotalTokensMonthly.HasValue)
        {
            TeamLimits.ValidatePool(errors, TotalTokensMonthly.Value);
        }

        if (BillingEmail.HasValue)
        {
            errors.Email("billingEmail", BillingEmail.Value, TeamLimits.EmailMaxLength);
        }

        errors.ThrowIfAny();
    }
}

/// <summary>An invitation.</summary>
/// <param name="UserId">The invitee, a user of the same tenant.</param>
/// <param name="Role">Member (default) or admin.</param>
public sealed record TeamInvitation(Guid UserId, TeamRole Role = TeamRole.Member)
{
    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (UserId == Guid.Empty)
        {
            errors.Add("userId", "'userId' is required.");
        }

        if (Role is not (TeamRole.Member or TeamRole.Admin))
        {
            errors.Add("role", "'role' must be member or admin; ownership is handed over by changing a member's role.");
        }

        errors.ThrowIfAny();
    }
}

/// <summary>A change to a member: role and/or allocation. Absent fields stay; a null allocation clears it.</summary>
public sealed record TeamMemberUpdate
{
    /// <summary>New role; <see cref="TeamRole.Owner"/> transfers ownership (owner only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<TeamRole> Role { get; init; }

    /// <summary>New monthly allocation (0 or more); null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<long?> TokenAllocation { get; init; }

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (Role.HasValue && !Enum.IsDefined(Role.Value))
        {
            errors.Add("role", "'role' must be owner, admin or member.");
        }

        if (TokenAllocation.HasValue && TokenAllocation.Value is < 0)
        {
            errors.Add("tokenAllocation", "'tokenAllocation' must be 0 or more, or null to clear it.");
        }

        errors.ThrowIfAny();
    }
}

/// <summary>Tokens a member used.</summary>
/// <param name="Tokens">Tokens, 1 or more.</param>
/// <param name="Model">Optional model id.</param>
/// <param name="UsageType">Optional kind of usage (for example <c>chat</c>).</param>
public sealed record TeamUsage(long Tokens, string? Model = null, string? UsageType = null)
{
    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (Tokens is < 1 or > int.MaxValue)
        {
            errors.Add("tokens", $"'tokens' must be between 1 and {int.MaxValue}.");
        }

        errors.Optional("model", Model, TeamLimits.ModelMaxLength);
        errors.Optional("usageType", UsageType, TeamLimits.UsageTypeMaxLength);
        errors.ThrowIfAny();
    }
}

/// <summary>Bounds of team inputs.</summary>
public static class TeamLimits
{
    /// <summary>Maximum plan name length.</summary>
    public const int NameMaxLength = 100;

    /// <summary>Largest member limit.</summary>
    public const int MaxMembersLimit = 10_000;

    /// <summary>Maximum billing email length.</summary>
    public const int EmailMaxLength = 320;

    /// <summary>Maximum model id length in a usage record.</summary>
    public const int ModelMaxLength = 100;

    /// <summary>Maximum usage type length in a usage record.</summary>
    public const int UsageTypeMaxLength = 50;

    /// <summary>How long a reservation holds when the request names no expiry.</summary>
    public static readonly TimeSpan DefaultReservationExpiry = TimeSpan.FromMinutes(10);

    /// <summary>The shortest reservation expiry.</summary>
    public static readonly TimeSpan MinReservationExpiry = TimeSpan.FromSeconds(1);

    /// <summary>The longest reservation expiry.</summary>
    public static readonly TimeSpan MaxReservationExpiry = TimeSpan.FromHours(24);

    internal static void ValidateMaxMembers(ValidationErrors errors, int maxMembers)
    {
        if (maxMembers is < 1 or > MaxMembersLimit)
        {
            errors.Add("maxMembers", $"'maxMembers' must be between 1 and {MaxMembersLimit}.");
        }
    }

    internal static void ValidatePool(ValidationErrors errors, long pool)
    {
        if (pool < 1)
        {
            errors.Add("totalTokensMonthly", "'totalTokensMonthly' must be 1 or more.");
        }
    }

}
