using Radiant.Pricing;

namespace Radiant.Benchmarks;

/// <summary>Sanity checks run in every setup: a benchmark of a wrong answer is worthless, so any difference throws.</summary>
internal static class Verification
{
    private const int ExtraRequests = 50_000;

    /// <summary>Instants around <see cref="PricingDataset.At"/> that cross override starts, ends and base-price changes.</summary>
    private static readonly DateTimeOffset[] Instants =
    [
        PricingDataset.At,
        PricingDataset.At.AddDays(-120),
        PricingDataset.At.AddDays(-20),
        PricingDataset.At.AddHours(6),
        PricingDataset.At.AddHours(13),
        PricingDataset.At.AddDays(2),
        PricingDataset.At.AddDays(40),
    ];

    /// <summary>The engine and the straightforward baseline agree on every field of the benchmark's requests and of 50,000 more at several instants.</summary>
    public static void QuotesAgree(PricingDataset dataset, PricingSnapshot snapshot, StraightforwardPricing straightforward, IReadOnlyList<QuoteRequest> requests)
    {
        var compared = 0;
        foreach (var r in requests)
        {
            Same(straightforward.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At),
                snapshot.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At), r.ToString());
            compared++;
        }

        var extra = dataset.Requests(ExtraRequests, seed: 99);
        for (var i = 0; i < extra.Length; i++)
        {
            var r = extra[i];
            var at = Instants[i % Instants.Length];
            Same(straightforward.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, at),
                snapshot.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, at), $"{r} at {at:O}");
            compared++;
        }

        // Every overridden or base-priced pair, at every instant: the timelines.
        foreach (var (tenant, model) in dataset.Overrides.Select(o => (o.Tenant, o.Override.ModelId)).Concat(dataset.BasePrices.Select(b => (b.Tenant, b.Price.ModelId))).Distinct())
        {
            foreach (var at in Instants)
            {
                Same(straightforward.Quote(tenant, model, 12_345, 6_789, at), snapshot.Quote(tenant, model, 12_345, 6_789, at), $"{tenant} {model} at {at:O}");
                compared++;
            }
        }

        Console.WriteLine($"// Verified: engine == decimal reference on {compared} quotes (every field, to the micro-dollar).");
        PrintMix(snapshot, requests);
    }

    /// <summary>Two snapshots (for example one built in memory and one loaded from the database) agree on every request.</summary>
    public static void SnapshotsAgree(PricingSnapshot expected, PricingSnapshot actual, IReadOnlyList<QuoteRequest> requests)
    {
        if (expected.TenantCount != actual.TenantCount || expected.ModelCount != actual.ModelCount)
        {
            throw new InvalidOperationException(
                $"Loaded snapshot has {actual.TenantCount} tenants × {actual.ModelCount} models, expected {expected.TenantCount} × {expected.ModelCount}.");
        }

        foreach (var r in requests)
        {
            foreach (var at in Instants)
            {
                Same(expected.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, at), actual.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, at), $"loaded snapshot, {r} at {at:O}");
            }
        }

        Console.WriteLine($"// Verified: the snapshot loaded from PostgreSQL == the one built in memory on {requests.Count * Instants.Length} quotes.");
    }

    /// <summary>Batch charges (micro-dollars) equal the decimal charges.</summary>
    public static void ChargesAgree(ReadOnlySpan<long> engineMicros, ReadOnlySpan<decimal> expected, string what)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            if (PricingSnapshot.MicrosToDollars(engineMicros[i]) != expected[i])
            {
                throw new InvalidOperationException($"{what}: line {i} charged {PricingSnapshot.MicrosToDollars(engineMicros[i])} by the engine, {expected[i]} by the decimal version.");
            }
        }

        Console.WriteLine($"// Verified: {what} on {expected.Length} lines.");
    }

    /// <summary>Throws unless every field is equal.</summary>
    public static void Same(PriceQuote expected, PriceQuote actual, string what)
    {
        if (expected.BaseCost != actual.BaseCost
            || expected.EffectiveMarkup != actual.EffectiveMarkup
            || expected.UserInputPricePer1M != actual.UserInputPricePer1M
            || expected.UserOutputPricePer1M != actual.UserOutputPricePer1M
            || expected.Charge != actual.Charge
            || expected.OverrideApplied != actual.OverrideApplied)
        {
            throw new InvalidOperationException($"Quotes differ for {what}:{Environment.NewLine}  expected {expected}{Environment.NewLine}  actual   {actual}");
        }
    }

    private static void PrintMix(PricingSnapshot snapshot, IReadOnlyList<QuoteRequest> requests)
    {
        var timelines = requests.Count(r => snapshot.Resolve(r.TenantId, r.ModelId).HasTimeline);
        Console.WriteLine(
            $"// Data: {snapshot.TenantCount} tenants × {snapshot.ModelCount} models; {timelines} of {requests.Count} requests ({100.0 * timelines / requests.Count:F1} %) hit a tenant/model with overrides or base prices.");
    }
}
