namespace Radiant.Errors;

/// <summary>
/// Base type of the errors Radiant services raise on purpose. Each subtype maps to one HTTP status in
/// <c>Radiant.AspNetCore</c>; anything else escaping a service is a bug or an infrastructure failure.
/// </summary>
public abstract class RadiantException : Exception
{
    /// <summary>Creates the exception with a message meant for the caller.</summary>
    protected RadiantException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The input is invalid. <see cref="Errors"/> names each offending field; nothing was written.</summary>
public sealed class RadiantValidationException : RadiantException
{
    /// <summary>Creates the exception from field errors (field name → messages).</summary>
    public RadiantValidationException(IReadOnlyDictionary<string, string[]> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception for a single field.</summary>
    public RadiantValidationException(string field, string message)
        : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }

    /// <summary>Field name (camelCase, as in the JSON payload) → error messages.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    private static string BuildMessage(IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return "Validation failed: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
    }
}

/// <summary>The resource does not exist for this tenant (resources of other tenants are reported the same way).</summary>
public sealed class RadiantNotFoundException(string resource, object id)
    : RadiantException($"{resource} '{id}' was not found.")
{
    /// <summary>The kind of resource, for example "persona".</summary>
    public string Resource { get; } = resource;
}

/// <summary>The caller may see the resource but not perform this operation on it (for example, edit another user's persona).</summary>
public sealed class RadiantForbiddenException(string message) : RadiantException(message);

/// <summary>
/// The caller's account is suspended by a tenant admin: every request is refused (HTTP 403) until the account is
/// reactivated.
/// </summary>
public sealed class RadiantAccountSuspendedException()
    : RadiantException("Your account is suspended. Contact your administrator to have it reactivated.");

/// <summary>The operation conflicts with the current state (for example, a duplicate name).</summary>
public sealed class RadiantConflictException(string message, Exception? innerException = null)
    : RadiantException(message, innerException);

/// <summary>
/// A limit would be exceeded (a token pool or allocation, a member limit); nothing was recorded.
/// <see cref="Limit"/> says which, <see cref="Remaining"/> how much is left.
/// </summary>
public sealed class RadiantLimitExceededException(string limit, long remaining, string message)
    : RadiantException(message)
{
    /// <summary>Which limit: for example <c>team_pool</c>, <c>member_allocation</c>, <c>max_members</c>.</summary>
    public string Limit { get; } = limit;

    /// <summary>What is left of that limit.</summary>
    public long Remaining { get; } = remaining;
}

/// <summary>
/// The database cannot serve the operation right now: it is unreachable, shutting down or starting, at its connection
/// limit, or no pooled connection became free in time. Raised once the provider's own retries of safe cases are used
/// up; <see cref="RetryAfter"/> says when trying again is worthwhile (HTTP: 503 with <c>Retry-After</c>).
/// </summary>
public sealed class RadiantUnavailableException : RadiantException
{
    /// <summary>Creates the exception with a message meant for the caller (no server addresses or names).</summary>
    public RadiantUnavailableException(string message, TimeSpan retryAfter, bool outcomeUnknown = false, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        RetryAfter = retryAfter;
        OutcomeUnknown = outcomeUnknown;
    }

    /// <summary>How long to wait before trying again.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>
    /// True when the database became unavailable while committing: the change may or may not have been saved, so a
    /// caller checks before repeating a write. False when nothing was saved.
    /// </summary>
    public bool OutcomeUnknown { get; }
}
