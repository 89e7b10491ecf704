using System.Globalization;
using Npgsql;
using Radiant.Common;
using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>Overrides of one model set at the same time: one override stands, and it is the one the engine prices.</summary>
public sealed class ConcurrentOverrideTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    private const string Model = "gpt-4o";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Twenty_parallel_overrides_of_one_model_leave_exactly_one_current_override()
    {
        var tenant = await db.NewTenantAsync();
        // No grace period: whatever order the calls commit in, each applies at once (none waits as a pending rise).
        await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 0 }, Ct);
        var markups = Enumerable.Range(1, 20).Select(i => i * 0.01m).ToList(); // 0.01 .. 0.20, all below the 0.40 default

        await Task.WhenAll(markups.Select(markup => Task.Run(
            () => db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: markup), Ct), Ct)));

        Assert.Equal(1L, await CountAsync(tenant, "effective_from <= now() AND (effective_to IS NULL OR effective_to > now())"));
        Assert.Equal(0L, await CountAsync(tenant, "effective_from > now()"));
        Assert.Equal(1L, await CountAsync(tenant, "true"));

        var listed = Assert.Single(await db.Pricing.ListModelPricesAsync(Admin(tenant), Ct), p => p.ModelId == Model);
        Assert.True(listed.HasOverride);
        Assert.Null(listed.PendingOverride);
        Assert.Contains(listed.EffectiveMarkup, markups);
        Assert.Equal(listed.EffectiveMarkup, await db.ScalarAsync<decimal>(
            "SELECT markup FROM radiant.model_pricing_overrides WHERE tenant_id = @t AND model_id = @m", ("t", tenant), ("m", Model)));

        // Every call was recorded, and the engine prices the override that committed last.
        Assert.Equal(20, (await db.Pricing.ListHistoryAsync(Admin(tenant), Model, new PageRequest(Limit: 50), Ct)).Items.Count);
        var quote = await Eventually.QuoteAsync(db.Engine, tenant, Model, 1_000_000, 1_000_000, q => q.EffectiveMarkup == listed.EffectiveMarkup);
        Assert.Equal((listed.EffectiveMarkup, true), (quote.EffectiveMarkup, quote.OverrideApplied));
        Assert.Equal(listed.UserInputPricePer1M + listed.UserOutputPricePer1M, quote.Charge);
    }

    [Fact]
    public async Task Parallel_overrides_under_a_grace_period_never_raise_the_price_at_once()
    {
        // Rounds of 20 parallel overrides (markups 0.05 .. 0.35, all below the 0.40 default) with the default 24 h
        // grace period. The calls commit one at a time (they queue on the tenant's config lock); each must be judged
        // against the price in force when it commits: below it applies at once, above it waits as a pending rise.
        var violations = new List<string>();
        for (var round = 0; round < 5; round++)
        {
            var tenant = await db.NewTenantAsync();
            var random = new Random(round);
            var markups = Enumerable.Range(0, 20).Select(_ => random.Next(5, 36) / 100m).ToList();

            await Task.WhenAll(markups.Select(markup => Task.Run(
                () => db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: markup), Ct), Ct)));

            // Replay the history in commit order (created_at is taken under the lock).
            var history = (await db.Pricing.ListHistoryAsync(Admin(tenant), Model, new PageRequest(Limit: 50), Ct)).Items.Reverse().ToList();
            Assert.Equal(20, history.Count);
            var inForce = 0.40m;
            foreach (var entry in history)
            {
                var immediate = entry.EffectiveFrom < entry.CreatedAt.AddHours(1);
                if (entry.PreviousMarkup != inForce || (immediate && entry.NewMarkup > inForce))
                {
                    violations.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"round {round}: markup {inForce} in force, change recorded {entry.PreviousMarkup} → {entry.NewMarkup} effective {(immediate ? "at once" : "after the grace period")}"));
                }

                if (immediate)
                {
                    inForce = entry.NewMarkup!.Value;
                }
            }

            var listed = Assert.Single(await db.Pricing.ListModelPricesAsync(Admin(tenant), Ct), p => p.ModelId == Model);
            if (listed.EffectiveMarkup != inForce)
            {
                violations.Add(string.Create(CultureInfo.InvariantCulture, $"round {round}: {listed.EffectiveMarkup} in force at the end, the replay says {inForce}"));
            }
        }

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public async Task Parallel_overrides_of_different_models_all_apply()
    {
        var tenant = await db.NewTenantAsync();
        var models = new[] { "gpt-4o", "gpt-4o-mini", "o1", "claude-4-opus", "claude-4-sonnet", "grok-3", "gemini-2.0-pro", "grok-3-mini" };

        await Task.WhenAll(models.Select(model => Task.Run(
            () => db.Pricing.SetOverrideAsync(Admin(tenant), model, new PriceOverrideInput(Markup: 0.10m), Ct), Ct)));

        var prices = await db.Pricing.ListModelPricesAsync(Admin(tenant), Ct);
        Assert.All(models, m => Assert.Equal((0.10m, true), (prices.Single(p => p.ModelId == m).EffectiveMarkup, prices.Single(p => p.ModelId == m).HasOverride)));
        Assert.Equal(models.Length, prices.Count(p => p.HasOverride));
        // The calls commit in any order: wait until the engine has all of them.
        await Eventually.TrueAsync(() => models.All(m => db.Engine.Quote(tenant, m, 1, 0).OverrideApplied));
        Assert.All(models, m => Assert.Equal((0.10m, true), (db.Engine.Quote(tenant, m, 1, 0).EffectiveMarkup, db.Engine.Quote(tenant, m, 1, 0).OverrideApplied)));
    }

    [Fact]
    public async Task An_override_queued_behind_the_tenant_lock_is_judged_against_a_provider_cut_made_meanwhile()
    {
        // Its own database: the registry sync below changes the global catalogue.
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var tenant = await own.NewTenantAsync();
        await own.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { NotifyOnPriceChange = false }, Ct);

        // Another change of this tenant's pricing holds the tenant's config lock.
        await using var holder = await own.OpenOwnerConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync(Ct);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM radiant.pricing_config WHERE tenant_id = @t FOR UPDATE", holder, hold))
        {
            lockRow.Parameters.AddWithValue("t", tenant);
            Assert.Equal(1, await lockRow.ExecuteScalarAsync(Ct));
        }

        // The provider cuts the list price to 2.00 (the tenant, auto-update on, is to pay 2.80 at once): the registry
        // sync takes the tenant's lock too, so it queues first.
        var sync = Task.Run(() => own.Registry.SyncAsync(Catalogs.WithPrice(Model, 2.00m, 10.00m), Ct), Ct);
        Assert.True(await Eventually.TrueAsync(async () => await WaitingForLocksAsync(own) > 0), "the sync waits for the lock");

        // The admin lowers gpt-4o's input price from 2.50 to 2.40 (user price 3.50 → 3.36): it queues behind both.
        var admin = Task.Run(() => own.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(InputPricePer1M: 2.40m), Ct), Ct);
        Assert.True(await Eventually.TrueAsync(async () => await WaitingForLocksAsync(own) > 1), "the override waits for the lock");

        // The holder lets go: the cut commits while the override is still waiting, then the override runs.
        await hold.RollbackAsync(Ct);
        Assert.Equal(1, (await sync).TenantPriceUpdates);
        await admin;

        // When the override committed, users paid 2.80: 2.40 × 1.40 = 3.36 raises that, so it must wait for the 24 h
        // grace period; the price users pay right after the call must still be 2.80.
        var now = Assert.Single(await own.Pricing.ListModelPricesAsync(Admin(tenant), Ct), p => p.ModelId == Model);
        Assert.Equal(2.800000m, now.UserInputPricePer1M);
        Assert.NotNull(now.PendingOverride);
        var quote = await Eventually.QuoteAsync(own.Engine, tenant, Model, 1_000_000, 0, q => q.BaseCost != 2.50m);
        Assert.Equal(2.800000m, quote.Charge);
    }

    private static Task<long> WaitingForLocksAsync(PricingDatabase database) => database.ScalarAsync<long>(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");

    private Task<long> CountAsync(Guid tenant, string condition) =>
        db.ScalarAsync<long>($"SELECT count(*) FROM radiant.model_pricing_overrides WHERE tenant_id = @t AND model_id = @m AND ({condition})", ("t", tenant), ("m", Model));
}
