using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Pricing;

namespace Radiant.Benchmarks;

/// <summary>
/// Rebuilding the snapshot of 100 tenants × 1,000 models with 10 overrides per tenant (plus pending rises and tenant
/// base prices): in memory through <see cref="PricingSnapshotBuilder"/>, and the whole reload of the Postgres engine
/// (query + build) that every instance runs after a change.
/// </summary>
[MemoryDiagnoser]
public class SnapshotBuildBenchmarks
{
    private PricingDataset _dataset = null!;
    private BenchmarkDatabase? _database;
    private IPricingEngine? _engine;

    /// <summary>
    /// False: realistic tenants (about 60 % on the defaults, the rest on a few common markups), so tenants share rows of
    /// entries. True: every tenant has its own markups (the worst case: 100 × 1,000 entries).
    /// </summary>
    [Params(false, true)]
    public bool DistinctMarkups { get; set; }

    /// <summary>In-memory setup.</summary>
    [GlobalSetup(Target = nameof(BuildInMemory))]
    public void Setup()
    {
        _dataset = PricingDataset.Create(distinctMarkups: DistinctMarkups);
        var snapshot = BuildInMemory();
        Verification.QuotesAgree(_dataset, snapshot, _dataset.BuildStraightforward(), _dataset.Requests(4096));
    }

    /// <summary>Database setup: the same data in a local PostgreSQL.</summary>
    [GlobalSetup(Target = nameof(ReloadFromDatabase))]
    public async Task SetupDatabaseAsync()
    {
        Setup();
        _database = await BenchmarkDatabase.StartAsync(CancellationToken.None);
        var services = await _database.StartInstanceAsync(CancellationToken.None);
        await _database.SeedAsync(_dataset, CancellationToken.None);
        _engine = services.GetRequiredService<IPricingEngine>();
        Verification.SnapshotsAgree(BuildInMemory(), await ReloadFromDatabase(), _dataset.Requests(1024));
    }

    /// <summary>Stops the database, if any.</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    /// <summary>Fill a builder from rows already in memory and build the snapshot.</summary>
    [Benchmark(Baseline = true)]
    public PricingSnapshot BuildInMemory() => _dataset.Fill(new PricingSnapshotBuilder()).Build();

    /// <summary>What an instance does on a change notification: <see cref="IPricingEngine.RefreshAsync"/> (read every row, build, swap).</summary>
    [Benchmark]
    public Task<PricingSnapshot> ReloadFromDatabase() => _engine!.RefreshAsync();
}
