using System.Collections.Concurrent;
using Dapper;
using Radiant.Tenancy;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// Provisions users just in time and answers their status. What it provisioned is remembered (profile and status),
/// so a steady-state request costs no query; a status change anywhere (<see cref="Forget"/> here, a notification on
/// <see cref="RadiantChannels.Users"/> from any instance) drops the user's entry, and every reconnect of the listener
/// drops them all, since changes made meanwhile were not heard. A host whose features keep no notification connection
/// (focus modes and personas only) hears nothing: there an entry is trusted for <see cref="UnheardLifetime"/>, so a
/// suspension made by another instance applies within that time.
/// </summary>
internal sealed class PostgresTenantDirectory : ITenantDirectory
{
    private const int MaxRemembered = 100_000;

    /// <summary>How long a remembered status is trusted by a host without the notification listener.</summary>
    internal static readonly TimeSpan UnheardLifetime = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly bool _hears;
    private readonly RadiantDb _db;
    private readonly string _ensureSql;
    private readonly string _findSql;
    private readonly string _statusSql;
    private readonly string _channel;
    private readonly ConcurrentDictionary<(Guid TenantId, Guid UserId), (UserProfile? Profile, UserStatus Status, long At)> _known = new();

    // Bumped by every forget: an answer read before a forget is not remembered after it (it may predate the change).
    private long _generation;

    public PostgresTenantDirectory(RadiantDb db, IServiceProvider services, TimeProvider time)
    {
        _db = db;
        _time = time;
        _channel = RadiantChannels.Pricing(db);
        // One statement: concurrent first requests of the same user both succeed, and an unchanged profile is not
        // rewritten. A new tenant is announced so every pricing engine can price it (at the defaults) right away. The
        // status is the inserted or updated row's, else the stored one (a user another request is inserting right now
        // is not yet visible, and is new, so active).
        _ensureSql = db.Sql(
            """
            WITH tenant AS (
                INSERT INTO {schema}.tenants (tenant_id, name) VALUES (@TenantId, @TenantName)
                ON CONFLICT (tenant_id) DO NOTHING
                RETURNING tenant_id
            ), account AS (
                INSERT INTO {schema}.users (tenant_id, user_id, email, display_name, subscription_tier)
                VALUES (@TenantId, @UserId, @Email, @DisplayName, @Tier)
                ON CONFLICT (tenant_id, user_id) DO UPDATE
                    SET email = EXCLUDED.email, display_name = EXCLUDED.display_name,
                        subscription_tier = coalesce(EXCLUDED.subscription_tier, users.subscription_tier), updated_at = now()
                    WHERE (users.email, users.display_name, users.subscription_tier)
                          IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.display_name, coalesce(EXCLUDED.subscription_tier, users.subscription_tier))
                RETURNING status
            )
            SELECT coalesce((SELECT status FROM account),
                            (SELECT status FROM {schema}.users WHERE tenant_id = @TenantId AND user_id = @UserId),
                            'active') AS status,
                   (SELECT count(pg_notify(@Channel, tenant_id::text)) FROM tenant) AS announced
            """);
        _statusSql = db.Sql("SELECT status FROM {schema}.users WHERE tenant_id = @TenantId AND user_id = @UserId");
        _findSql = db.Sql(
            "SELECT email, display_name AS DisplayName, subscription_tier AS Tier FROM {schema}.users WHERE tenant_id = @TenantId AND user_id = @UserId");
        // The listener runs when a feature needs it (pricing, teams, the outbox...); a host without one opens no
        // connection for this alone.
        if (services.GetService(typeof(RadiantListener)) is RadiantListener listener)
        {
            _hears = true;
            listener.Subscribe(RadiantChannels.Users(db), OnStatusChanged, ForgetAll);
        }
    }

