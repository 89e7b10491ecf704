using System.Runtime.CompilerServices;

namespace Radiant.Pricing;

public sealed partial class PricingSnapshot
{
    // The build runs rarely, so it would run in tier-0 code: optimized at once, a freshly started host reloads as fast as a warm one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal PricingSnapshot(
        IReadOnlyDictionary<string, PricingSnapshotBuilder.ModelPrice> models,
        IReadOnlyDictionary<Guid, TenantPricingConfig> tenants,
        IReadOnlyList<(Guid Tenant, ModelPriceOverride Override)> overrides,
        IReadOnlyList<(Guid Tenant, TenantBasePrice Price)> basePrices,
        long version)
    {
        Version = version;
        var ids = models.Keys.ToArray();
        var catalog = new CatalogBuilder(new Catalog(new ModelIdIndex(ids), [.. ids.Select(id => models[id])], []));

        // Rows grouped once by tenant: the build stays linear however many overrides there are.
        var overridesByTenant = overrides.ToLookup(o => o.Tenant, o => o.Override);
        var basePricesByTenant = basePrices.ToLookup(b => b.Tenant, b => b.Price);
        var states = new List<(Guid, TenantState)>(tenants.Count);
        var changes = new List<long>();
        foreach (var (tenantId, config) in tenants)
        {
            var state = BuildTenant(catalog, config, [.. overridesByTenant[tenantId]], [.. basePricesByTenant[tenantId]]);
            states.Add((tenantId, state));
            AddChanges(changes, state);
        }

        _catalog = catalog.Build();
        _tenants = TenantTable.Create(states);
        changes.Sort();
        _changes = [.. changes.Distinct()];
    }

    private PricingSnapshot(Catalog catalog, TenantTable tenants, long[] changes, long version)
    {
        _catalog = catalog;
        _tenants = tenants;
        _changes = changes;
        Version = version;
    }

    /// <summary>
    /// A new snapshot in which one tenant's pricing is replaced (or added), sharing everything else with this one.
    /// <paramref name="config"/> null means the defaults, as in <see cref="PricingSnapshotBuilder.AddTenant"/>.
    /// </summary>
    internal PricingSnapshot WithTenant(
        Guid tenantId, TenantPricingConfig? config, IReadOnlyList<ModelPriceOverride> overrides, IReadOnlyList<TenantBasePrice> basePrices, long version) =>
        WithTenants([(tenantId, config, overrides, basePrices)], [], version);

    /// <summary>
    /// A new snapshot in which several tenants' pricing is replaced or added (a null config means the defaults, as in
    /// <see cref="PricingSnapshotBuilder.AddTenant"/>) and the tenants in <paramref name="removed"/> are removed, sharing
    /// everything else with this one: it costs those tenants' models and rows (a new markup pair builds its row of
    /// entries) plus one copy of the tenant table, not a rebuild of every tenant. Rows of markups no tenant uses any more
    /// stay until a full rebuild. Every model a row names must be in this snapshot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal PricingSnapshot WithTenants(
        IReadOnlyList<(Guid Tenant, TenantPricingConfig? Config, IReadOnlyList<ModelPriceOverride> Overrides, IReadOnlyList<TenantBasePrice> BasePrices)> tenants,
        IReadOnlyCollection<Guid> removed,
        long version)
    {
        var catalog = new CatalogBuilder(_catalog);
        var changes = new List<long>();
        var states = new List<(Guid, TenantState?)>(tenants.Count + removed.Count);
        foreach (var (tenantId, config, overrides, basePrices) in tenants)
        {
            foreach (var o in overrides)
            {
                PricingSnapshotBuilder.CheckOverride(o);
            }

            foreach (var b in basePrices)
            {
                PricingSnapshotBuilder.CheckBasePrice(b);
            }

            var state = BuildTenant(catalog, PricingSnapshotBuilder.CheckTenant(config), overrides, basePrices);
            AddChanges(changes, state);
            states.Add((tenantId, state));
        }

        foreach (var tenantId in removed)
        {
            states.Add((tenantId, null));
        }

        return new PricingSnapshot(catalog.Build(), _tenants.With(states), Merge(_changes, changes), version);
    }

    private static TenantState BuildTenant(
        CatalogBuilder catalog, TenantPricingConfig config, IReadOnlyList<ModelPriceOverride> overrides, IReadOnlyList<TenantBasePrice> basePrices)
    {
        var row = catalog.Row(config);
        var models = catalog.Source.Models;
        var special = new SortedDictionary<int, (List<ModelPriceOverride> Overrides, List<TenantBasePrice> BasePrices)>();
        foreach (var o in overrides)
        {
            Rows(o.ModelId).Overrides.Add(o);
        }

        foreach (var b in basePrices)
        {
            Rows(b.ModelId).BasePrices.Add(b);
        }

        var minimum = ToMicros(config.MinimumChargePerRequest);
        if (special.Count == 0)
        {
            return new TenantState(row, minimum, null, null, []);
        }

        var bitmap = new ulong[(models.Count + 63) / 64];
        var timelines = new Timeline[special.Count];
        var t = 0;
        foreach (var (model, rows) in special)
        {
            bitmap[model >> 6] |= 1UL << model;
            timelines[t++] = BuildTimeline(catalog, catalog.Source.Prices[model], config, rows.Overrides, rows.BasePrices);
        }

        var rank = new int[bitmap.Length];
        for (var w = 1; w < bitmap.Length; w++)
        {
            rank[w] = rank[w - 1] + System.Numerics.BitOperations.PopCount(bitmap[w - 1]);
        }

        return new TenantState(row, minimum, bitmap, rank, timelines);

        (List<ModelPriceOverride> Overrides, List<TenantBasePrice> BasePrices) Rows(string modelId)
        {
            var m = models.IndexOf(modelId);
            if (m < 0)
            {
                throw new InvalidOperationException($"Model '{modelId}' has pricing rows but is not in the snapshot.");
            }

            if (!special.TryGetValue(m, out var rows))
            {
                special[m] = rows = ([], []);
            }

            return rows;
        }
    }

    private static Timeline BuildTimeline(
        CatalogBuilder catalog, PricingSnapshotBuilder.ModelPrice model, TenantPricingConfig config, List<ModelPriceOverride> overrides, List<TenantBasePrice> basePrices)
    {
        var starts = new SortedSet<long> { long.MinValue };
        foreach (var b in basePrices)
        {
            starts.Add(b.EffectiveFrom.UtcTicks);
        }

        foreach (var o in overrides)
        {
            starts.Add(o.EffectiveFrom.UtcTicks);
            if (o.EffectiveTo is { } to)
            {
                starts.Add(to.UtcTicks);
            }
        }

        var entries = new Entry[starts.Count];
        var i = 0;
        foreach (var at in starts)
        {
            var basePrice = basePrices.Where(b => b.EffectiveFrom.UtcTicks <= at).MaxBy(b => b.EffectiveFrom);
            var active = overrides
                .Where(o => o.EffectiveFrom.UtcTicks <= at && (o.EffectiveTo is null || o.EffectiveTo.Value.UtcTicks > at))
                .MaxBy(o => o.EffectiveFrom);
            var markup = active?.Markup ?? config.DefaultMarkupFor(model.SelfHosted);
            entries[i++] = new Entry(
                active?.InputPricePer1M ?? basePrice?.InputPricePer1M ?? model.Input,
                active?.OutputPricePer1M ?? basePrice?.OutputPricePer1M ?? model.Output,
                markup,
                overrideApplied: active is not null);
        }

        return new Timeline([.. starts], entries);
    }

    private static void AddChanges(List<long> changes, TenantState state)
    {
        foreach (var timeline in state.Timelines)
        {
            changes.AddRange(timeline.Starts.AsSpan(1));
        }
    }

    // A removed or replaced tenant's starts stay until a full rebuild: an extra start only makes the engine read the precise clock near it.
    // Linear in the starts already there (a per-tenant reload adds a handful to every tenant's): no sort of the whole array.
    private static long[] Merge(long[] sorted, List<long> added)
    {
        if (added.Count == 0)
        {
            return sorted;
        }

        added.Sort();
        var fresh = new List<long>(added.Count);
        for (var a = 0; a < added.Count; a++)
        {
            if ((a == 0 || added[a] != added[a - 1]) && Array.BinarySearch(sorted, added[a]) < 0)
            {
                fresh.Add(added[a]);
            }
        }

        if (fresh.Count == 0)
        {
            return sorted;
        }

        var merged = new long[sorted.Length + fresh.Count];
        int i = 0, j = 0, k = 0;
        while (i < sorted.Length && j < fresh.Count)
        {
            merged[k++] = sorted[i] < fresh[j] ? sorted[i++] : fresh[j++];
        }

        sorted.AsSpan(i).CopyTo(merged.AsSpan(k));
        k += sorted.Length - i;
        for (; j < fresh.Count; j++)
        {
            merged[k++] = fresh[j];
        }

        return merged;
    }

    /// <summary>
    /// What snapshots derived from one another share: the models, and one row of entries per markup pair. Immutable
    /// once built.
    /// </summary>
    private sealed record Catalog(
        ModelIdIndex Models,
        PricingSnapshotBuilder.ModelPrice[] Prices,
        Dictionary<(Int128, Int128), Entry[]> Rows);

    /// <summary>Adds rows to a catalogue, copying its table of rows only when one is added.</summary>
    private sealed class CatalogBuilder(Catalog source)
    {
        private Dictionary<(Int128, Int128), Entry[]>? _rows;

        public Catalog Source => source;

        // Keyed by the decimals' bits, not their values: 0.4 and 0.40 both quote as configured.
        public Entry[] Row(TenantPricingConfig config)
        {
            var key = (Unsafe.BitCast<decimal, Int128>(config.ExternalDefaultMarkup), Unsafe.BitCast<decimal, Int128>(config.SelfHostedDefaultMarkup));
            if ((_rows ?? source.Rows).TryGetValue(key, out var row))
            {
                return row;
            }

            row = new Entry[source.Prices.Length];
            for (var m = 0; m < row.Length; m++)
            {
                var model = source.Prices[m];
                row[m] = new Entry(model.Input, model.Output, config.DefaultMarkupFor(model.SelfHosted), overrideApplied: false);
            }

            _rows ??= new(source.Rows);
            _rows[key] = row;
            return row;
        }

        public Catalog Build() => _rows is null ? source : source with { Rows = _rows };
    }
}
