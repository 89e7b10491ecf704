using Radiant.Common;
using Radiant.Errors;
using Radiant.Tenancy;

namespace Radiant.ThinkTank;

/// <summary>
/// The Think Tank admin's user management (seed section 29.2): the tenant's users with their figures, the stats above
/// the list, a CSV-ready export, and suspension. Every method is for tenant admins only
/// (<see cref="RadiantForbiddenException"/> for anyone else) and sees the caller's tenant only: another tenant's user
/// ids are <see cref="RadiantNotFoundException"/>.
/// </summary>
public interface IThinkTankUserService
{
    /// <summary>
    /// A page of the tenant's users matching <paramref name="query"/>, in its order (keyset paging: a page costs the
    /// same however deep, and users whose figures change between pages are neither repeated nor skipped unless their
    /// sort key itself moved past the cursor). The cursor belongs to the query's sort: reusing it with another sort
    /// or direction is a validation error.
    /// </summary>
    Task<Page<ThinkTankUser>> ListAsync(RadiantCaller caller, ThinkTankUserQuery query, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>One user of the tenant.</summary>
    Task<ThinkTankUser> GetAsync(RadiantCaller caller, Guid userId, CancellationToken cancellationToken = default);

    /// <summary>Total users, users active in 7 days, new this month, suspended, and spend this month.</summary>
    Task<ThinkTankUserStats> GetStatsAsync(RadiantCaller caller, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every user matching <paramref name="query"/>, in its order, streamed from one database snapshot: rows are read
    /// as the consumer asks for them (a server-side cursor), so a million users are never held in memory. The query is
    /// validated and the caller checked when this method is called; the database is reached on the first
    /// <c>MoveNextAsync</c>, which is where an unavailable database is reported. A failure after the first row ends the
    /// enumeration with the exception (a consumer that already wrote rows can only abandon its output).
    /// </summary>
    IAsyncEnumerable<ThinkTankUser> ExportAsync(RadiantCaller caller, ThinkTankUserQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Suspends a user: from the commit on, every request of theirs is refused with
    /// <see cref="RadiantAccountSuspendedException"/>. Atomic with its audit record (who, when); suspending a
    /// suspended user changes nothing. An admin cannot suspend themselves (<see cref="RadiantConflictException"/>).
    /// </summary>
    Task<ThinkTankUser> SuspendAsync(RadiantCaller caller, Guid userId, CancellationToken cancellationToken = default);

    /// <summary>Reactivates a suspended user, atomically with its audit record; reactivating an active user changes nothing.</summary>
    Task<ThinkTankUser> ReactivateAsync(RadiantCaller caller, Guid userId, CancellationToken cancellationToken = default);
}
