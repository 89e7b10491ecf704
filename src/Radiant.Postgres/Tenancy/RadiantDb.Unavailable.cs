namespace Radiant.Postgres.Tenancy;

/// <summary>The data kernel's last word on a failed transaction: an unavailable database is a typed error.</summary>
internal sealed partial class RadiantDb
{
    /// <summary>
    /// Awaits a transaction whose retries are used up and, if the database was unavailable, raises
    /// <see cref="Radiant.Errors.RadiantUnavailableException"/> instead (outcome unknown when the commit had started).
    /// </summary>
    private static async Task<T> TranslateUnavailable<T>(Task<T> transaction)
    {
        try
        {
            return await transaction.ConfigureAwait(false);
        }
        catch (Exception e) when (DatabaseUnavailable.Translate(e, duringCommit: e.Data[CommitStarted] is true) is { } unavailable)
        {
            throw unavailable;
        }
    }
}
