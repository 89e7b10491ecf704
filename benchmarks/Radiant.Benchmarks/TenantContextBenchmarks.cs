using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Personas;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Benchmarks;

/// <summary>
/// What the signed tenant context (migration 0006) costs a request transaction, next to the plain settings it
/// replaced. Both read the same 50 personas of one user, through the production service login, in a transaction that
/// switches to radiant_app, enters the context and commits: the baseline sets <c>radiant.tenant_id</c> /
/// <c>radiant.user_id</c> with <c>set_config</c> on a copy of the personas table under the old policy (reading the
/// settings directly); the signed variant is the data kernel's own <c>RadiantDb.InTenantAsync</c> on the real table,
/// whose policy verifies the context's MAC once per statement. <see cref="Statements"/> is the number of SELECTs in
/// the transaction, to show the per-statement share.
/// </summary>
[MemoryDiagnoser]
public class TenantContextBenchmarks
{
    private const string ListSql = "SELECT id, persona_name, usage_count FROM radiant.{table} ORDER BY usage_count DESC, id LIMIT 50";

    private BenchmarkDatabase _database = null!;
    private ServiceProvider _services = null!;
    private RadiantDb _kernel = null!;
    private NpgsqlDataSource _legacy = null!;
    private RadiantCaller _caller;
    private string _signedSql = "";
    private string _legacySql = "";

    /// <summary>SELECTs per transaction.</summary>
    [Params(1, 5)]
    public int Statements { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _database = await BenchmarkDatabase.StartAsync(CancellationToken.None);
        _services = await _database.StartInstanceAsync(CancellationToken.None, radiant => radiant.AddPersonas());
        _kernel = _services.GetRequiredService<RadiantDb>();
        _caller = RadiantCaller.ForUser(Guid.NewGuid(), Guid.NewGuid());
        await _services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(_caller), CancellationToken.None);
        var personas = _services.GetRequiredService<IPersonaService>();
        for (var i = 0; i < 60; i++)
        {
            await personas.CreateAsync(_caller, new PersonaCreate($"Persona {i}", "You are helpful."), CancellationToken.None);
        }

        // The same rows under the policy every table had before migration 0006.
        await using (var owner = new NpgsqlConnection(_database.ConnectionString))
        {
            await owner.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                CREATE TABLE radiant.legacy_personas (LIKE radiant.user_personas INCLUDING ALL);
                INSERT INTO radiant.legacy_personas SELECT * FROM radiant.user_personas;
                ALTER TABLE radiant.legacy_personas ENABLE ROW LEVEL SECURITY;
                ALTER TABLE radiant.legacy_personas FORCE ROW LEVEL SECURITY;
                CREATE POLICY persona_read ON radiant.legacy_personas FOR SELECT
                    USING (tenant_id = NULLIF(current_setting('radiant.tenant_id', true), '')::uuid
                           AND (user_id = NULLIF(current_setting('radiant.user_id', true), '')::uuid OR is_public));
                GRANT SELECT ON radiant.legacy_personas TO radiant_app;
                """,
                owner);
            await command.ExecuteNonQueryAsync();
        }

        _signedSql = string.Join(";\n", Enumerable.Repeat(ListSql.Replace("{table}", "user_personas", StringComparison.Ordinal), Statements));
        _legacySql = string.Join(";\n", Enumerable.Repeat(ListSql.Replace("{table}", "legacy_personas", StringComparison.Ordinal), Statements));
        _legacy = NpgsqlDataSource.Create(_database.ServiceConnectionString);

        if (await LegacySettingsAsync() != 50 * Statements || await SignedContextAsync() != 50 * Statements)
        {
            throw new InvalidOperationException("Both variants must read the user's 50 most used personas per statement.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _legacy.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>Baseline: <c>SET LOCAL ROLE</c> and <c>set_config</c> of the tenant and user, the reads, the commit.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> LegacySettingsAsync()
    {
        await using var connection = await _legacy.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var enter = new NpgsqlCommand(
            "SET LOCAL ROLE radiant_app; SELECT set_config('radiant.tenant_id', @tenant, true), set_config('radiant.user_id', @user, true)",
            connection,
            transaction))
        {
            enter.Parameters.AddWithValue("tenant", _caller.TenantId.ToString());
            enter.Parameters.AddWithValue("user", _caller.UserId.ToString());
            await enter.ExecuteNonQueryAsync();
        }

        var rows = await ReadAsync(connection, transaction, _legacySql);
        await transaction.CommitAsync();
        return rows;
    }

    /// <summary>The data kernel: <c>SET LOCAL ROLE</c>, <c>enter_context</c> with the host's HMAC, the verified reads, the commit.</summary>
    [Benchmark]
    public Task<int> SignedContextAsync() =>
        _kernel.InTenantAsync(_caller, (connection, transaction) => ReadAsync(connection, transaction, _signedSql), CancellationToken.None);

    private static async Task<int> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        do
        {
            while (await reader.ReadAsync())
            {
                rows++;
            }
        }
        while (await reader.NextResultAsync());

        return rows;
    }
}
