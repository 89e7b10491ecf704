using Radiant.Errors;

namespace Radiant.Teams;

/// <summary>
/// What to hold before a model call: the worst case it may cost, and the fewest tokens worth calling with.
/// </summary>
/// <param name="MaxTokens">The most to hold (the call's worst case), 1 to <see cref="int.MaxValue"/>.</param>
/// <param name="MinTokens">Below this the reservation is refused rather than shrunk; 1 to <paramref name="MaxTokens"/>.</param>
/// <param name="Expiry">
/// How long the hold lasts if it is neither settled nor released (a host that crashed holds nothing past it); from
/// <see cref="TeamLimits.MinReservationExpiry"/> to <see cref="TeamLimits.MaxReservationExpiry"/>, default
/// <see cref="TeamLimits.DefaultReservationExpiry"/>.
/// </param>
/// <param name="Model">Optional model id the call will use.</param>
public sealed record TeamReservationRequest(long MaxTokens, long MinTokens = 1, TimeSpan? Expiry = null, string? Model = null)
{
    /// <summary>The expiry that applies: <see cref="Expiry"/> or the default.</summary>
    public TimeSpan EffectiveExpiry => Expiry ?? TeamLimits.DefaultReservationExpiry;

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (MaxTokens is < 1 or > int.MaxValue)
        {
            errors.Add("maxTokens", $"'maxTokens' must be between 1 and {int.MaxValue}.");
        }

        if (MinTokens < 1 || (MinTokens > MaxTokens && MaxTokens >= 1))
        {
            errors.Add("minTokens", "'minTokens' must be between 1 and 'maxTokens'.");
        }

        if (Expiry is { } expiry && (expiry < TeamLimits.MinReservationExpiry || expiry > TeamLimits.MaxReservationExpiry))
        {
            errors.Add("expiry", $"'expiry' must be between {TeamLimits.MinReservationExpiry} and {TeamLimits.MaxReservationExpiry}.");
        }

        errors.Optional("model", Model, TeamLimits.ModelMaxLength);
        errors.ThrowIfAny();
    }
}

/// <summary>Tokens held for a call until it is settled, released or expires.</summary>
/// <param name="Id">The reservation, for <see cref="ITeamService.SettleAsync"/> and <see cref="ITeamService.ReleaseAsync"/>.</param>
/// <param name="TeamId">The plan.</param>
/// <param name="TokensRequested">The request's <see cref="TeamReservationRequest.MaxTokens"/>.</param>
/// <param name="TokensHeld">What is held: the request's maximum, or less when less remained (never below its minimum).</param>
/// <param name="ExpiresAt">When the hold stops counting if nothing settled or released it (the database's clock).</param>
/// <param name="TeamTokensRemaining">What remains of the pool for others once this is held.</param>
/// <param name="MemberTokensRemaining">What remains of the caller's allocation once this is held; null on a shared pool or without an allocation.</param>
public sealed record TeamReservation(
    Guid Id, Guid TeamId, long TokensRequested, long TokensHeld, DateTimeOffset ExpiresAt, long TeamTokensRemaining, long? MemberTokensRemaining)
{
    /// <summary>True when less than requested is held.</summary>
    public bool IsShrunk => TokensHeld < TokensRequested;
}

/// <summary>A settled reservation: what was charged, and the usage after it.</summary>
/// <param name="ReservationId">The reservation.</param>
/// <param name="TokensCharged">
/// What was charged and logged: the real usage, unless it exceeded the hold and the excess did not fit in what remained,
/// in which case the hold (and <paramref name="TokensNotCharged"/> says what was left out).
/// </param>
/// <param name="TokensNotCharged">Real usage beyond what was charged; 0 unless the settlement was capped.</param>
/// <param name="Usage">The pool and the caller's usage after the settlement.</param>
public sealed record TeamSettlement(Guid ReservationId, long TokensCharged, long TokensNotCharged, UsageRecorded Usage)
{
    /// <summary>True when the real usage exceeded the hold and could not be charged in full.</summary>
    public bool IsCapped => TokensNotCharged > 0;
}
