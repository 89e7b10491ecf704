using System.Data;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Tenancy;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// Runs service work in a transaction that is confined to one tenant (and user). Each transaction switches to the
/// application role and sets <c>radiant.tenant_id</c> / <c>radiant.user_id</c> with <c>set_config(..., true)</c>,
/// so row-level security applies and nothing outlives the transaction on a pooled connection.
/// </summary>
internal sealed class RadiantDb
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _scopeSql;

    public RadiantDb(RadiantDataSources dataSources, IOptions<RadiantPostgresOptions> options)
    {
        _dataSource = dataSources.App;
        var settings = options.Value;
        Schema = SqlIdentifier.Quote(settings.Schema);
        var setRole = settings.SwitchToApplicationRole ? $"SET LOCAL ROLE {SqlIdentifier.Quote(settings.ApplicationRole)};" : string.Empty;
        _scopeSql = setRole + "SELECT set_config('radiant.tenant_id', @tenant, true), set_config('radiant.user_id', @user, true)";
    }

    /// <summary>
    /// Set by tests that move time: every reading of <see cref="NowAsync"/> returns it instead of the database's clock.
    /// </summary>
    internal Func<DateTimeOffset>? PinnedNow { get; set; }

    /// <summary>The quoted schema name, for building SQL once per service.</summary>
    public string Schema { get; }

    /// <summary>Replaces <c>{schema}</c> in a SQL text with the quoted schema name.</summary>
    public string Sql(string text) => text.Replace("{schema}", Schema, StringComparison.Ordinal);

    /// <summary>
    /// "Now" for a decision that other instances must agree with: the database's <c>clock_timestamp()</c>, read in the
    /// transaction once it holds its locks (not <c>now()</c>, the transaction's start, which is earlier than what
    /// committed while the transaction waited). The one way services read the time.
    /// </summary>
    public async Task<DateTimeOffset> NowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (PinnedNow is { } pinned)
        {
            return pinned();
        }

        await using var command = new NpgsqlCommand("SELECT clock_timestamp()", connection, transaction);
        var now = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    /// <summary>Runs <paramref name="work"/> in a transaction scoped to the caller's tenant and user.</summary>
    public Task<T> InTenantAsync<T>(
        RadiantCaller caller,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken) =>
        RunAsync(caller.TenantId, caller.UserId, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a transaction scoped to a tenant and, optionally, a user.</summary>
    public Task<T> InTenantAsync<T>(
        Guid tenantId,
        Guid? userId,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken) =>
        RunAsync(tenantId, userId, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a transaction with no tenant set: tenant tables show nothing.</summary>
    public Task<T> WithoutTenantAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(null, null, work, cancellationToken);

    private async Task<T> RunAsync<T>(
        Guid? tenantId,
        Guid? userId,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await using (var scope = new NpgsqlCommand(_scopeSql, connection, transaction))
        {
            scope.Parameters.AddWithValue("tenant", tenantId?.ToString() ?? string.Empty);
            scope.Parameters.AddWithValue("user", userId?.ToString() ?? string.Empty);
            await scope.ExecuteNonQueryAsync(cancellationToken);
        }

        T result;
        try
        {
            result = await work(connection, transaction);
        }
        catch (PostgresException e) when (PostgresErrors.IsRefusedValue(e))
        {
            // Validation should have refused the value before the database did; keep the gap a 400, not a 500.
            throw PostgresErrors.ToValidationError(e);
        }

        await transaction.CommitAsync(cancellationToken);
        return result;
    }
}
