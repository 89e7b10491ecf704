using Npgsql;
using Radiant.Errors;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// Which failures mean "the database cannot serve now" rather than "this operation is wrong", and what the caller is
/// told: a <see cref="RadiantUnavailableException"/> whose message names the condition, never the server's address.
/// </summary>
internal static class DatabaseUnavailable
{
    /// <summary>The wait suggested when the database is busy (no pooled connection free, connection limit, slow answers).</summary>
    public static readonly TimeSpan BusyRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>The wait suggested when the database is away (unreachable, shutting down, starting up).</summary>
    public static readonly TimeSpan AwayRetryAfter = TimeSpan.FromSeconds(2);

    // Npgsql's own wording for a pool wait that timed out (the exception has no dedicated type or code).
    private const string PoolExhausted = "The connection pool has been exhausted";

    /// <summary>
    /// The exception to raise instead of <paramref name="failure"/> when it means the database is unavailable; null
    /// otherwise. <paramref name="duringCommit"/>: the failure came from the commit, so the outcome is unknown.
    /// </summary>
    public static RadiantUnavailableException? Translate(Exception failure, bool duringCommit)
    {
        if (Classify(failure) is not var (condition, retryAfter))
        {
            return null;
        }

        return duringCommit
            ? new RadiantUnavailableException(
                $"{condition} It happened while the change was being committed, so it may or may not have been saved: check before repeating it.",
                retryAfter,
                outcomeUnknown: true,
                failure)
            : new RadiantUnavailableException($"{condition} Nothing was saved; try again shortly.", retryAfter, outcomeUnknown: false, failure);
    }

    /// <summary>
    /// A failure a background worker waits out: the database is unavailable (translated or not yet), or a command
    /// failed at the connection level.
    /// </summary>
    public static bool IsOutage(Exception failure) =>
        failure is RadiantUnavailableException or NpgsqlException or TimeoutException;

    private static (string Condition, TimeSpan RetryAfter)? Classify(Exception failure) => failure switch
    {
        PostgresException e => e.SqlState switch
        {
            PostgresErrorCodes.TooManyConnections => ("The database is at its connection limit.", BusyRetryAfter),
            // insufficient_resources: out of memory, disk full, a configuration limit.
            { } state when state.StartsWith("53", StringComparison.Ordinal) => ("The database is short of resources.", BusyRetryAfter),
            // Also what a session ended by pg_terminate_backend sees.
            PostgresErrorCodes.AdminShutdown => ("The database ended the connection (it is shutting down or restarting, or an administrator ended it).", AwayRetryAfter),
            PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow => ("The database is shutting down or starting up.", AwayRetryAfter),
            // connection_exception and its subclasses.
            { } state when state.StartsWith("08", StringComparison.Ordinal) => ("The connection to the database failed.", AwayRetryAfter),
            // statement_timeout (a cancellation Radiant asked for surfaces as OperationCanceledException instead).
            PostgresErrorCodes.QueryCanceled => ("The database did not answer in time.", BusyRetryAfter),
            PostgresErrorCodes.SystemError or PostgresErrorCodes.IoError => ("The database reported a system error.", AwayRetryAfter),
            _ => null,
        },
        NpgsqlException { InnerException: TimeoutException } e when e.Message.StartsWith(PoolExhausted, StringComparison.Ordinal) =>
            ("The database is busy: no connection became free in time.", BusyRetryAfter),
        NpgsqlException { InnerException: TimeoutException } => ("The database did not answer in time.", BusyRetryAfter),
        // Connection refused or reset, a broken stream: Npgsql marks these transient.
        NpgsqlException { IsTransient: true } => ("The database is not reachable right now.", AwayRetryAfter),
        _ => null,
    };
}
