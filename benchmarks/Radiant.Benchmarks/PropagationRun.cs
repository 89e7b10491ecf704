using Radiant.Tenancy;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Pricing;
using Radiant.Registry;

namespace Radiant.Benchmarks;

/// <summary>
/// How long a pricing change takes to reach another host instance. Two service providers ("instances", each with its
/// own connection pool and LISTEN connection) run on one local PostgreSQL database holding the realistic data set
/// (100 tenants × 1,000 models). Each round sets an override through <see cref="IPricingAdminService"/> on instance 1
/// and polls both instances' <see cref="IPricingEngine.Quote"/> until they reflect it.
/// </summary>
/// <remarks>
/// Usage: <c>propagation [rounds] [--spin]</c>. By default the poller checks, then sleeps ~1 ms: a busy poller would
/// take a whole core from the instances and PostgreSQL, which do the work being measured (on a 2-core machine that
/// distorts the result). <c>--spin</c> polls with <see cref="SpinWait"/> instead (never sleeping).
/// </remarks>
internal static class PropagationRun
{
    private const int WarmupRounds = 3;
    private const int ReloadSamples = 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var spin = args.Contains("--spin");
        var rounds = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(50);
        var ct = CancellationToken.None;
        var dataset = PricingDataset.Create();

        Console.WriteLine("Starting a throwaway PostgreSQL cluster...");
        var database = await BenchmarkDatabase.StartAsync(ct);
        try
        {
            await RunAsync(database, dataset, rounds, spin, ct);
        }
        finally
        {
            await database.DisposeAsync();
        }

        Console.WriteLine("Instances stopped; PostgreSQL cluster stopped and deleted.");
        return 0;
    }

    private static async Task RunAsync(BenchmarkDatabase database, PricingDataset dataset, int rounds, bool spin, CancellationToken ct)
    {
        var instance1 = await database.StartInstanceAsync(ct);
        await database.SeedAsync(dataset, ct);
        var instance2 = await database.StartInstanceAsync(ct);
        var engine1 = instance1.GetRequiredService<IPricingEngine>();
        var engine2 = instance2.GetRequiredService<IPricingEngine>();
        var admin = instance1.GetRequiredService<IPricingAdminService>();
        await engine1.RefreshAsync(ct);
        Console.WriteLine($"Two instances up; snapshot of {engine2.Current.TenantCount} tenants × {engine2.Current.ModelCount} models.");

        // Reload cost alone, for context: what each instance does per notification (first reloads of the process).
        var coldReloads = await TimeReloadsAsync(engine2, ct);

        // A tenant with a custom config and a built-in model it has not overridden. Grace 0, so every change (rise or
        // reduction) takes effect at once and the engine must show it as soon as it has reloaded.
        var tenant = dataset.Tenants.First(t => t.HasConfigRow).Id;
        var overridden = dataset.Overrides.Where(o => o.Tenant == tenant).Select(o => o.Override.ModelId).ToHashSet(StringComparer.Ordinal);
        var model = BuiltInCatalog.Catalog.Models.First(m => !overridden.Contains(m.Id) && !m.IsSelfHosted).Id;
        await admin.UpdateConfigAsync(RadiantCaller.ForTenantAdmin(tenant, Guid.Empty), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 0 }, ct);

        var committed = new List<TimeSpan>();
        var visible1 = new List<TimeSpan>();
        var visible2 = new List<TimeSpan>();
        var afterCommit2 = new List<TimeSpan>();
        for (var round = 0; round < WarmupRounds + rounds; round++)
        {
            var markup = 0.1000m + (0.0100m * round);
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
                committed.Add(commit);
                visible1.Add(seen1.Value);
                visible2.Add(seen2.Value);
                afterCommit2.Add(seen2.Value - commit);
            }
        }

        var warmReloads = await TimeReloadsAsync(engine2, ct);

        Console.WriteLine();
        Console.WriteLine($"Propagation over {rounds} changes (after {WarmupRounds} warm-up rounds), poller {(spin ? "spinning (SpinWait, never sleeps)" : "sleeping ~1 ms between checks")}, milliseconds:");
        Console.WriteLine();
        Console.WriteLine("| Measure | Min | Median | P95 | Max |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Row("SetOverrideAsync on instance 1 (call → committed)", committed);
        Row("**Instance 2 quotes the new price (call start → visible)**", visible2);
        Row("Instance 2, after the commit returned", afterCommit2);
        Row("Instance 1 (the writer's own engine, call start → visible)", visible1);
        Row($"Snapshot reload (RefreshAsync), first {ReloadSamples} of the process", coldReloads);
        Row($"Snapshot reload (RefreshAsync), {ReloadSamples} after the rounds", warmReloads);
        Console.WriteLine();
    }

    private static async Task<List<TimeSpan>> TimeReloadsAsync(IPricingEngine engine, CancellationToken ct)
    {
        var reloads = new List<TimeSpan>();
        for (var i = 0; i < ReloadSamples; i++)
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
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {sorted[0]:F1} | {median:F1} | {p95:F1} | {sorted[^1]:F1} |"));
    }
}
