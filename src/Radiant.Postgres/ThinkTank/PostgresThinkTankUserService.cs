using System.Collections.Concurrent;
using System.Text;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;
using Radiant.ThinkTank;

namespace Radiant.Postgres.ThinkTank;

/// <summary>
/// The Think Tank user list over <c>users</c> joined one-to-one with <c>user_usage_totals</c> (migration 0012), which
/// the chat pipeline keeps current as it records usage: a page is an index range on the sort key, never a scan of
/// <c>usage_records</c>.
/// </summary>
/// <remarks>
/// The list's SQL has one text per shape — sort, direction, which filters are present, whether a cursor is — made of
/// fixed fragments only (never caller text) and kept once built, so each shape is planned for exactly its predicates
/// (an absent filter is absent, not <c>@x IS NULL OR ...</c>, which a cached generic plan could not skip).
/// </remarks>
internal sealed class PostgresThinkTankUserService : IThinkTankUserService
{
    private const string ViewUsers = "manage the tenant's Think Tank users";
    private const string Columns =
        """
        u.user_id, u.email, u.display_name, u.subscription_tier, u.status, t.requests, t.failed_requests, t.input_tokens,
        t.output_tokens, t.spend, t.last_active_at, u.created_at, u.status_changed_at, u.status_changed_by
        """;

    // The list's SQL selects its sort key after the columns.
    private const int SortKeyOrdinal = 14;

    // A user never active holds the epoch in last_active_at (NOT NULL, so keyset paging compares plain values).
    private static readonly DateTime NeverActive = DateTime.UnixEpoch;

    private readonly RadiantDb _db;
    private readonly PostgresTenantDirectory _directory;
    private readonly string _channel;
    private readonly string _getSql;
    private readonly string _statsSql;
    private readonly string _lockSql;
    private readonly string _changeSql;
    private readonly ConcurrentDictionary<Shape, string> _listSql = new();

    public PostgresThinkTankUserService(RadiantDb db, PostgresTenantDirectory directory)
    {
        _db = db;
        _directory = directory;
        _channel = RadiantChannels.Users(db);
        _getSql = db.Sql(
            "SELECT " + Columns + """

            FROM {schema}.users u JOIN {schema}.user_usage_totals t ON t.tenant_id = u.tenant_id AND t.user_id = u.user_id
            WHERE u.tenant_id = @TenantId AND u.user_id = @UserId
            """);
        // Each figure is one index range: users by tenant, by creation, suspended (partial index); totals by activity;
        // this month's per-user rows.
        _statsSql = db.Sql(
            """
            SELECT (SELECT count(*) FROM {schema}.users WHERE tenant_id = @TenantId) AS TotalUsers,
                   (SELECT count(*) FROM {schema}.user_usage_totals WHERE tenant_id = @TenantId AND last_active_at >= @ActiveFrom) AS ActiveUsers7d,
                   (SELECT count(*) FROM {schema}.users WHERE tenant_id = @TenantId AND created_at >= @MonthStart) AS NewUsersThisMonth,
                   (SELECT count(*) FROM {schema}.users WHERE tenant_id = @TenantId AND status = 'suspended') AS SuspendedUsers,
                   (SELECT coalesce(sum(spend), 0) FROM {schema}.user_usage_months WHERE tenant_id = @TenantId AND month = @Month) AS SpendThisMonth
            """);
        _lockSql = db.Sql("SELECT status FROM {schema}.users WHERE tenant_id = @TenantId AND user_id = @UserId FOR UPDATE");
        // The change, its audit record and the notification every instance's directory hears (delivered at commit).
        _changeSql = db.Sql(
            """
            UPDATE {schema}.users SET status = @Status, status_changed_at = @Now, status_changed_by = @Actor, updated_at = now()
            WHERE tenant_id = @TenantId AND user_id = @UserId;
            INSERT INTO {schema}.user_status_events (tenant_id, id, user_id, status, changed_by, changed_at)
            VALUES (@TenantId, @EventId, @UserId, @Status, @Actor, @Now);
            SELECT pg_notify(@Channel, @Payload);
            """);
    }

    public async Task<Page<ThinkTankUser>> ListAsync(RadiantCaller caller, ThinkTankUserQuery query, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        caller.RequireTenantAdmin(ViewUsers);
        var list = ListName(query);
        var after = PageCursor.Decode(list, page, 2);
        var sql = SqlFor(query, hasCursor: after is not null, limited: true);
        var rows = await _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction);
                AddFilters(command, caller, query);
                if (after is not null)
                {
                    command.Parameters.Add(AfterKey(query.Sort, after[0]));
                    command.Parameters.Add(new NpgsqlParameter<Guid>("AfterId", after[1].GetGuid()));
                }

