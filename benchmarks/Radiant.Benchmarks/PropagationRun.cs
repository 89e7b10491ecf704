using Microsoft.Extensions.Hosting;
using Radiant.Tenancy;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Pricing;
using Radiant.Postgres.Pricing;
using Radiant.Registry;

namespace Radiant.Benchmarks;

/// <summary>
/// How long a pricing change takes to reach another host instance. Two service providers ("instances", each with its
/// own connection pool and LISTEN connection) run on one local PostgreSQL database holding the realistic data set
/// (by default 100 tenants × 1,000 models). Each round sets an override through <see cref="IPricingAdminService"/> on
/// instance 1 and polls both instances' <see cref="IPricingEngine.Quote"/> until they reflect it. The engines reload
/// only the changed tenant; a second series of rounds with per-tenant reloads off (every notification a full reload,
/// as before) is the baseline, and the full and per-tenant reload times and the snapshot's memory are measured alone.
/// </summary>
/// <remarks>
/// Usage: <c>propagation [rounds] [--tenants N] [--models M] [--baseline-rounds R] [--spin]</c>. By default the poller
/// checks, then sleeps ~1 ms: a busy poller would take a whole core from the instances and PostgreSQL, which do the work
/// being measured (on a 2-core machine that distorts the result). <c>--spin</c> polls with <see cref="SpinWait"/>
/// instead (never sleeping).
/// </remarks>
internal static class PropagationRun
{
    private const int WarmupRounds = 3;
    private const int ReloadSamples = 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var spin = args.Contains("--spin");
        var options = new Dictionary<string, int>(StringComparer.Ordinal);
        var positional = new List<int>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--spin")
            {
                continue;
            }

            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                options[args[i]] = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else
            {
                positional.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
            }
        }

        var rounds = positional.FirstOrDefault(50);
        var tenants = options.GetValueOrDefault("--tenants", 100);
        var models = options.GetValueOrDefault("--models", 1000);
        var baselineRounds = options.GetValueOrDefault("--baseline-rounds", tenants > 1000 ? 10 : rounds);
        var ct = CancellationToken.None;
        Console.WriteLine($"Data set: {tenants} tenants × {models} models...");
        var dataset = PricingDataset.Create(tenantCount: tenants, modelCount: models);

        Console.WriteLine("Starting a throwaway PostgreSQL cluster...");
        var database = await BenchmarkDatabase.StartAsync(ct);
        try
        {
            await RunAsync(database, dataset, rounds, baselineRounds, spin, ct);
        }
        finally
        {
            await database.DisposeAsync();
        }

        Console.WriteLine("Instances stopped; PostgreSQL cluster stopped and deleted.");
        return 0;
    }

    private static async Task RunAsync(BenchmarkDatabase database, PricingDataset dataset, int rounds, int baselineRounds, bool spin, CancellationToken ct)
    {
        var instance1 = await database.StartInstanceAsync(ct);
        var seeding = Stopwatch.StartNew();
        await database.SeedAsync(dataset, ct);
        Console.WriteLine($"Seeded in {seeding.Elapsed.TotalSeconds:F1} s.");
        var instance2 = await database.StartInstanceAsync(ct);
        var engine1 = instance1.GetRequiredService<PostgresPricingEngine>();
        var engine2 = instance2.GetRequiredService<PostgresPricingEngine>();
        var admin = instance1.GetRequiredService<IPricingAdminService>();
        await engine1.RefreshAsync(ct);
        var tenantCount = engine2.Current.TenantCount;
        Console.WriteLine($"Two instances up; snapshot of {tenantCount} tenants × {engine2.Current.ModelCount} models.");

        // Reload cost alone, for context: what each instance does per notification (first reloads of the process).
        var samples = tenantCount > 1000 ? 5 : ReloadSamples;
        var coldReloads = await TimeReloadsAsync(engine2, samples, ct);

        // A tenant with a custom config and a built-in model it has not overridden. Grace 0, so every change (rise or
        // reduction) takes effect at once and the engine must show it as soon as it has reloaded.
        var tenant = dataset.Tenants.First(t => t.HasConfigRow).Id;
        var overridden = dataset.Overrides.Where(o => o.Tenant == tenant).Select(o => o.Override.ModelId).ToHashSet(StringComparer.Ordinal);
        var model = BuiltInCatalog.Catalog.Models.First(m => !overridden.Contains(m.Id) && !m.IsSelfHosted).Id;
        await admin.UpdateConfigAsync(RadiantCaller.ForTenantAdmin(tenant, Guid.Empty), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 0 }, ct);

        var markup = 0.1000m;
        var perTenant = await RoundsAsync(rounds, "per-tenant reloads");
        var tenantReloads = await TimeTenantReloadsAsync(engine2, tenant, ReloadSamples, ct);

        // The baseline, in the same run: every notification a full reload, as before.
        engine1.PerTenantReloads = engine2.PerTenantReloads = false;
        var baseline = await RoundsAsync(baselineRounds, "full reloads (baseline)");
        engine1.PerTenantReloads = engine2.PerTenantReloads = true;

        var warmReloads = await TimeReloadsAsync(engine2, samples, ct);
        // Memory with both instances' hosted services stopped: a periodic or pushed reload swapping a snapshot during a
        // sample would free or add a whole snapshot between the two readings.
        foreach (var hosted in instance1.GetServices<IHostedService>().Concat(instance2.GetServices<IHostedService>()).Reverse())
        {
            await hosted.StopAsync(ct);
        }

        var (fullBytes, tenantBytes) = await MeasureMemoryAsync(instance2.GetRequiredService<PricingSnapshotLoader>(), tenant, ct);

        Console.WriteLine();
        Console.WriteLine($"Propagation, {tenantCount} tenants × {engine2.Current.ModelCount} models, poller {(spin ? "spinning (SpinWait, never sleeps)" : "sleeping ~1 ms between checks")}, {WarmupRounds} warm-up rounds per series, milliseconds:");
        Console.WriteLine();
        Console.WriteLine("| Measure | n | Min | Median | P95 | Max |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        perTenant.Print("per-tenant reload");
        baseline.Print("full reload (baseline)");
        Row($"Full snapshot reload (RefreshAsync), first {samples} of the process", coldReloads);
        Row($"Full snapshot reload (RefreshAsync), {samples} after the rounds", warmReloads);
        Row("Per-tenant reload of one tenant (query + apply to the snapshot)", tenantReloads);
        Console.WriteLine();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Snapshot memory: {fullBytes / 1024.0 / 1024.0:F1} MiB for a full load = {fullBytes / (double)tenantCount:F0} bytes per tenant (heap growth after full collections when one more loaded snapshot is held, median of 3); a per-tenant reload of one tenant allocates {tenantBytes / 1024.0:F1} KiB (median of 3) (the copied tenant table and change instants, the tenant's state)."));
        Console.WriteLine();

        async Task<Series> RoundsAsync(int count, string label)
        {
            Console.WriteLine($"{count} rounds with {label}...");
            var series = new Series();
            for (var round = 0; round < WarmupRounds + count; round++)
            {
                markup += 0.0100m;
                if (markup > 2m)
                {
                    markup = 0.1000m;
                }

                var sw = Stopwatch.StartNew();
                await admin.SetOverrideAsync(RadiantCaller.ForTenantAdmin(tenant, Guid.Empty), model, new PriceOverrideInput(Markup: markup), ct);
                var commit = sw.Elapsed;
                TimeSpan? seen1 = null;
                TimeSpan? seen2 = null;
                var spinner = default(SpinWait);
                while (seen1 is null || seen2 is null)
                {
                    if (seen1 is null && engine1.Quote(tenant, model, 1_000, 1_000).EffectiveMarkup == markup)
                    {
                        seen1 = sw.Elapsed;
                    }

                    if (seen2 is null && engine2.Quote(tenant, model, 1_000, 1_000).EffectiveMarkup == markup)
                    {
                        seen2 = sw.Elapsed;
                    }

                    if (sw.Elapsed > Timeout)
                    {
                        throw new TimeoutException($"Round {round}: markup {markup} not visible after {Timeout.TotalSeconds} s (instance 1: {seen1 is not null}, instance 2: {seen2 is not null}).");
                    }

                    if (spin)
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                    else
                    {
                        Thread.Sleep(1);
                    }
                }

                if (round >= WarmupRounds)
                {
                    series.Committed.Add(commit);
                    series.Visible1.Add(seen1.Value);
                    series.Visible2.Add(seen2.Value);
                    series.AfterCommit2.Add(seen2.Value - commit);
                }
            }

            return series;
        }
    }

    // Memory a full snapshot holds, with the instances' engines stopped: the growth of the heap (after full collections)
    // when one more loaded snapshot is kept, while the earlier ones stay held, median of three. (A reading taken before
    // a load and after it measured ~0 or less from the second sample on: the previous sample's snapshot was still
    // reachable when the "before" was read.) And what a per-tenant reload allocates: process-wide allocated bytes
    // around it, median of three (the copied tenant table and change instants, the tenant's state).
    private static async Task<(long Full, long Tenant)> MeasureMemoryAsync(PricingSnapshotLoader loader, Guid tenant, CancellationToken ct)
    {
        var held = new List<PricingSnapshot> { await loader.LoadAsync(ct) };
        var full = new List<long>();
        var perTenant = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            held.Add(await loader.LoadAsync(ct));
            full.Add(GC.GetTotalMemory(forceFullCollection: true) - before);

            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var derived = await loader.LoadTenantsAsync(held[^1], [tenant], ct);
            perTenant.Add(GC.GetTotalAllocatedBytes(precise: true) - allocated);
            GC.KeepAlive(derived);
        }

        Console.WriteLine($"Memory samples (bytes): full snapshot {string.Join(", ", full)}; per-tenant reload allocations {string.Join(", ", perTenant)}.");
        GC.KeepAlive(held);
        return (full.Order().ElementAt(1), perTenant.Order().ElementAt(1));
    }

    private static async Task<List<TimeSpan>> TimeTenantReloadsAsync(PostgresPricingEngine engine, Guid tenant, int count, CancellationToken ct)
    {
        var reloads = new List<TimeSpan>();
        for (var i = 0; i < count; i++)
        {
            var sw = Stopwatch.StartNew();
            await engine.RefreshTenantsAsync([tenant], ct);
            reloads.Add(sw.Elapsed);
        }

        return reloads;
    }

    private static async Task<List<TimeSpan>> TimeReloadsAsync(PostgresPricingEngine engine, int count, CancellationToken ct)
    {
        var reloads = new List<TimeSpan>();
        for (var i = 0; i < count; i++)
        {
            var sw = Stopwatch.StartNew();
            await engine.RefreshAsync(ct);
            reloads.Add(sw.Elapsed);
        }

        return reloads;
    }

    private static void Row(string name, List<TimeSpan> values)
    {
        var sorted = values.Select(v => v.TotalMilliseconds).Order().ToArray();
        var p95 = sorted[Math.Max(0, (int)Math.Ceiling(0.95 * sorted.Length) - 1)];
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {sorted.Length} | {sorted[0]:F1} | {median:F1} | {p95:F1} | {sorted[^1]:F1} |"));
    }

    private sealed class Series
    {
        public List<TimeSpan> Committed { get; } = [];

        public List<TimeSpan> Visible1 { get; } = [];

        public List<TimeSpan> Visible2 { get; } = [];

        public List<TimeSpan> AfterCommit2 { get; } = [];

        public void Print(string mode)
        {
            Row($"{mode}: SetOverrideAsync on instance 1 (call → committed)", Committed);
            Row($"**{mode}: instance 2 quotes the new price (call start → visible)**", Visible2);
            Row($"{mode}: instance 2, after the commit returned", AfterCommit2);
            Row($"{mode}: instance 1 (the writer's own engine, call start → visible)", Visible1);
        }
    }
}