    public async Task<UserStatus> EnsureUserAsync(UserProfile profile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var user = profile.User;
        var key = (user.TenantId, user.UserId);
        if (_known.TryGetValue(key, out var known) && known.Profile == profile && Trusted(known.At))
        {
            return known.Status;
        }

        var generation = Interlocked.Read(ref _generation);
        var args = new
        {
            user.TenantId,
            user.UserId,
            TenantName = string.IsNullOrWhiteSpace(profile.TenantName) ? user.TenantId.ToString() : Truncate(profile.TenantName, 200),
            Email = profile.Email is null ? null : Truncate(profile.Email, 320),
            DisplayName = profile.DisplayName is null ? null : Truncate(profile.DisplayName, 200),
            Tier = profile.Tier is { } tier ? DbEnum.Name(tier) : null,
            Channel = _channel,
        };
        var status = DbEnum.Parse<UserStatus>(await _db.InTenantAsync(
            user,
            async (connection, transaction) => (await connection.QuerySingleAsync<(string Status, long Announced)>(
                new CommandDefinition(_ensureSql, args, transaction, cancellationToken: cancellationToken))).Status,
            cancellationToken));

        if (_known.Count >= MaxRemembered)
        {
            _known.Clear();
        }

        _known[key] = (profile, status, _time.GetTimestamp());
        if (Interlocked.Read(ref _generation) != generation)
        {
            // A status change was heard while this answer was on its way: it may be older than the change.
            _known.TryRemove(key, out _);
        }

        return status;
    }

    public Task<UserProfile?> FindUserAsync(RadiantCaller user, CancellationToken cancellationToken = default) =>
        _db.InTenantAsync(
            user,
            async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<(string? Email, string? DisplayName, string? Tier)?>(new CommandDefinition(
                    _findSql, new { user.TenantId, user.UserId }, transaction, cancellationToken: cancellationToken));
                return row is { } r ? new UserProfile(user, r.Email, r.DisplayName, Tier: r.Tier is null ? null : DbEnum.Parse<SubscriptionTier>(r.Tier)) : null;
            },
            cancellationToken);

    /// <summary>
    /// Throws <see cref="Radiant.Errors.RadiantAccountSuspendedException"/> when the caller is suspended: what a service
    /// that does not come through the HTTP filter checks (the chat pipeline). Answered from memory for a user this
    /// directory provisioned or checked before (no query in steady state), otherwise read and remembered; a user not yet
    /// provisioned is active.
    /// </summary>
    public async ValueTask RequireActiveAsync(RadiantCaller caller, CancellationToken cancellationToken)
    {
        var key = (caller.TenantId, caller.UserId);
        if (!_known.TryGetValue(key, out var known) || !Trusted(known.At))
        {
            var generation = Interlocked.Read(ref _generation);
            var stored = await _db.InTenantAsync(
                caller,
                (connection, transaction) => connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                    _statusSql, new { caller.TenantId, caller.UserId }, transaction, cancellationToken: cancellationToken)),
                cancellationToken);
            if (stored is null)
            {
                return;
            }

            known = (null, DbEnum.Parse<UserStatus>(stored), _time.GetTimestamp());
            if (_known.Count < MaxRemembered)
            {
                _known[key] = known;
                if (Interlocked.Read(ref _generation) != generation)
                {
                    _known.TryRemove(key, out _);
                }
            }
        }

        if (known.Status == UserStatus.Suspended)
        {
            throw new Radiant.Errors.RadiantAccountSuspendedException();
        }
    }

    /// <summary>Drops what this directory remembers of a user (their status changed).</summary>
    public void Forget(Guid tenantId, Guid userId)
    {
        Interlocked.Increment(ref _generation);
        _known.TryRemove((tenantId, userId), out _);
    }

    /// <summary>The payload of a status-change notification for a user.</summary>
    public static string Payload(Guid tenantId, Guid userId) => $"{tenantId:D}:{userId:D}";

    private void OnStatusChanged(string payload)
    {
        var separator = payload.IndexOf(':', StringComparison.Ordinal);
        if (separator > 0 && Guid.TryParse(payload.AsSpan(0, separator), out var tenantId) && Guid.TryParse(payload.AsSpan(separator + 1), out var userId))
        {
            Forget(tenantId, userId);
        }
        else
        {
            ForgetAll();
        }
    }

    private bool Trusted(long rememberedAt) => _hears || _time.GetElapsedTime(rememberedAt) < UnheardLifetime;

    private void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _known.Clear();
    }

    private static string Truncate(string value, int maxLength) => value.Length <= maxLength ? value : value[..maxLength];
}
