using System.Collections.Frozen;
using System.Runtime.CompilerServices;

namespace Radiant.Pricing;

/// <summary>
/// Immutable prices of every tenant and model, answering quotes from memory without allocating.
/// </summary>
/// <remarks>
/// Everything a quote needs is precomputed at build time as integers: user prices in micro-dollars per 1M tokens,
/// split into whole dollars and a remainder so the charge of any <see cref="int"/> token count is computed exactly
/// in 64-bit arithmetic. Tenants that share a markup pair share one row of entries; a tenant and model with overrides
/// or tenant base prices get a timeline of segments, so an override takes effect at its instant without a rebuild.
/// </remarks>
public sealed class PricingSnapshot
{
    private const long MicrosPerUnit = 1_000_000;

    private readonly FrozenDictionary<string, int> _modelIndex;
    private readonly FrozenDictionary<Guid, TenantState> _tenants;
    private readonly Entry[] _entries;
    private readonly Timeline[] _timelines;

    internal PricingSnapshot(
        IReadOnlyDictionary<string, PricingSnapshotBuilder.ModelPrice> models,
        IReadOnlyDictionary<Guid, TenantPricingConfig> tenants,
        IReadOnlyList<(Guid Tenant, ModelPriceOverride Override)> overrides,
        IReadOnlyList<(Guid Tenant, TenantBasePrice Price)> basePrices,
        long version)
    {
        Version = version;
        var modelIds = models.Keys.ToArray();
        var modelPrices = modelIds.Select(id => models[id]).ToArray();
        _modelIndex = modelIds.Select((id, i) => (id, i)).ToFrozenDictionary(p => p.id, p => p.i, StringComparer.Ordinal);

        // One row of entries per distinct (external, self-hosted) markup pair.
        var entries = new List<Entry>();
        var profiles = new Dictionary<(decimal, decimal), int>();
        // Rows grouped once by tenant and model: the build stays linear however many overrides there are.
        var overridesByPair = overrides.ToLookup(o => (o.Tenant, o.Override.ModelId), o => o.Override);
        var basePricesByPair = basePrices.ToLookup(b => (b.Tenant, b.Price.ModelId), b => b.Price);
        var specialModelsByTenant = overridesByPair.Select(g => g.Key).Concat(basePricesByPair.Select(g => g.Key))
            .Distinct()
            .ToLookup(pair => pair.Tenant, pair => pair.ModelId);
        var timelines = new List<Timeline>();
        var tenantStates = new Dictionary<Guid, TenantState>();

        foreach (var (tenantId, config) in tenants)
        {
            var key = (config.ExternalDefaultMarkup, config.SelfHostedDefaultMarkup);
            if (!profiles.TryGetValue(key, out var profileBase))
            {
                profileBase = entries.Count;
                profiles[key] = profileBase;
                foreach (var model in modelPrices)
                {
                    entries.Add(Entry.Create(model.Input, model.Output, config.DefaultMarkupFor(model.SelfHosted), overrideApplied: false));
                }
            }

            Dictionary<int, int>? tenantTimelines = null;
            foreach (var modelId in specialModelsByTenant[tenantId])
            {
                var m = _modelIndex[modelId];
                tenantTimelines ??= [];
                tenantTimelines[m] = timelines.Count;
                timelines.Add(BuildTimeline(
                    entries,
                    modelPrices[m],
                    config,
                    [.. overridesByPair[(tenantId, modelId)]],
                    [.. basePricesByPair[(tenantId, modelId)]]));
            }

            tenantStates[tenantId] = new TenantState(profileBase, ToMicros(config.MinimumChargePerRequest), tenantTimelines?.ToFrozenDictionary());
        }

        _entries = [.. entries];
        _timelines = [.. timelines];
        _tenants = tenantStates.ToFrozenDictionary();
    }

    /// <summary>An empty snapshot: every quote fails as unknown.</summary>
    public static PricingSnapshot Empty { get; } = new PricingSnapshotBuilder().Build();

    /// <summary>A number identifying this snapshot (the loader's reload counter, or what the builder was given).</summary>
    public long Version { get; }

    /// <summary>Number of tenants.</summary>
    public int TenantCount => _tenants.Count;

    /// <summary>Number of models.</summary>
    public int ModelCount => _modelIndex.Count;

