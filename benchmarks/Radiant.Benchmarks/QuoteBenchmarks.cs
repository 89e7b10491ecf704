using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;

namespace Radiant.Benchmarks;

/// <summary>
/// One quote by model id on a realistic snapshot (100 tenants × 1,000 models, the 32 built-in models among them,
/// 10 overrides per tenant). Each invocation prices the next of 4,096 pre-generated requests (random tenant; 60 % on
/// the built-in models; fresh model-id strings), so lookups and cache behaviour are those of mixed traffic.
/// </summary>
[MemoryDiagnoser]
public class QuoteBenchmarks
{
    private const int RequestCount = 4096;
    private const int DatabaseChecks = 512;

    private PricingDataset _dataset = null!;
    private QuoteRequest[] _requests = null!;
    private PricingSnapshot _snapshot = null!;
    private StraightforwardPricing _straightforward = null!;
    private QuoteRequest _hot;
    private readonly QuoteClock _clock = new(TimeProvider.System);
    private int _next;

    private BenchmarkDatabase? _database;
    private ServiceProvider? _services;
    private IPricingEngine? _engine;
    private NpgsqlConnection? _connection;
    private NpgsqlBatch? _batch;

    /// <summary>In-memory setup: the snapshot, the baseline, and a check that both agree on every field of every quote.</summary>
    [GlobalSetup(Targets = [nameof(Straightforward), nameof(Engine), nameof(EngineCharge), nameof(EngineSameRequest), nameof(EngineClockNow), nameof(EngineQuoteClockNow)])]
    public void SetupInMemory()
    {
        _dataset = PricingDataset.Create();
        _requests = _dataset.Requests(RequestCount);
        _snapshot = _dataset.BuildSnapshot();
        _straightforward = _dataset.BuildStraightforward();
        var builtIn = Registry.BuiltInCatalog.Catalog.Models.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        _hot = _requests.First(r => builtIn.Contains(r.ModelId));
        Verification.QuotesAgree(_dataset, _snapshot, _straightforward, _requests);
    }

    /// <summary>Database setup: a local PostgreSQL migrated by Radiant's start-up, filled with the same data set.</summary>
    [GlobalSetup(Targets = [nameof(SeedStyleDatabaseQuery), nameof(EngineServiceAt), nameof(EngineServiceNow)])]
    public async Task SetupDatabaseAsync()
    {
        SetupInMemory();
        _database = await BenchmarkDatabase.StartAsync(CancellationToken.None);
        _services = await _database.StartInstanceAsync(CancellationToken.None);
        await _database.SeedAsync(_dataset, CancellationToken.None);
        _engine = _services.GetRequiredService<IPricingEngine>();
        var loaded = await _engine.RefreshAsync();
        Verification.SnapshotsAgree(_snapshot, loaded, _requests);

        _connection = await _database.OpenOwnerConnectionAsync(CancellationToken.None);
        await SessionKeys.EnsureRegisteredAsync(_connection, "\"radiant\"", CancellationToken.None);
        _batch = new NpgsqlBatch(_connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET LOCAL ROLE radiant_app"),
                new NpgsqlBatchCommand("SELECT radiant.enter_context($1, $2)")
                {
                    Parameters = { new() { NpgsqlDbType = NpgsqlDbType.Text }, new() { NpgsqlDbType = NpgsqlDbType.Bytea } },
                },
                new NpgsqlBatchCommand("SELECT * FROM radiant.quote_price($1, $2, $3, $4)")
                {
                    Parameters =
                    {
                        new() { NpgsqlDbType = NpgsqlDbType.Text },
                        new() { NpgsqlDbType = NpgsqlDbType.Integer },
                        new() { NpgsqlDbType = NpgsqlDbType.Integer },
                        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    },
                },
            },
        };
        await _batch.PrepareAsync();

