using Dapper;
using Radiant.Tenancy;

namespace Radiant.Postgres.Tenancy;

internal sealed class PostgresTenantDirectory : ITenantDirectory
{
    private readonly RadiantDb _db;
    private readonly string _ensureSql;
    private readonly string _findSql;
    private readonly string _channel;

    public PostgresTenantDirectory(RadiantDb db)
    {
        _db = db;
        _channel = RadiantChannels.Pricing(db);
        // One statement: concurrent first requests of the same user both succeed, and an unchanged profile is not
        // rewritten. A new tenant is announced so every pricing engine can price it (at the defaults) right away.
        _ensureSql = db.Sql(
            """
            WITH tenant AS (
                INSERT INTO {schema}.tenants (tenant_id, name) VALUES (@TenantId, @TenantName)
                ON CONFLICT (tenant_id) DO NOTHING
                RETURNING tenant_id
            ), account AS (
                INSERT INTO {schema}.users (tenant_id, user_id, email, display_name) VALUES (@TenantId, @UserId, @Email, @DisplayName)
                ON CONFLICT (tenant_id, user_id) DO UPDATE
                    SET email = EXCLUDED.email, display_name = EXCLUDED.display_name, updated_at = now()
                    WHERE (users.email, users.display_name) IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.display_name)
            )
            SELECT pg_notify(@Channel, tenant_id::text) FROM tenant
            """);
        _findSql = db.Sql("SELECT email, display_name AS DisplayName FROM {schema}.users WHERE tenant_id = @TenantId AND user_id = @UserId");
    }

    public Task EnsureUserAsync(UserProfile profile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var user = profile.User;
        var args = new
        {
            user.TenantId,
            user.UserId,
            TenantName = string.IsNullOrWhiteSpace(profile.TenantName) ? user.TenantId.ToString() : Truncate(profile.TenantName, 200),
            Email = profile.Email is null ? null : Truncate(profile.Email, 320),
            DisplayName = profile.DisplayName is null ? null : Truncate(profile.DisplayName, 200),
            Channel = _channel,
        };
        return _db.InTenantAsync(
            user,
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(_ensureSql, args, transaction, cancellationToken: cancellationToken)),
            cancellationToken);
    }

    public Task<UserProfile?> FindUserAsync(RadiantCaller user, CancellationToken cancellationToken = default) =>
        _db.InTenantAsync(
            user,
            async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<(string? Email, string? DisplayName)?>(new CommandDefinition(
                    _findSql, new { user.TenantId, user.UserId }, transaction, cancellationToken: cancellationToken));
                return row is { } r ? new UserProfile(user, r.Email, r.DisplayName) : null;
            },
            cancellationToken);

    private static string Truncate(string value, int maxLength) => value.Length <= maxLength ? value : value[..maxLength];
}
