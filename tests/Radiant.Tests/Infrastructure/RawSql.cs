using Npgsql;
using Radiant.Postgres.Tenancy;

namespace Radiant.Tests.Infrastructure;

/// <summary>
/// Raw SQL as the application role, in a context entered by hand (signed with the connection's session key, as the
/// data kernel does): proves row-level security holds without any help from the services.
/// </summary>
public static class RawSql
{
    public static async Task<NpgsqlTransaction> BeginAsAppAsync(NpgsqlConnection connection, Guid? tenantId, Guid? userId, string scope = "")
    {
        var ct = TestContext.Current.CancellationToken;
        await SessionKeys.EnsureRegisteredAsync(connection, "radiant", ct);
        var transaction = await connection.BeginTransactionAsync(ct);
        var claim = SessionKeys.Claim(tenantId, userId, scope);
        await using var command = new NpgsqlCommand("SET LOCAL ROLE radiant_app; SELECT radiant.enter_context(@claim, @signature)", connection, transaction);
        command.Parameters.AddWithValue("claim", claim);
        command.Parameters.AddWithValue("signature", SessionKeys.Sign(connection.ProcessID, claim));
        await command.ExecuteNonQueryAsync(ct);
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