        // The database's own quote agrees with the engine (and so with the reference) to the micro-dollar.
        for (var i = 0; i < DatabaseChecks; i++)
        {
            var r = _requests[i];
            Verification.Same(_snapshot.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At), QueryDatabase(r), $"database request {i} {r}");
        }
    }

    /// <summary>Stops the database, if any.</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_batch is not null)
        {
            await _batch.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    /// <summary>Baseline (a): dictionary lookups and decimal arithmetic per call.</summary>
    [Benchmark(Baseline = true)]
    public PriceQuote Straightforward()
    {
        var r = _requests[_next++ & (RequestCount - 1)];
        return _straightforward.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At);
    }

    /// <summary>The engine: <see cref="PricingSnapshot.Quote"/> by tenant and model id.</summary>
    [Benchmark]
    public PriceQuote Engine()
    {
        var r = _requests[_next++ & (RequestCount - 1)];
        return _snapshot.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At);
    }

    /// <summary><see cref="Engine"/> and the charge read from the quote, as a caller that bills the request does.</summary>
    [Benchmark]
    public long EngineCharge()
    {
        var r = _requests[_next++ & (RequestCount - 1)];
        return _snapshot.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At).ChargeMicros;
    }

    /// <summary>The engine on one request for a popular built-in model, repeated (everything in L1: the best case).</summary>
    [Benchmark]
    public PriceQuote EngineSameRequest() =>
        _snapshot.Quote(_hot.TenantId, _hot.ModelId, _hot.InputTokens, _hot.OutputTokens, PricingDataset.At);

    /// <summary>The engine quoting at the current time read from <see cref="TimeProvider.System"/> (the clock's share of <see cref="EngineServiceNow"/>).</summary>
    [Benchmark]
    public PriceQuote EngineClockNow()
    {
        var r = _requests[_next++ & (RequestCount - 1)];
        return _snapshot.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, TimeProvider.System.GetUtcNow());
    }

    /// <summary>
    /// The engine quoting "now" as <see cref="IPricingEngine.Quote"/> does: at the instant <see cref="QuoteClock"/> gives
    /// (a wall-clock read reused for up to a second, away from price changes).
    /// </summary>
    [Benchmark]
    public PriceQuote EngineQuoteClockNow()
    {
        var r = _requests[_next++ & (RequestCount - 1)];
        return _snapshot.QuoteAt(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, _clock.UtcTicksFor(_snapshot));
    }

    /// <summary>
    /// <see cref="IPricingEngine.Quote"/> at a given instant on the Postgres engine: the baseline of
    /// <see cref="EngineServiceNow"/>, so the difference is what quoting "now" costs.
    /// </summary>
    [Benchmark]
    public PriceQuote EngineServiceAt()
    {
        var r = _requests[_next++ & (RequestCount - 1)];
        return _engine!.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At);
    }

    /// <summary>
    /// What a host calls: <see cref="IPricingEngine.Quote"/> with no instant (so it reads the clock), on the snapshot
    /// the Postgres engine loaded from the same data.
    /// </summary>
    [Benchmark]
    public PriceQuote EngineServiceNow()
    {
        var r = _requests[_next++ & (RequestCount - 1)];
        return _engine!.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens);
    }

    /// <summary>
    /// Baseline (b), the seed's approach: a query per quote. One open connection and a prepared batch; per quote a
    /// transaction that switches to the application role, enters the tenant's signed context and calls <c>radiant.quote_price</c>
    /// (2 round trips: the batch, and the commit).
    /// </summary>
    [Benchmark]
    public PriceQuote SeedStyleDatabaseQuery() => QueryDatabase(_requests[_next++ & (RequestCount - 1)]);

    private PriceQuote QueryDatabase(QuoteRequest r)
    {
        var batch = _batch!;
        using var transaction = _connection!.BeginTransaction();
        batch.Transaction = transaction;
        var claim = SessionKeys.Claim(r.TenantId, null, "");
        batch.BatchCommands[1].Parameters[0].Value = claim;
        batch.BatchCommands[1].Parameters[1].Value = SessionKeys.Sign(_connection.ProcessID, claim);
        var query = batch.BatchCommands[2].Parameters;
        query[0].Value = r.ModelId;
        query[1].Value = r.InputTokens;
        query[2].Value = r.OutputTokens;
        query[3].Value = PricingDataset.At.UtcDateTime;
        PriceQuote? quote = null;
        using (var reader = batch.ExecuteReader())
        {
            do
            {
                if (reader.FieldCount == 6 && reader.Read())
                {
                    quote = new PriceQuote(
                        reader.GetDecimal(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetBoolean(5));
                }
            }
            while (reader.NextResult());
        }

        transaction.Commit();
        return quote ?? throw new PricingException($"No price for {r}.");
    }
}
