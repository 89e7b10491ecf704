using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Radiant.Pricing;

/// <summary>
/// Immutable prices of every tenant and model, answering quotes from memory without allocating.
/// </summary>
/// <remarks>
/// Everything a quote needs is precomputed at build time as integers: user prices in micro-dollars per 1M tokens,
/// split into whole dollars and a remainder so the charge of any <see cref="int"/> token count is computed exactly
/// in 64-bit arithmetic. Tenants that share a markup pair share one row of entries (shared with the snapshots derived
/// by a per-tenant reload, too); a tenant and model with overrides or tenant base prices get a timeline of segments,
/// so an override takes effect at its instant without a rebuild.
/// </remarks>
public sealed partial class PricingSnapshot
{
    private const long MicrosPerUnit = 1_000_000;

    private readonly Catalog _catalog;
    private readonly TenantTable _tenants;

    // Every timeline start of every tenant, sorted: quotes at two instants with no start between them are equal.
    private readonly long[] _changes;

    /// <summary>An empty snapshot: every quote fails as unknown.</summary>
    public static PricingSnapshot Empty { get; } = new PricingSnapshotBuilder().Build();

    /// <summary>A number identifying this snapshot (the loader's reload counter, or what the builder was given).</summary>
    public long Version { get; }

    /// <summary>Number of tenants.</summary>
    public int TenantCount => _tenants.Count;

    /// <summary>Number of models.</summary>
    public int ModelCount => _catalog.Models.Count;

