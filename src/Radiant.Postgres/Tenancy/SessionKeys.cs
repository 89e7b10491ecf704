using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// The keys that make a transaction's tenant context unforgeable by SQL running inside it (migration 0006). Each
/// database connection (backend) gets a key derived from a secret that lives only in this process's memory and the
/// backend's process id; the host registers it once per backend, before anything else runs there, and signs every
/// context it enters with it. The database checks the signature with the key it keeps where the application role
/// cannot read it, and refuses a second registration with another key — so SQL injected into a request can neither
/// read the key nor replace it with its own.
/// </summary>
/// <remarks>
/// One secret per process: every data source and every Radiant host in the process derives the same key for a
/// backend, so a data source shared by two hosts never registers two keys. A backend of another process that died
/// and left its key behind under the same pid (pg_stat_activity no longer lists it, but no registration has cleaned
/// up since) makes registration fail with RDN01; the connection is then closed from the server side and the
/// transaction runs again on another one.
/// </remarks>
internal static class SessionKeys
{
    /// <summary>SQLSTATE: this backend already has a different key (a stale one left by a dead backend of another process).</summary>
    public const string KeyConflict = "RDN01";

    /// <summary>SQLSTATE: the context's signature does not verify with this backend's key (or it has none).</summary>
    public const string BadSignature = "RDN02";

    private const int BlockSize = 64;
    private const int MaxRemembered = 16_384;
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private static readonly ConcurrentDictionary<(string Database, int Pid), byte> Registered = new();

    /// <summary>Registers this backend's key unless this process already did (one round trip per new backend).</summary>
    public static async Task EnsureRegisteredAsync(NpgsqlConnection connection, string quotedSchema, CancellationToken cancellationToken)
    {
        var entry = (Identity(connection, quotedSchema), connection.ProcessID);
        if (Registered.ContainsKey(entry))
        {
            return;
        }

        var (inner, outer) = Pads(KeyFor(connection.ProcessID));
        await using var command = new NpgsqlCommand($"SELECT {quotedSchema}.register_session_key(@inner, @outer)", connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]>("inner", inner));
        command.Parameters.Add(new NpgsqlParameter<byte[]>("outer", outer));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == KeyConflict)
        {
            await using var close = new NpgsqlCommand("SELECT pg_terminate_backend(pg_backend_pid())", connection);
            try
            {
                await close.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (NpgsqlException)
            {
                // Expected: the server ended this session, so the pool drops the connection.
            }

            throw new StaleSessionKeyException(connection.ProcessID, e);
        }

        if (Registered.Count >= MaxRemembered)
        {
            // Backends come and go over months; forgetting them all only costs a re-registration (idempotent) each.
            Registered.Clear();
        }

        Registered.TryAdd(entry, 0);
    }

    /// <summary>Forgets that this backend was registered, so the next use registers it again (after RDN02).</summary>
    public static void Forget(NpgsqlConnection connection, string quotedSchema) =>
        Registered.TryRemove((Identity(connection, quotedSchema), connection.ProcessID), out _);

    /// <summary>The claim <c>enter_context</c> takes: <c>tenant|user|scope</c>, each empty when absent.</summary>
    public static string Claim(Guid? tenantId, Guid? userId, string scope) =>
        $"{tenantId?.ToString() ?? ""}|{userId?.ToString() ?? ""}|{scope}";

    /// <summary>The host's signature of <paramref name="claim"/> on the backend <paramref name="processId"/>: HMAC-SHA256.</summary>
    public static byte[] Sign(int processId, string claim) => HMACSHA256.HashData(KeyFor(processId), Encoding.UTF8.GetBytes(claim));

    private static byte[] KeyFor(int processId)
    {
        Span<byte> pid = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32BigEndian(pid, processId);
        return HMACSHA256.HashData(Secret, pid);
    }

    /// <summary>The HMAC inner and outer pads of a key (RFC 2104), which the database hashes with the message.</summary>
    private static (byte[] Inner, byte[] Outer) Pads(byte[] key)
    {
        var inner = new byte[BlockSize];
        var outer = new byte[BlockSize];
        for (var i = 0; i < BlockSize; i++)
        {
            var k = i < key.Length ? key[i] : (byte)0;
            inner[i] = (byte)(k ^ 0x36);
            outer[i] = (byte)(k ^ 0x5c);
        }

        return (inner, outer);
    }

    // A backend belongs to one server; its key to one schema there.
    private static string Identity(NpgsqlConnection connection, string quotedSchema) => $"{connection.DataSource}/{connection.Database}/{quotedSchema}";
}

/// <summary>A stale key of a dead backend blocked registration; the connection was closed and the work may run again.</summary>
internal sealed class StaleSessionKeyException(int processId, Exception inner)
    : Exception($"Backend {processId} still had the session key of a connection that has gone; it was closed to use another.", inner);
