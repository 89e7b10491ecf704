using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Pricing;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Pricing;

/// <summary>
/// A change notification naming tenants reloads only those tenants, applied to the current snapshot (every other tenant's
/// pricing is shared with it, by reference); a '*' or more than <see cref="PostgresPricingEngine.MaxTenantReload"/>
/// tenants reload everything. A per-tenant reload quotes exactly like a full rebuild.
/// </summary>
public sealed class PerTenantReloadTests(PerTenantReloadTests.Database fixture, PostgresServer server) : IClassFixture<PerTenantReloadTests.Database>
{
    private const string Model = "gpt-4o";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PricingDatabase db => fixture.Db;

    private string Reloads => "Engine log:\n" + string.Join("\n", fixture.Log.TakeLast(20));

    private PricingSnapshotLoader Loader => db.Services.GetRequiredService<PricingSnapshotLoader>();

    private string Channel => db.Services.GetRequiredService<PricingSql>().Channel;

    [Fact]
    public async Task A_per_tenant_reload_quotes_exactly_like_a_full_rebuild()
    {
        var changed = await db.NewTenantAsync();
        var unchanged = await db.NewTenantAsync();
        var second = BuiltInCatalog.Catalog.Models.First(m => m.Id != Model && !m.IsSelfHosted).Id;
        await db.Pricing.SetOverrideAsync(Admin(unchanged), Model, new PriceOverrideInput(Markup: 0.33m), Ct);
        var before = await db.Engine.RefreshAsync(Ct);

        // The changed tenant: new markups and minimum, an override starting (and ending) later, a price override now.
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.AddHours(2).UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var end = start.AddDays(1);
        await db.Pricing.UpdateConfigAsync(Admin(changed), new PricingConfigUpdate { ExternalDefaultMarkup = 0.55m, MinimumChargePerRequest = 0.002m }, Ct);
        await db.Pricing.SetOverrideAsync(Admin(changed), Model, new PriceOverrideInput(Markup: 0.12m, EffectiveFrom: start, EffectiveTo: end), Ct);
        await db.Pricing.SetOverrideAsync(Admin(changed), second, new PriceOverrideInput(InputPricePer1M: 1.25m, OutputPricePer1M: 2.5m), Ct);

        var partial = await Loader.LoadTenantsAsync(before, [changed], Ct);
        var full = await Loader.LoadAsync(Ct);

        Assert.NotNull(partial);
        Assert.True(partial.Version > before.Version);
        Assert.Equal(full.TenantCount, partial.TenantCount);
        Assert.Same(before.TenantOf(unchanged), partial.TenantOf(unchanged));
        Assert.NotEqual(before.Quote(changed, Model, 1_000_000, 0, start), partial.Quote(changed, Model, 1_000_000, 0, start));

        DateTimeOffset[] instants = [DateTimeOffset.UtcNow, start.AddTicks(-1), start, start.AddHours(1), end.AddTicks(-1), end, end.AddDays(1)];
        foreach (var tenant in new[] { changed, unchanged })
        {
            foreach (var model in BuiltInCatalog.Catalog.Models.Select(m => m.Id))
            {
                foreach (var at in instants)
                {
                    foreach (var (input, output) in new[] { (0, 0), (1, 0), (1_000, 2_000), (1_000_000, 1_000_000) })
                    {
                        Assert.Equal(full.TryQuote(tenant, model, input, output, at, out var expected), partial.TryQuote(tenant, model, input, output, at, out var actual));
                        Assert.Equal(expected, actual);
                    }
                }
            }
        }

        // The override's start is still a change instant the engine knows of (so it reads the precise clock near it).
        Assert.Equal(full.NextChangeAfter(DateTimeOffset.UtcNow.UtcTicks), partial.NextChangeAfter(DateTimeOffset.UtcNow.UtcTicks));
    }

