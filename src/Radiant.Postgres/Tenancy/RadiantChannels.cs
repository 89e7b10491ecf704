using System.Security.Cryptography;
using System.Text;

namespace Radiant.Postgres.Tenancy;

/// <summary>NOTIFY channels, per schema so that two Radiant schemas in one database do not wake each other.</summary>
internal static class RadiantChannels
{
    /// <summary>PostgreSQL's identifier limit (NAMEDATALEN - 1): <c>pg_notify</c> refuses longer channels, LISTEN truncates them.</summary>
    internal const int MaxLength = 63;

    /// <summary>Hex digits of the schema's hash in a shortened name (48 bits).</summary>
    private const int HashLength = 12;

    /// <summary>Pricing changed; the payload is a tenant id, or '*' for every tenant.</summary>
    public static string Pricing(RadiantDb db) => For(db.Schema.Trim('"'), "pricing");

    /// <summary>A schedule was created or changed, or a run was requested: scheduler workers look for due work now.</summary>
    public static string Schedules(RadiantDb db) => For(db.Schema.Trim('"'), "schedules");

    /// <summary>A notification was queued in the outbox: dispatchers deliver it now.</summary>
    public static string Outbox(RadiantDb db) => For(db.Schema.Trim('"'), "outbox");

    /// <summary>A user's status changed; the payload is <c>tenantId:userId</c>. Every directory forgets what it remembered of that user.</summary>
    public static string Users(RadiantDb db) => For(db.Schema.Trim('"'), "users");

    /// <summary>
    /// The channel of <paramref name="purpose"/> in <paramref name="schema"/>: <c>&lt;schema&gt;_&lt;purpose&gt;</c> when that
    /// fits in <see cref="MaxLength"/> bytes, otherwise <c>&lt;schema prefix&gt;_&lt;hash&gt;_&lt;purpose&gt;</c>, exactly
    /// <see cref="MaxLength"/> bytes, where the hash is the first 12 hex digits of the SHA-256 of the whole schema name.
    /// Deterministic, so every instance agrees; two schemas sharing a long prefix get different channels.
    /// </summary>
    internal static string For(string schema, string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(schema);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var plain = schema + "_" + purpose;
        if (Encoding.UTF8.GetByteCount(plain) <= MaxLength)
        {
            return plain;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(schema)))[..HashLength];
        var tail = "_" + hash + "_" + purpose;
        var room = MaxLength - Encoding.UTF8.GetByteCount(tail);
        if (room < 1)
        {
            throw new ArgumentException($"The channel purpose '{purpose}' is too long for a {MaxLength}-byte channel name.", nameof(purpose));
        }

        // Schema names are validated as ASCII ([a-z_][a-z0-9_]*), so characters are bytes.
        return schema[..Math.Min(room, schema.Length)] + tail;
    }
}
