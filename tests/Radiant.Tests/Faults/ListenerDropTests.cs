using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Pricing;
using Radiant.Tests.Pricing;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Faults;

/// <summary>
/// Prices never stale for long: with every connection of two instances terminated again and again, a change made on
/// one is quoted by the other within a second each time; and the periodic reload runs whatever the listener is doing.
/// </summary>
public sealed class ListenerDropTests(FaultCluster cluster) : IClassFixture<FaultCluster>
{
    private const string Model = "gpt-4o";
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_price_change_made_right_after_each_of_six_connection_drops_is_quoted_by_another_instance_within_a_second()
    {
        var connectionString = await cluster.CreateDatabaseAsync("drops");
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var writer = await PricingDatabase.BuildAsync(connectionString);
        await using var reader = await PricingDatabase.BuildAsync(connectionString);
        var engine = reader.GetRequiredService<IPricingEngine>();
        var tenant = await NewTenantAsync(writer, engine);
        var latencies = new List<TimeSpan>();

        for (var drop = 1; drop <= 6; drop++)
        {
            // Every backend of the database: both listeners and every pooled connection of both instances.
            Assert.True(await cluster.TerminateBackendsAsync(database) >= 2, $"drop {drop}: the listeners were there to terminate");
            var markup = 0.30m - (drop / 100m); // falling: a reduction applies at once
            var clock = Stopwatch.StartNew();
            await writer.GetRequiredService<IPricingAdminService>().SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: markup), Ct);

            Assert.True(
                await Eventually.TrueAsync(() => engine.TryQuote(tenant, Model, 1, 0, out var quote) && quote.EffectiveMarkup == markup, TimeSpan.FromSeconds(10)),
                $"drop {drop}: markup {markup} never reached the other instance");
            latencies.Add(clock.Elapsed);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"change (call start) → other instance, after each drop: {string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:0} ms"))}"));
        Assert.All(latencies, l => Assert.True(l <= Budget, $"took {l.TotalMilliseconds:0} ms"));
    }

    [Fact]
    public async Task The_periodic_reload_picks_up_a_change_nobody_announced_while_the_listener_keeps_being_dropped()
    {
        var connectionString = await cluster.CreateDatabaseAsync("reload");
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var writer = await PricingDatabase.BuildAsync(connectionString);
        await using var reader = await PricingDatabase.BuildAsync(connectionString, configure: o => o.PricingRefreshInterval = TimeSpan.FromSeconds(1));
        var engine = reader.GetRequiredService<IPricingEngine>();
        var tenant = await NewTenantAsync(writer, engine);

        using var stopDropping = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var dropping = Task.Run(async () =>
        {
            // At most 300 drops, every 100 ms: the listeners reconnect at once and are dropped again.
            for (var i = 0; i < 300 && !stopDropping.IsCancellationRequested; i++)
            {
                await cluster.TerminateBackendsAsync(database, "LISTEN %");
                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);

        // Written behind Radiant's back: no NOTIFY, so only a reload finds it.
        await using (var owner = await cluster.OpenAdminAsync(database))
        {
            await using var update = new NpgsqlCommand("UPDATE radiant.pricing_config SET external_default_markup = 0.05 WHERE tenant_id = @tenant", owner);
            update.Parameters.AddWithValue("tenant", tenant);
            Assert.Equal(1, await update.ExecuteNonQueryAsync(Ct));
        }

        var clock = Stopwatch.StartNew();
        var reloaded = await Poll.UntilAsync(() => engine.TryQuote(tenant, Model, 1, 0, out var quote) && quote.EffectiveMarkup == 0.05m, TimeSpan.FromSeconds(10));
        var took = clock.Elapsed;
        await stopDropping.CancelAsync();
        await dropping;

        Assert.True(reloaded, "the periodic reload never picked the change up");
        // The interval (1 s) plus one reload on a busy machine.
        Assert.True(took < TimeSpan.FromSeconds(3), $"took {took.TotalMilliseconds:0} ms");
    }

    private static async Task<Guid> NewTenantAsync(IServiceProvider writer, IPricingEngine other)
    {
        var caller = new RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await writer.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(caller, "admin@example.test", "Admin"), Ct);
        Assert.True(await Eventually.TrueAsync(() => other.TryQuote(caller.TenantId, Model, 1, 0, out _)), "the other instance learns of the tenant");
        var admin = writer.GetRequiredService<IPricingAdminService>();
        await admin.UpdateConfigAsync(Admin(caller.TenantId), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 0 }, Ct);
        return caller.TenantId;
    }
}
