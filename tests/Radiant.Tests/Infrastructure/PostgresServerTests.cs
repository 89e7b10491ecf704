using Npgsql;

namespace Radiant.Tests.Infrastructure;

public sealed class PostgresServerTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_fresh_database_can_be_created_and_queried()
    {
        var connectionString = await server.CreateDatabaseAsync("fixture_smoke", Ct);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT version(), current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));

        Assert.Contains("PostgreSQL", reader.GetString(0), StringComparison.Ordinal);
        Assert.Equal(new NpgsqlConnectionStringBuilder(connectionString).Database, reader.GetString(1));
        Assert.StartsWith("radiant_fixture_smoke_", reader.GetString(1), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(server.Description));
    }

    [Fact]
    public async Task Two_created_databases_are_distinct()
    {
        var first = await server.CreateDatabaseAsync("fixture_pair", Ct);
        var second = await server.CreateDatabaseAsync("fixture_pair", Ct);
        Assert.NotEqual(new NpgsqlConnectionStringBuilder(first).Database, new NpgsqlConnectionStringBuilder(second).Database);

        await using (var connection = new NpgsqlConnection(first))
        {
            await connection.OpenAsync(Ct);
            await using var create = new NpgsqlCommand("CREATE TABLE only_in_first (id int)", connection);
            await create.ExecuteNonQueryAsync(Ct);
        }

        await using (var connection = new NpgsqlConnection(second))
        {
            await connection.OpenAsync(Ct);
            await using var lookup = new NpgsqlCommand("SELECT to_regclass('only_in_first') IS NULL", connection);
            Assert.Equal(true, await lookup.ExecuteScalarAsync(Ct));
        }
    }

    [Fact]
    public async Task Database_names_are_sanitized_and_fit_in_an_identifier()
    {
        var connectionString = await server.CreateDatabaseAsync("Weird Prefix-ÄÖ!" + new string('x', 80), Ct);
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;

        Assert.Matches("^radiant_[a-z0-9_]+_[0-9a-f]{8}$", name);
        Assert.True(name.Length <= 63, name);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);
        Assert.Equal(name, await command.ExecuteScalarAsync(Ct));
    }
}