    [Fact]
    public async Task The_engine_reloads_only_the_changed_tenant_on_its_notification()
    {
        var changed = await db.NewTenantAsync();
        var unchanged = await SilentTenantAsync();
        var before = await db.Engine.RefreshAsync(Ct);

        await db.Pricing.UpdateConfigAsync(Admin(changed), new PricingConfigUpdate { MinimumChargePerRequest = 0.03m }, Ct);

        var after = await Eventually.SnapshotAsync(db.Engine, s => s.TryQuote(changed, Model, 1, 0, DateTimeOffset.UtcNow, out var q) && q.Charge == 0.03m);
        Assert.True(ReferenceEquals(before.TenantOf(unchanged), after.TenantOf(unchanged)), Reloads);
        Assert.Equal(before.TenantCount, after.TenantCount);
        Assert.Contains(fixture.Log, line => line.Contains($"Pricing snapshot {after.Version}: reloaded 1 changed tenants", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tenant_added_and_deleted_is_reloaded_alone()
    {
        var other = await SilentTenantAsync();
        var before = await db.Engine.RefreshAsync(Ct);
        var tenant = Guid.NewGuid();

        await ExecuteAsync("INSERT INTO radiant.tenants (tenant_id, name) VALUES (@tenant, 'added')", tenant);
        await NotifyAsync(tenant.ToString());
        var added = await Eventually.SnapshotAsync(db.Engine, s => s.TryQuote(tenant, Model, 1, 0, DateTimeOffset.UtcNow, out _));
        Assert.Equal(before.TenantCount + 1, added.TenantCount);
        Assert.True(ReferenceEquals(before.TenantOf(other), added.TenantOf(other)), Reloads);
        Assert.Equal(0.001m, added.Quote(tenant, Model, 1, 0, DateTimeOffset.UtcNow).Charge);

        await ExecuteAsync("DELETE FROM radiant.tenants WHERE tenant_id = @tenant", tenant);
        await NotifyAsync(tenant.ToString());
        var deleted = await Eventually.SnapshotAsync(db.Engine, s => !s.TryQuote(tenant, Model, 1, 0, DateTimeOffset.UtcNow, out _));
        Assert.Equal(before.TenantCount, deleted.TenantCount);
        Assert.True(ReferenceEquals(before.TenantOf(other), deleted.TenantOf(other)), Reloads);

        // The same through the loader: a tenant the snapshot has and the database has not is removed.
        var ghost = Guid.NewGuid();
        var withGhost = deleted.WithTenant(ghost, null, [], [], deleted.Version);
        var reloaded = await Loader.LoadTenantsAsync(withGhost, [ghost], Ct);
        Assert.NotNull(reloaded);
        Assert.Null(reloaded.TenantOf(ghost));
        Assert.Equal(deleted.TenantCount, reloaded.TenantCount);
    }

    [Fact]
    public async Task A_global_change_reloads_every_tenant()
    {
        var tenant = await SilentTenantAsync();
        var before = await db.Engine.RefreshAsync(Ct);

        await NotifyAsync("*");

        // A full reload builds every tenant anew; a per-tenant one would share this tenant's state.
        var after = await Eventually.SnapshotAsync(db.Engine, s => !ReferenceEquals(s.TenantOf(tenant), before.TenantOf(tenant)));
        Assert.True(after.Version > before.Version);
        Assert.Equal(before.Quote(tenant, Model, 1_000, 1_000, DateTimeOffset.UtcNow), after.Quote(tenant, Model, 1_000, 1_000, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task More_tenants_than_the_limit_in_one_window_reload_everything()
    {
        var tenant = await SilentTenantAsync();
        var before = await db.Engine.RefreshAsync(Ct);

        await NotifyAsync([.. Enumerable.Range(0, PostgresPricingEngine.MaxTenantReload + 1).Select(_ => Guid.NewGuid().ToString())]);

        // A full reload builds every tenant anew; a per-tenant one would share this tenant's state.
        var after = await Eventually.SnapshotAsync(db.Engine, s => !ReferenceEquals(s.TenantOf(tenant), before.TenantOf(tenant)));
        Assert.True(after.Version > before.Version);
    }

    [Fact]
    public async Task A_reconnect_of_the_listener_reloads_everything_and_catches_up_on_missed_changes()
    {
        // A database of its own: the reconnect's full reload must not land in another test's per-tenant checks.
        await using var db = await PricingDatabase.CreateAsync(server, configure: Database.NoPeriodicReload);
        var tenant = await db.NewTenantAsync();
        var before = await db.Engine.RefreshAsync(Ct);

        // A change whose notification is missed (none is sent), then the listener's connection drops.
        await using (var connection = await db.OpenOwnerConnectionAsync())
        {
            await using var command = new NpgsqlCommand("INSERT INTO radiant.pricing_config (tenant_id, minimum_charge_per_request) VALUES (@tenant, 0.07)", connection);
            command.Parameters.AddWithValue("tenant", tenant);
            await command.ExecuteNonQueryAsync(Ct);
        }

        await using (var owner = await db.OpenOwnerConnectionAsync())
        {
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'", owner);
            Assert.True((long)(await kill.ExecuteScalarAsync(Ct))! > 0, "a listener was there to kill");
        }

        var after = await Eventually.SnapshotAsync(
            db.Engine, s => s.TryQuote(tenant, Model, 1, 0, DateTimeOffset.UtcNow, out var q) && q.Charge == 0.07m);
        Assert.True(after.Version > before.Version);
    }

    [Fact]
    public async Task A_burst_of_changes_for_many_tenants_coalesces_into_few_per_tenant_reloads()
    {
        const int Count = 40;
        var untouched = await SilentTenantAsync();
        var tenants = new List<Guid>();
        for (var i = 0; i < Count; i++)
        {
            tenants.Add((await db.NewUserAsync()).TenantId);
        }

        await Eventually.SnapshotAsync(db.Engine, s => tenants.All(t => s.TryQuote(t, Model, 1, 0, DateTimeOffset.UtcNow, out _)));
        var before = await db.Engine.RefreshAsync(Ct);

        // Each change is its own transaction and notification, sent back to back.
        await using (var connection = await db.OpenOwnerConnectionAsync())
        {
            foreach (var tenant in tenants)
            {
                await using var command = new NpgsqlCommand(
                    "INSERT INTO radiant.pricing_config (tenant_id, minimum_charge_per_request) VALUES (@tenant, 0.05); SELECT pg_notify(@channel, @tenant::text)",
                    connection);
                command.Parameters.AddWithValue("tenant", tenant);
                command.Parameters.AddWithValue("channel", Channel);
                await command.ExecuteNonQueryAsync(Ct);
            }
        }

        var after = await Eventually.SnapshotAsync(
            db.Engine, s => tenants.All(t => s.TryQuote(t, Model, 1, 0, DateTimeOffset.UtcNow, out var q) && q.Charge == 0.05m));
        var reloads = after.Version - before.Version;
        TestContext.Current.TestOutputHelper?.WriteLine($"{Count} changes → {reloads} reloads");
        Assert.True(reloads < Count / 2, $"{Count} changes took {reloads} reloads");
        Assert.True(ReferenceEquals(before.TenantOf(untouched), after.TenantOf(untouched)), Reloads);
    }

    [Fact]
    public async Task A_change_during_a_slow_periodic_reload_is_quoted_without_waiting_for_it_and_kept_by_it()
    {
        var log = new ConcurrentQueue<string>();
        await using var periodic = await PricingDatabase.CreateAsync(
            server,
            services => services.AddLogging(logging => logging.AddProvider(new CaptureLoggerProvider(log)).AddFilter<CaptureLoggerProvider>(
                (category, _) => category == typeof(PostgresPricingEngine).FullName)),
            options => options.PricingRefreshInterval = TimeSpan.FromSeconds(1));
        var tenant = await periodic.NewTenantAsync();
        await Eventually.SnapshotAsync(periodic.Engine, s => s.TryQuote(tenant, Model, 1, 0, DateTimeOffset.UtcNow, out _));

        // Hold the next periodic reload at its first statement: only a full load reads the catalogue.
        await using var blocker = await periodic.OpenOwnerConnectionAsync();
        await using var block = await blocker.BeginTransactionAsync(Ct);
        await using (var lockModels = new NpgsqlCommand("LOCK TABLE radiant.models IN ACCESS EXCLUSIVE MODE", blocker, block))
        {
            await lockModels.ExecuteNonQueryAsync(Ct);
        }

        Assert.True(await Eventually.TrueAsync(() => WaitingOnModelsAsync(periodic), TimeSpan.FromSeconds(10)), "no periodic reload started");

        await using (var connection = await periodic.OpenOwnerConnectionAsync())
        await using (var change = new NpgsqlCommand(
            "INSERT INTO radiant.pricing_config (tenant_id, minimum_charge_per_request) VALUES (@tenant, 0.07) " +
            "ON CONFLICT (tenant_id) DO UPDATE SET minimum_charge_per_request = 0.07; SELECT pg_notify(@channel, @tenant::text)",
            connection))
        {
            change.Parameters.AddWithValue("tenant", tenant);
            change.Parameters.AddWithValue("channel", periodic.Services.GetRequiredService<PricingSql>().Channel);
            await change.ExecuteNonQueryAsync(Ct);
        }

        // Quoted while the periodic reload still waits for the catalogue.
        await Eventually.SnapshotAsync(periodic.Engine, s => s.TryQuote(tenant, Model, 1, 0, DateTimeOffset.UtcNow, out var q) && q.Charge == 0.07m);
        Assert.True(await WaitingOnModelsAsync(periodic), "the periodic reload stopped waiting before the change was quoted");

        // Let it finish: it loads the tenant changed meanwhile again onto its snapshot, so the change survives the swap.
        await block.CommitAsync(Ct);
        Assert.True(
            await Eventually.TrueAsync(() => log.Any(l => l.Contains("loaded (periodic)", StringComparison.Ordinal) && l.Contains("1 tenants changed meanwhile", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)),
            "Engine log:\n" + string.Join("\n", log.TakeLast(20)));
        Assert.True(periodic.Engine.Current.TryQuote(tenant, Model, 1, 0, DateTimeOffset.UtcNow, out var after));
        Assert.Equal(0.07m, after.Charge);

        // And it is the safety net: a change nobody announced is priced by the next one.
        await using (var connection = await periodic.OpenOwnerConnectionAsync())
        await using (var silent = new NpgsqlCommand("UPDATE radiant.pricing_config SET minimum_charge_per_request = 0.09 WHERE tenant_id = @tenant", connection))
        {
            silent.Parameters.AddWithValue("tenant", tenant);
            await silent.ExecuteNonQueryAsync(Ct);
        }

        await Eventually.SnapshotAsync(periodic.Engine, s => s.TryQuote(tenant, Model, 1, 0, DateTimeOffset.UtcNow, out var q) && q.Charge == 0.09m);
    }

    private static async Task<bool> WaitingOnModelsAsync(PricingDatabase database)
    {
        await using var connection = await database.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE relation = 'radiant.models'::regclass AND NOT granted", connection);
        return (long)(await command.ExecuteScalarAsync(Ct))! > 0;
    }

    /// <summary>
    /// A tenant written without a notification and priced by a full reload: no per-tenant reload ever names it, so a
    /// snapshot sharing its state with an earlier one was not fully reloaded. (A tenant announced by a notification may be
    /// reloaded again by it after a refresh: the notification can arrive after the refresh started.)
    /// </summary>
    private async Task<Guid> SilentTenantAsync()
    {
        var tenant = Guid.NewGuid();
        await ExecuteAsync("INSERT INTO radiant.tenants (tenant_id, name) VALUES (@tenant, 'silent')", tenant);
        await db.Engine.RefreshAsync(Ct);
        return tenant;
    }

    private async Task ExecuteAsync(string sql, Guid tenant)
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("tenant", tenant);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task NotifyAsync(params string[] payloads)
    {
        // One transaction: every notification is delivered at once, after the commit.
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(pg_notify(@channel, p)) FROM unnest(@payloads) AS p", connection);
        command.Parameters.AddWithValue("channel", Channel);
        command.Parameters.AddWithValue("payloads", payloads);
        await command.ExecuteScalarAsync(Ct);
    }

    /// <summary>The class's database, with the periodic reload an hour away: every full reload in a test is one it caused.</summary>
    public sealed class Database(PostgresServer server) : IAsyncLifetime
    {
        private PricingDatabase? _db;

        public PricingDatabase Db => _db ?? throw new InvalidOperationException("Not initialized.");

        public static void NoPeriodicReload(RadiantPostgresOptions options) => options.PricingRefreshInterval = TimeSpan.FromHours(1);

        /// <summary>What the engine logged (Debug and up): which reloads ran, and why.</summary>
        public ConcurrentQueue<string> Log { get; } = new();

        public async ValueTask InitializeAsync() => _db = await PricingDatabase.CreateAsync(
            server,
            services => services.AddLogging(logging => logging.AddProvider(new CaptureLoggerProvider(Log)).AddFilter<CaptureLoggerProvider>(
                (category, _) => category == typeof(PostgresPricingEngine).FullName)),
            NoPeriodicReload);

        public async ValueTask DisposeAsync()
        {
            if (_db is not null)
            {
                await _db.DisposeAsync();
            }
        }
    }

    private sealed class CaptureLoggerProvider(ConcurrentQueue<string> log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> log) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                log.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {formatter(state, exception)}");
        }
    }
}