                command.Parameters.Add(new NpgsqlParameter<int>("Take", page.Limit + 1));
                var users = new List<(ThinkTankUser User, object Key)>(page.Limit + 1);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    // The key as the database holds it (lower() of the column, the epoch for "never"): the next page compares with it.
                    users.Add((Map(reader), reader.GetValue(SortKeyOrdinal)));
                }

                return users;
            },
            cancellationToken);
        return PageCursor.ToPage(list, rows, page, row => row.User, row => [row.Key, row.User.UserId]);
    }

    public async Task<ThinkTankUser> GetAsync(RadiantCaller caller, Guid userId, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ViewUsers);
        return await _db.InTenantAsync(caller, (connection, transaction) => ReadAsync(connection, transaction, caller, userId, cancellationToken), cancellationToken)
            ?? throw new RadiantNotFoundException("user", userId);
    }

    public async Task<ThinkTankUserStats> GetStatsAsync(RadiantCaller caller, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ViewUsers);
        return await _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var now = await _db.NowAsync(connection, transaction, cancellationToken);
                var monthStart = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
                var row = await connection.QuerySingleAsync<(long TotalUsers, long ActiveUsers7d, long NewUsersThisMonth, long SuspendedUsers, decimal SpendThisMonth)>(
                    new CommandDefinition(
                        _statsSql,
                        new { caller.TenantId, ActiveFrom = now.AddDays(-7), MonthStart = monthStart, Month = DateOnly.FromDateTime(monthStart.UtcDateTime) },
                        transaction,
                        cancellationToken: cancellationToken));
                return new ThinkTankUserStats(row.TotalUsers, row.ActiveUsers7d, row.NewUsersThisMonth, row.SuspendedUsers, row.SpendThisMonth, monthStart, now);
            },
            cancellationToken);
    }

    public IAsyncEnumerable<ThinkTankUser> ExportAsync(RadiantCaller caller, ThinkTankUserQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        caller.RequireTenantAdmin(ViewUsers);
        var sql = SqlFor(query, hasCursor: false, limited: false);
        return _db.StreamInTenantAsync(
            caller,
            (connection, transaction) =>
            {
                var command = new NpgsqlCommand(sql, connection, transaction);
                AddFilters(command, caller, query);
                return command;
            },
            Map,
            cancellationToken);
    }

    public Task<ThinkTankUser> SuspendAsync(RadiantCaller caller, Guid userId, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ViewUsers);
        if (userId == caller.UserId)
        {
            throw new RadiantConflictException("You cannot suspend your own account: ask another admin of the tenant.");
        }

        return ChangeStatusAsync(caller, userId, UserStatus.Suspended, cancellationToken);
    }

    public Task<ThinkTankUser> ReactivateAsync(RadiantCaller caller, Guid userId, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ViewUsers);
        return ChangeStatusAsync(caller, userId, UserStatus.Active, cancellationToken);
    }

    /// <summary>Locks the user's row, changes the status if it differs (with its audit record and notification) and returns the user.</summary>
    private async Task<ThinkTankUser> ChangeStatusAsync(RadiantCaller caller, Guid userId, UserStatus status, CancellationToken cancellationToken)
    {
        var user = await _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var current = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                    _lockSql, new { caller.TenantId, UserId = userId }, transaction, cancellationToken: cancellationToken));
                if (current is null)
                {
                    return null;
                }

                if (DbEnum.Parse<UserStatus>(current) != status)
                {
                    var now = await _db.NowAsync(connection, transaction, cancellationToken);
                    await connection.ExecuteAsync(new CommandDefinition(
                        _changeSql,
                        new
                        {
                            caller.TenantId,
                            UserId = userId,
                            Status = DbEnum.Name(status),
                            Now = now,
                            Actor = caller.UserId,
                            EventId = Guid.CreateVersion7(),
                            Channel = _channel,
                            Payload = PostgresTenantDirectory.Payload(caller.TenantId, userId),
                        },
                        transaction,
                        cancellationToken: cancellationToken));
                }

                return await ReadAsync(connection, transaction, caller, userId, cancellationToken);
            },
            cancellationToken) ?? throw new RadiantNotFoundException("user", userId);

        // This instance at once; the others when the notification arrives.
        _directory.Forget(caller.TenantId, userId);
        return user;
    }

    private async Task<ThinkTankUser?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_getSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("TenantId", caller.TenantId));
        command.Parameters.Add(new NpgsqlParameter<Guid>("UserId", userId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    private static ThinkTankUser Map(NpgsqlDataReader reader)
    {
        var input = reader.GetInt64(7);
        var output = reader.GetInt64(8);
        var lastActive = reader.GetDateTime(10);
        return new ThinkTankUser(
            reader.GetGuid(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : DbEnum.Parse<SubscriptionTier>(reader.GetString(3)),
            DbEnum.Parse<UserStatus>(reader.GetString(4)),
            reader.GetInt64(5),
            reader.GetInt64(6),
            input,
            output,
            input + output,
            reader.GetDecimal(9),
            lastActive == NeverActive ? null : Utc(lastActive),
            Utc(reader.GetDateTime(11)),
            reader.IsDBNull(12) ? null : Utc(reader.GetDateTime(12)),
            reader.IsDBNull(13) ? null : reader.GetGuid(13));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static void AddFilters(NpgsqlCommand command, RadiantCaller caller, ThinkTankUserQuery query)
    {
        command.Parameters.Add(new NpgsqlParameter<Guid>("TenantId", caller.TenantId));
        if (!string.IsNullOrEmpty(query.Search))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("Search", query.Search));
        }

        if (query.Status is { } status)
        {
            command.Parameters.Add(new NpgsqlParameter<string>("Status", DbEnum.Name(status)));
        }

        if (query.Tier is { } tier)
        {
            command.Parameters.Add(new NpgsqlParameter<string>("Tier", DbEnum.Name(tier)));
        }

        if (query.ActiveSince is { } since)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("ActiveSince", since.ToUniversalTime()));
        }
    }

    /// <summary>The cursor's name: a cursor belongs to one sort and direction.</summary>
    private static string ListName(ThinkTankUserQuery query) =>
        $"thinktank-users:{DbEnum.Name(query.Sort)}:{DbEnum.Name(query.EffectiveDirection)}";

    private static (string Key, string Id) SortColumns(ThinkTankUserSort sort) => sort switch
    {
        ThinkTankUserSort.Email => ("u.email_key", "u.user_id"),
        ThinkTankUserSort.Name => ("u.name_key", "u.user_id"),
        ThinkTankUserSort.Created => ("u.created_at", "u.user_id"),
        ThinkTankUserSort.LastActive => ("t.last_active_at", "t.user_id"),
        ThinkTankUserSort.Spend => ("t.spend", "t.user_id"),
        _ => throw new ArgumentOutOfRangeException(nameof(sort)),
    };

    private static NpgsqlParameter AfterKey(ThinkTankUserSort sort, System.Text.Json.JsonElement key)
    {
        try
        {
            return sort switch
            {
                ThinkTankUserSort.Email or ThinkTankUserSort.Name => new NpgsqlParameter<string>("AfterKey", key.GetString()!),
                ThinkTankUserSort.Created or ThinkTankUserSort.LastActive => new NpgsqlParameter<DateTimeOffset>("AfterKey", key.GetDateTimeOffset().ToUniversalTime()),
                _ => new NpgsqlParameter<decimal>("AfterKey", key.GetDecimal()),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new RadiantValidationException("cursor", "'cursor' is not a cursor of this list: pass the nextCursor of the previous page.");
        }
    }

    private string SqlFor(ThinkTankUserQuery query, bool hasCursor, bool limited)
    {
        var shape = new Shape(
            query.Sort, query.EffectiveDirection, !string.IsNullOrEmpty(query.Search), query.Status is not null, query.Tier is not null,
            query.ActiveSince is not null, hasCursor, limited);
        return _listSql.GetOrAdd(shape, Build);
    }

    private string Build(Shape shape)
    {
        var (key, id) = SortColumns(shape.Sort);
        var order = shape.Direction == SortDirection.Ascending ? "ASC" : "DESC";
        var sql = new StringBuilder()
            .Append("SELECT ").Append(Columns).Append(", ").Append(key).Append(" AS sort_key\n")
            .Append("FROM {schema}.users u JOIN {schema}.user_usage_totals t ON t.tenant_id = u.tenant_id AND t.user_id = u.user_id\n")
            .Append("WHERE u.tenant_id = @TenantId AND t.tenant_id = @TenantId\n");
        if (shape.Search)
        {
            // A prefix of the lower-cased keys, LIKE's wildcards escaped: a range scan of a "C"-collated index.
            sql.Append(
                """
                  AND (u.email_key LIKE (replace(replace(replace(lower(@Search), '\', '\\'), '%', '\%'), '_', '\_') || '%')
                       OR u.name_key LIKE (replace(replace(replace(lower(@Search), '\', '\\'), '%', '\%'), '_', '\_') || '%'))

                """);
        }

        if (shape.Status)
        {
            sql.Append("  AND u.status = @Status\n");
        }

        if (shape.Tier)
        {
            sql.Append("  AND u.subscription_tier = @Tier\n");
        }

        if (shape.ActiveSince)
        {
            sql.Append("  AND t.last_active_at >= @ActiveSince\n");
        }

        if (shape.Cursor)
        {
            sql.Append("  AND (").Append(key).Append(", ").Append(id).Append(shape.Direction == SortDirection.Ascending ? ") > " : ") < ").Append("(@AfterKey, @AfterId)\n");
        }

        sql.Append("ORDER BY ").Append(key).Append(' ').Append(order).Append(", ").Append(id).Append(' ').Append(order).Append('\n');
        if (shape.Limited)
        {
            sql.Append("LIMIT @Take\n");
        }

        return _db.Sql(sql.ToString());
    }

    private readonly record struct Shape(
        ThinkTankUserSort Sort, SortDirection Direction, bool Search, bool Status, bool Tier, bool ActiveSince, bool Cursor, bool Limited);
}