    /// <summary>Quotes a request; throws <see cref="PricingException"/> for an unknown tenant or model.</summary>
    public PriceQuote Quote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset at) =>
        QuoteAt(tenantId, modelId, inputTokens, outputTokens, at.UtcTicks);

    /// <summary>Quotes a request; returns false (never a zero price) for an unknown tenant or model or a negative token count.</summary>
    public bool TryQuote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset at, out PriceQuote quote) =>
        TryQuoteAt(tenantId, modelId, inputTokens, outputTokens, at.UtcTicks, out quote);

    /// <summary>Resolves a tenant and model once, for <see cref="QuoteBatch"/>; throws <see cref="PricingException"/> when unknown.</summary>
    public PriceHandle Resolve(Guid tenantId, string modelId) =>
        TryResolve(tenantId, modelId, out var handle) ? handle : throw new PricingException(Explain(tenantId, modelId, 0, 0));

    /// <summary>Resolves a tenant and model once, for <see cref="QuoteBatch"/>.</summary>
    public bool TryResolve(Guid tenantId, string modelId, out PriceHandle handle)
    {
        if (modelId is null || _tenants.Find(tenantId) is not { } tenant || _catalog.Models.IndexOf(modelId) is var model && model < 0)
        {
            handle = default;
            return false;
        }

        handle = tenant.TimelineOf(model) is { } timeline
            ? new PriceHandle(timeline.Entries, 0, timeline.Starts, tenant.MinimumChargeMicros)
            : new PriceHandle(tenant.Row, model, null, tenant.MinimumChargeMicros);
        return true;
    }

    /// <summary>
    /// Charges many usage lines at one instant, writing each charge in whole micro-dollars (1 = $0.000001) to
    /// <paramref name="chargesMicros"/>. Exactly the <see cref="PriceQuote.Charge"/> of <see cref="Quote"/>, without the
    /// other figures. A handle prices with the snapshot that resolved it.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Public instance API; handles carry their snapshot's prices.")]
    public void QuoteBatch(ReadOnlySpan<UsageLine> lines, DateTimeOffset at, Span<long> chargesMicros)
    {
        if (chargesMicros.Length < lines.Length)
        {
            throw new ArgumentException("The output span is shorter than the input.", nameof(chargesMicros));
        }

        var ticks = at.UtcTicks;
        for (var i = 0; i < lines.Length; i++)
        {
            ref readonly var line = ref lines[i];
            if ((line.InputTokens | line.OutputTokens) < 0)
            {
                throw new PricingException($"Usage line {i} has a negative token count.");
            }

            var handle = line.Price;
            var entries = handle.Entries ?? throw new PricingException($"Usage line {i} has no resolved price (a default handle).");
            var index = handle.Starts is { } starts ? Timeline.IndexAt(starts, ticks) : handle.Index;
            chargesMicros[i] = ChargeMicros(in entries[index], line.InputTokens, line.OutputTokens, handle.MinimumChargeMicros);
        }
    }

    /// <summary>Converts whole micro-dollars to dollars.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static decimal MicrosToDollars(long micros)
    {
        var magnitude = micros < 0 ? (ulong)-micros : (ulong)micros;
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, micros < 0, 6);
    }

    /// <summary>The tenant's pricing in this snapshot, or null (for the router: one lookup per decision).</summary>
    internal TenantState? TenantOf(Guid tenantId) => _tenants.Find(tenantId);

    /// <summary>The model's index in this snapshot, or -1 (for the router: resolved once per snapshot).</summary>
    internal int IndexOf(string modelId) => _catalog.Models.IndexOf(modelId);

    /// <summary>
    /// Exactly the <see cref="PriceQuote.Charge"/> of <see cref="Quote"/> in micro-dollars, for a tenant and model
    /// index already looked up (no token count check: the caller's are 0 or more).
    /// </summary>
    internal static long ChargeMicros(TenantState tenant, int model, int inputTokens, int outputTokens, long utcTicks) =>
        ChargeMicros(in tenant.EntryAt(model, utcTicks), inputTokens, outputTokens, tenant.MinimumChargeMicros);

    /// <summary>The first timeline start after <paramref name="utcTicks"/>, or <see cref="long.MaxValue"/>: until then every quote equals one at <paramref name="utcTicks"/>.</summary>
    internal long NextChangeAfter(long utcTicks)
    {
        var i = Array.BinarySearch(_changes, utcTicks);
        i = i >= 0 ? i + 1 : ~i;
        return i < _changes.Length ? _changes[i] : long.MaxValue;
    }

    /// <summary><see cref="Quote"/> at an instant in UTC ticks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal PriceQuote QuoteAt(Guid tenantId, string modelId, int inputTokens, int outputTokens, long utcTicks)
    {
        // Built in the return value itself, not in a local that is then copied out.
        ref readonly var prices = ref PricesAt(tenantId, modelId, inputTokens, outputTokens, utcTicks, out var minimumChargeMicros);
        if (Unsafe.IsNullRef(in prices))
        {
            ThrowUnpriced(tenantId, modelId, inputTokens, outputTokens);
        }

        return new PriceQuote(in prices, inputTokens, outputTokens, minimumChargeMicros);
    }

    /// <summary><see cref="TryQuote"/> at an instant in UTC ticks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryQuoteAt(Guid tenantId, string modelId, int inputTokens, int outputTokens, long utcTicks, out PriceQuote quote)
    {
        ref readonly var prices = ref PricesAt(tenantId, modelId, inputTokens, outputTokens, utcTicks, out var minimumChargeMicros);
        if (Unsafe.IsNullRef(in prices))
        {
            quote = default;
            return false;
        }

        quote = new PriceQuote(in prices, inputTokens, outputTokens, minimumChargeMicros);
        return true;
    }

    /// <summary>The entry a quote copies (its amounts are computed when read), or a null reference when the request cannot be priced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref readonly Entry PricesAt(Guid tenantId, string modelId, int inputTokens, int outputTokens, long utcTicks, out long minimumChargeMicros)
    {
        if ((inputTokens | outputTokens) < 0 || modelId is null || _tenants.Find(tenantId) is not { } tenant
            || _catalog.Models.IndexOf(modelId) is var model && model < 0)
        {
            minimumChargeMicros = 0;
            return ref Unsafe.NullRef<Entry>();
        }

        minimumChargeMicros = tenant.MinimumChargeMicros;
        return ref tenant.EntryAt(model, utcTicks);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowUnpriced(Guid tenantId, string modelId, int inputTokens, int outputTokens) =>
        throw new PricingException(Explain(tenantId, modelId, inputTokens, outputTokens));

    /// <summary>The charge of an entry's prices, in whole micro-dollars: the one place the rounding is written in integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long ChargeMicros(in Entry e, int input, int output, long minimumMicros)
    {
        // (input × userIn + output × userOut) / 1e6 in micro-dollars, rounded half up (all terms are non-negative).
        // userX = wholeX × 1e6 + fracX keeps every product inside 64 bits for any int token count.
        // Unsigned, so the division by the constant is one multiply and a shift.
        var micros = ((ulong)(uint)input * (uint)e.UserInputWhole) + ((ulong)(uint)output * (uint)e.UserOutputWhole)
            + ((((ulong)(uint)input * (uint)e.UserInputFraction) + ((ulong)(uint)output * (uint)e.UserOutputFraction) + (MicrosPerUnit / 2)) / MicrosPerUnit);
        return Math.Max((long)micros, minimumMicros);
    }

    private string Explain(Guid tenantId, string modelId, int inputTokens, int outputTokens)
    {
        if ((inputTokens | outputTokens) < 0)
        {
            return $"Token counts must be 0 or more (got {inputTokens} input, {outputTokens} output).";
        }

        if (_tenants.Find(tenantId) is null)
        {
            return $"Tenant {tenantId} has no pricing in this snapshot.";
        }

        return $"Model '{modelId}' is not priced in this snapshot.";
    }

    /// <summary>
    /// One tenant's pricing: its markup profile's row of entries (shared with every tenant of the same markups) and,
    /// for the models with overrides or base prices, a bitmap of those models and their timelines in model order.
    /// </summary>
    internal sealed class TenantState(Entry[] row, long minimumChargeMicros, ulong[]? special, int[]? rank, Timeline[] timelines)
    {
        public Entry[] Row { get; } = row;

        public long MinimumChargeMicros { get; } = minimumChargeMicros;

        public Timeline[] Timelines { get; } = timelines;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ref readonly Entry EntryAt(int model, long utcTicks)
        {
            if (special is not null)
            {
                var word = special[model >> 6];
                var bit = 1UL << model;
                if ((word & bit) != 0)
                {
                    ref readonly var timeline = ref Timelines[rank![model >> 6] + BitOperations.PopCount(word & (bit - 1))];
                    return ref timeline.Entries[Timeline.IndexAt(timeline.Starts, utcTicks)];
                }
            }

            return ref Row[model];
        }

        public Timeline? TimelineOf(int model) =>
            special is not null && (special[model >> 6] & (1UL << model)) != 0
                ? Timelines[rank![model >> 6] + BitOperations.PopCount(special[model >> 6] & ((1UL << model) - 1))]
                : null;
    }

    /// <summary>Segments of one tenant and model: <c>Entries[i]</c> applies from <c>Starts[i]</c> (UTC ticks; <c>Starts[0]</c> is the minimum).</summary>
    internal readonly record struct Timeline(long[] Starts, Entry[] Entries)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int IndexAt(long[] starts, long ticks)
        {
            var i = starts.Length - 1;
            while (starts[i] > ticks)
            {
                i--;
            }

            return i;
        }
    }

    /// <summary>
    /// A price as the quote path reads it: 32 bytes, two per cache line. Base prices (&lt; 2^40 micro-dollars) share
    /// their words with the markup itself (packed in 20 bits, see <see cref="PriceQuote.TryPackMarkup"/>) and the
    /// override flag; user prices (at most ~11 M dollars) are whole dollars and the micro-dollar remainder.
    /// </summary>
    internal readonly struct Entry
    {
        /// <summary>Bits of a base price (micro-dollars per 1M tokens; at most <see cref="PricingRules.MaxPricePer1M"/> needs 40).</summary>
        public const int BasePriceBits = 40;

        /// <summary>The largest base price an entry holds, in micro-dollars per 1M tokens (also the mask of its bits).</summary>
        public const long MaxBasePriceMicros = (1L << BasePriceBits) - 1;

        private readonly long _baseInputAndMarkup;
        private readonly long _baseOutputAndOverride;

        public Entry(decimal baseInput, decimal baseOutput, decimal markup, bool overrideApplied)
            : this(
                ToMicros(baseInput),
                ToMicros(baseOutput),
                PriceQuote.TryPackMarkup(markup, out var packedMarkup)
                    ? packedMarkup
                    : throw new ArgumentOutOfRangeException(nameof(markup), markup, $"A markup is 0 to {PricingRules.MaxMarkup} with at most 4 decimals."),
                overrideApplied,
                ToMicros(PricingRules.UserPrice(baseInput, markup)),
                ToMicros(PricingRules.UserPrice(baseOutput, markup)))
        {
        }

        /// <summary>An entry from whole micro-dollars: base prices up to <see cref="MaxBasePriceMicros"/>, user prices whose whole dollars fit an int.</summary>
        public Entry(long baseInputMicros, long baseOutputMicros, uint packedMarkup, bool overrideApplied, long userInputMicros, long userOutputMicros)
        {
            Debug.Assert((ulong)baseInputMicros <= MaxBasePriceMicros && (ulong)baseOutputMicros <= MaxBasePriceMicros);
            Debug.Assert(userInputMicros >= 0 && userInputMicros / MicrosPerUnit <= int.MaxValue && userOutputMicros >= 0 && userOutputMicros / MicrosPerUnit <= int.MaxValue);
            _baseInputAndMarkup = baseInputMicros | ((long)packedMarkup << BasePriceBits);
            _baseOutputAndOverride = baseOutputMicros | (overrideApplied ? 1L << BasePriceBits : 0);
            UserInputWhole = (int)(userInputMicros / MicrosPerUnit);
            UserInputFraction = (int)(userInputMicros % MicrosPerUnit);
            UserOutputWhole = (int)(userOutputMicros / MicrosPerUnit);
            UserOutputFraction = (int)(userOutputMicros % MicrosPerUnit);
        }

        public int UserInputWhole { get; }

        public int UserInputFraction { get; }

        public int UserOutputWhole { get; }

        public int UserOutputFraction { get; }

        public long BaseInputMicros => _baseInputAndMarkup & MaxBasePriceMicros;

        public long BaseOutputMicros => _baseOutputAndOverride & MaxBasePriceMicros;

        public uint PackedMarkup => (uint)((ulong)_baseInputAndMarkup >> BasePriceBits);

        public bool OverrideApplied => (_baseOutputAndOverride >> BasePriceBits) != 0;

        public long UserInputMicros => (UserInputWhole * MicrosPerUnit) + UserInputFraction;

        public long UserOutputMicros => (UserOutputWhole * MicrosPerUnit) + UserOutputFraction;
    }

    private static long ToMicros(decimal dollars) => (long)(dollars * MicrosPerUnit);
}
