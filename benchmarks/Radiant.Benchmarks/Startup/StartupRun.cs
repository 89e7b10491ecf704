using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Registry;

namespace Radiant.Benchmarks.Startup;

/// <summary>
/// How long a host takes to serve, and how long the catalogue sync that follows takes, with 1 tenant and with 10,000,
/// when the built-in catalogue's list prices differ from the stored ones (a package upgrade that moves prices: the sync
/// then writes every tenant). Each round moves two stored list prices away from the catalogue's, starts an instance
/// (migrations checked, isolation verified, pool checked, the pricing engine loaded: what it does before it serves),
/// then waits for its background sync. The baseline, in the same run, is the sync on its own — what start-up waited for
/// before the sync left the start-up path.
/// </summary>
/// <remarks>Usage: <c>startup [--tenants 1,10000] [--rounds 3]</c>.</remarks>
internal static class StartupRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var tenantCounts = Option(args, "--tenants", "1,10000").Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var rounds = int.Parse(Option(args, "--rounds", "3"), CultureInfo.InvariantCulture);
        var ct = CancellationToken.None;
        Console.WriteLine($"startup: tenants {string.Join(", ", tenantCounts)}; {rounds} rounds each; {Environment.ProcessorCount} cores");
        Console.WriteLine("| tenants | host serving after (ms) | background sync done after (ms) | sync alone, baseline (ms) | tenant price rows written per sync |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var tenants in tenantCounts)
        {
            await using var database = await BenchmarkDatabase.StartAsync(ct);
            await database.StartInstanceAsync(ct); // migrates and syncs (an empty database syncs before serving)
            await AddTenantsAsync(database, tenants, ct);
            var serving = new List<double>();
            var synced = new List<double>();
            var alone = new List<double>();
            long rows = 0;
            for (var round = 0; round < rounds; round++)
            {
                await MoveStoredPricesAsync(database, ct);
                var (serve, sync) = await StartAndSyncAsync(database, ct);
                serving.Add(serve);
                synced.Add(sync);

                // Baseline: the same sync, run by itself as start-up ran it before.
                await MoveStoredPricesAsync(database, ct);
                var before = await CountAsync(database, "SELECT count(*) FROM radiant.tenant_base_prices", ct);
                await using var instance = await BuildAsync(database, ct);
                var registry = instance.GetRequiredService<IModelRegistry>();
                var watch = Stopwatch.StartNew();
                await registry.SyncAsync(BuiltInCatalog.Catalog, ct);
                alone.Add(watch.Elapsed.TotalMilliseconds);
                rows = await CountAsync(database, "SELECT count(*) FROM radiant.tenant_base_prices", ct) - before;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {tenants:N0} | {Median(serving):F0} (rounds {string.Join(", ", serving.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}) | {Median(synced):F0} | {Median(alone):F0} | {rows:N0} |"));
        }

        return 0;
    }

    private static async Task<(double Serving, double Synced)> StartAndSyncAsync(BenchmarkDatabase database, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await using var instance = await BuildAsync(database, ct, start: true);
        var serving = watch.Elapsed.TotalMilliseconds;
        await instance.GetServices<IHostedService>().OfType<RadiantStartup>().Single().BackgroundSync;
        var synced = watch.Elapsed.TotalMilliseconds;
        foreach (var hosted in instance.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(ct);
        }

        return (serving, synced);
    }

    private static async Task<ServiceProvider> BuildAsync(BenchmarkDatabase database, CancellationToken ct, bool start = false)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        database.UsePostgres(services.AddRadiant(), o => o.SyncBuiltInCatalogOnStartup = start).AddPricing();
        var provider = services.BuildServiceProvider();
        if (start)
        {
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(ct);
            }
        }

        return provider;
    }

    /// <summary>Tenants with a pricing config each (what a tenant's first admin visit creates).</summary>
    private static async Task AddTenantsAsync(BenchmarkDatabase database, int count, CancellationToken ct)
    {
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO radiant.tenants (tenant_id, name) SELECT gen_random_uuid(), 'Tenant ' || i FROM generate_series(1, @count) i;
            INSERT INTO radiant.pricing_config (tenant_id) SELECT tenant_id FROM radiant.tenants ON CONFLICT DO NOTHING;
            """,
            connection);
        insert.Parameters.AddWithValue("count", count);
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Moves two stored list prices below the catalogue's and forgets every tenant's pinned price, so the next sync
    /// carries a rise to every tenant again (the same work each round).
    /// </summary>
    private static async Task MoveStoredPricesAsync(BenchmarkDatabase database, CancellationToken ct)
    {
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        await using var move = new NpgsqlCommand(
            """
            DELETE FROM radiant.tenant_base_prices;
            UPDATE radiant.models SET input_price = input_price / 2 WHERE id IN ('gpt-4o', 'claude-4-sonnet');
            """,
            connection);
        await move.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> CountAsync(BenchmarkDatabase database, string sql, CancellationToken ct)
    {
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        await using var count = new NpgsqlCommand(sql, connection);
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