    /// <summary>Quotes a request; throws <see cref="PricingException"/> for an unknown tenant or model.</summary>
    public PriceQuote Quote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset at)
    {
        if (TryQuote(tenantId, modelId, inputTokens, outputTokens, at, out var quote))
        {
            return quote;
        }

        throw new PricingException(Explain(tenantId, modelId, inputTokens, outputTokens));
    }

    /// <summary>Quotes a request; returns false (never a zero price) for an unknown tenant or model or a negative token count.</summary>
    public bool TryQuote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset at, out PriceQuote quote)
    {
        if ((inputTokens | outputTokens) < 0 || !TryResolve(tenantId, modelId, out var handle))
        {
            quote = default;
            return false;
        }

        quote = Compute(in EntryFor(handle, at.UtcTicks), inputTokens, outputTokens, handle.MinimumChargeMicros);
        return true;
    }

    /// <summary>Resolves a tenant and model once, for <see cref="QuoteBatch"/>; throws <see cref="PricingException"/> when unknown.</summary>
    public PriceHandle Resolve(Guid tenantId, string modelId) =>
        TryResolve(tenantId, modelId, out var handle) ? handle : throw new PricingException(Explain(tenantId, modelId, 0, 0));

    /// <summary>Resolves a tenant and model once, for <see cref="QuoteBatch"/>.</summary>
    public bool TryResolve(Guid tenantId, string modelId, out PriceHandle handle)
    {
        if (modelId is null || !_tenants.TryGetValue(tenantId, out var tenant) || !_modelIndex.TryGetValue(modelId, out var model))
        {
            handle = default;
            return false;
        }

        handle = tenant.Timelines is { } timelines && timelines.TryGetValue(model, out var timeline)
            ? new PriceHandle(-1, timeline, tenant.MinimumChargeMicros)
            : new PriceHandle(tenant.ProfileBase + model, -1, tenant.MinimumChargeMicros);
        return true;
    }

    /// <summary>
    /// Charges many usage lines at one instant, writing each charge in whole micro-dollars (1 = $0.000001) to
    /// <paramref name="chargesMicros"/>. Exactly the <see cref="PriceQuote.Charge"/> of <see cref="Quote"/>, without the
    /// other figures. Handles must come from this snapshot.
    /// </summary>
    public void QuoteBatch(ReadOnlySpan<UsageLine> lines, DateTimeOffset at, Span<long> chargesMicros)
    {
        if (chargesMicros.Length < lines.Length)
        {
            throw new ArgumentException("The output span is shorter than the input.", nameof(chargesMicros));
        }

        var ticks = at.UtcTicks;
        var entries = _entries;
        for (var i = 0; i < lines.Length; i++)
        {
            ref readonly var line = ref lines[i];
            if ((line.InputTokens | line.OutputTokens) < 0)
            {
                throw new PricingException($"Usage line {i} has a negative token count.");
            }

            var handle = line.Price;
            ref readonly var entry = ref handle.Entry >= 0 ? ref entries[handle.Entry] : ref entries[_timelines[handle.Timeline].EntryAt(ticks)];
            chargesMicros[i] = ChargeMicros(in entry, line.InputTokens, line.OutputTokens, handle.MinimumChargeMicros);
        }
    }

    /// <summary>The tenant's pricing in this snapshot, or null (for the router: one lookup per decision).</summary>
    internal TenantState? TenantOf(Guid tenantId) => _tenants.TryGetValue(tenantId, out var tenant) ? tenant : null;

    /// <summary>The model's index in this snapshot, or -1 (for the router: resolved once per snapshot).</summary>
    internal int IndexOf(string modelId) => _modelIndex.TryGetValue(modelId, out var index) ? index : -1;

    /// <summary>
    /// Exactly the <see cref="PriceQuote.Charge"/> of <see cref="Quote"/> in micro-dollars, for a tenant and model
    /// index already looked up (no token count check: the caller's are 0 or more).
    /// </summary>
    internal long ChargeMicros(TenantState tenant, int model, int inputTokens, int outputTokens, long utcTicks)
    {
        var entry = tenant.Timelines is { } timelines && timelines.TryGetValue(model, out var timeline)
            ? _timelines[timeline].EntryAt(utcTicks)
            : tenant.ProfileBase + model;
        return ChargeMicros(in _entries[entry], inputTokens, outputTokens, tenant.MinimumChargeMicros);
    }

    /// <summary>Converts whole micro-dollars to dollars.</summary>
    public static decimal MicrosToDollars(long micros) =>
        micros >= 0 ? new decimal((int)(uint)micros, (int)(uint)((ulong)micros >> 32), 0, false, 6) : -MicrosToDollars(-micros);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref readonly Entry EntryFor(PriceHandle handle, long ticks) =>
        ref handle.Entry >= 0 ? ref _entries[handle.Entry] : ref _entries[_timelines[handle.Timeline].EntryAt(ticks)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ChargeMicros(in Entry e, int input, int output, long minimumMicros)
    {
        // (input × userIn + output × userOut) / 1e6 in micro-dollars, rounded half up (all terms are non-negative).
        // userX = wholeX × 1e6 + fracX keeps every product inside 64 bits for any int token count.
        var micros = (input * e.UserInputWhole) + (output * e.UserOutputWhole)
            + (((input * e.UserInputFraction) + (output * e.UserOutputFraction) + (MicrosPerUnit / 2)) / MicrosPerUnit);
        return Math.Max(micros, minimumMicros);
    }

    private static PriceQuote Compute(in Entry e, int input, int output, long minimumMicros)
    {
        var baseCost = (UInt128)(ulong)input * (ulong)e.BaseInputMicros + (UInt128)(ulong)output * (ulong)e.BaseOutputMicros;
        return new PriceQuote(
            new decimal((int)(uint)baseCost, (int)(uint)(baseCost >> 32), (int)(uint)(baseCost >> 64), false, 12),
            e.Markup,
            MicrosToDollars(e.UserInputMicros),
            MicrosToDollars(e.UserOutputMicros),
            MicrosToDollars(ChargeMicros(in e, input, output, minimumMicros)),
            e.OverrideApplied);
    }

    private static Timeline BuildTimeline(
        List<Entry> entries,
        PricingSnapshotBuilder.ModelPrice model,
        TenantPricingConfig config,
        List<ModelPriceOverride> overrides,
        List<TenantBasePrice> basePrices)
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

        var firstEntry = entries.Count;
        foreach (var at in starts)
        {
            var basePrice = basePrices.Where(b => b.EffectiveFrom.UtcTicks <= at).MaxBy(b => b.EffectiveFrom);
            var active = overrides
                .Where(o => o.EffectiveFrom.UtcTicks <= at && (o.EffectiveTo is null || o.EffectiveTo.Value.UtcTicks > at))
                .MaxBy(o => o.EffectiveFrom);
            var input = active?.InputPricePer1M ?? basePrice?.InputPricePer1M ?? model.Input;
            var output = active?.OutputPricePer1M ?? basePrice?.OutputPricePer1M ?? model.Output;
            var markup = active?.Markup ?? config.DefaultMarkupFor(model.SelfHosted);
            entries.Add(Entry.Create(input, output, markup, overrideApplied: active is not null));
        }

        return new Timeline([.. starts], firstEntry);
    }

    private string Explain(Guid tenantId, string modelId, int inputTokens, int outputTokens)
    {
        if ((inputTokens | outputTokens) < 0)
        {
            return $"Token counts must be 0 or more (got {inputTokens} input, {outputTokens} output).";
        }

        if (!_tenants.ContainsKey(tenantId))
        {
            return $"Tenant {tenantId} has no pricing in this snapshot.";
        }

        return $"Model '{modelId}' is not priced in this snapshot.";
    }

    private static long ToMicros(decimal dollars) => (long)(dollars * MicrosPerUnit);

    internal sealed record TenantState(int ProfileBase, long MinimumChargeMicros, FrozenDictionary<int, int>? Timelines);

    /// <summary>Segments of one tenant and model: entry <c>FirstEntry + i</c> applies from <c>Starts[i]</c> (UTC ticks).</summary>
    private readonly record struct Timeline(long[] Starts, int FirstEntry)
    {
        public int EntryAt(long ticks)
        {
            var i = Starts.Length - 1;
            while (Starts[i] > ticks)
            {
                i--;
            }

            return FirstEntry + i;
        }
    }

    private readonly record struct Entry(
        long BaseInputMicros,
        long BaseOutputMicros,
        long UserInputMicros,
        long UserOutputMicros,
        long UserInputWhole,
        long UserInputFraction,
        long UserOutputWhole,
        long UserOutputFraction,
        decimal Markup,
        bool OverrideApplied)
    {
        public static Entry Create(decimal baseInput, decimal baseOutput, decimal markup, bool overrideApplied)
        {
            var userInput = ToMicros(PricingRules.UserPrice(baseInput, markup));
            var userOutput = ToMicros(PricingRules.UserPrice(baseOutput, markup));
            return new Entry(
                ToMicros(baseInput),
                ToMicros(baseOutput),
                userInput,
                userOutput,
                userInput / MicrosPerUnit,
                userInput % MicrosPerUnit,
                userOutput / MicrosPerUnit,
                userOutput % MicrosPerUnit,
                markup,
                overrideApplied);
        }
    }
}
