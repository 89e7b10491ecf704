using Npgsql;

namespace Radiant.Tests.Infrastructure;

/// <summary>
/// Raw SQL as the application role, with the tenant and user set (or not) by hand: proves row-level security holds
/// without any help from the services.
/// </summary>
public static class RawSql
{
    public static async Task<NpgsqlTransaction> BeginAsAppAsync(NpgsqlConnection connection, Guid? tenantId, Guid? userId)
    {
        var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(
            "SET LOCAL ROLE radiant_app; SELECT set_config('radiant.tenant_id', @t, true), set_config('radiant.user_id', @u, true)",
            connection,
            transaction);
        command.Parameters.AddWithValue("t", tenantId?.ToString() ?? "");
        command.Parameters.AddWithValue("u", userId?.ToString() ?? "");
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return transaction;
    }

    public static async Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
