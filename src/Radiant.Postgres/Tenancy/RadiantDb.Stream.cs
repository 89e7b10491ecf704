using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using Radiant.Tenancy;

namespace Radiant.Postgres.Tenancy;

/// <summary>Reads too large to hold: rows streamed from one snapshot as the consumer asks for them.</summary>
internal sealed partial class RadiantDb
{
    /// <summary>
    /// Streams the rows of one query, run in a transaction scoped to the caller's tenant and user, mapping
    /// each as it is read (Npgsql reads the result from the socket as the enumeration asks, so memory stays at one row
    /// plus the network buffers however many rows there are). Opening — connection, context, the query up to its first
    /// result — follows the same retry rules as <see cref="InTenantAsync{T}(RadiantCaller, Func{NpgsqlConnection, NpgsqlTransaction, Task{T}}, CancellationToken)"/>
    /// and reports an unavailable database the same way; once rows have been handed out nothing is re-run (the consumer
    /// has used them), and a failure ends the enumeration (still translated when the database became unavailable).
    /// </summary>
    public async IAsyncEnumerable<T> StreamInTenantAsync<T>(
        RadiantCaller caller,
        Func<NpgsqlConnection, NpgsqlTransaction, NpgsqlCommand> command,
        Func<NpgsqlDataReader, T> map,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var claim = SessionKeys.Claim(caller.TenantId, caller.UserId, "");
        var (connection, transaction, query, reader) = await TranslateUnavailable(_retry.ExecuteAsync(
            async ct =>
            {
                var connection = await _dataSource.OpenConnectionAsync(ct);
                NpgsqlTransaction? transaction = null;
                NpgsqlCommand? query = null;
                try
                {
                    await SessionKeys.EnsureRegisteredAsync(connection, Schema, ct);
                    transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                    await using (var enter = new NpgsqlCommand(_enterAsAppSql, connection, transaction))
                    {
                        AddContext(enter.Parameters, connection, claim);
                        try
                        {
                            await enter.ExecuteNonQueryAsync(ct);
                        }
                        catch (PostgresException e) when (e.SqlState == SessionKeys.BadSignature)
                        {
                            SessionKeys.Forget(connection, Schema);
                            e.Data[KeyLost] = true;
                            throw;
                        }
                    }

                    query = command(connection, transaction);
                    var reader = await query.ExecuteReaderAsync(CommandBehavior.SingleResult, ct);
                    return (connection, transaction, query, reader);
                }
                catch (Exception e)
                {
                    if (query is not null)
                    {
                        await query.DisposeAsync();
                    }

                    if (transaction is not null)
                    {
                        await transaction.DisposeAsync();
                    }

                    await connection.DisposeAsync();
                    if (e is PostgresException p && PostgresErrors.IsRefusedValue(p))
                    {
                        throw PostgresErrors.ToValidationError(p);
                    }

                    throw;
                }
            },
            cancellationToken).AsTask());

        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await reader.ReadAsync(cancellationToken);
                }
                catch (Exception e) when (DatabaseUnavailable.Translate(e, duringCommit: false) is { } unavailable)
                {
                    throw unavailable;
                }

                if (!more)
                {
                    break;
                }

                yield return map(reader);
            }
        }
        finally
        {
            await reader.DisposeAsync();
            await query.DisposeAsync();
            // The query only reads: nothing to commit, disposing rolls back and ends its snapshot (one statement, one snapshot).
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
