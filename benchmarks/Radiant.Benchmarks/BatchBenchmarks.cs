using BenchmarkDotNet.Attributes;
using Radiant.Pricing;

namespace Radiant.Benchmarks;

/// <summary>
/// Charging 10,000 usage lines at one instant, models pre-resolved to handles (<see cref="PricingSnapshot.Resolve"/>).
/// <c>OperationsPerInvoke</c> is the line count, so the figures are per quote.
/// </summary>
[MemoryDiagnoser]
public class BatchBenchmarks
{
    private const int LineCount = 10_000;

    private QuoteRequest[] _requests = null!;
    private UsageLine[] _lines = null!;
    private ResolvedDecimalLine[] _resolved = null!;
    private long[] _chargesMicros = null!;
    private decimal[] _charges = null!;
    private PricingSnapshot _snapshot = null!;
    private StraightforwardPricing _straightforward = null!;

    /// <summary>Builds the lines and checks that the engine's micro-dollars equal the decimal charges on every line.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var dataset = PricingDataset.Create();
        _snapshot = dataset.BuildSnapshot();
        _straightforward = dataset.BuildStraightforward();
        _requests = dataset.Requests(LineCount, seed: 11);
        _lines = [.. _requests.Select(r => new UsageLine(_snapshot.Resolve(r.TenantId, r.ModelId), r.InputTokens, r.OutputTokens))];
        _resolved = [.. _requests.Select(r => ResolvedDecimalLine.Create(_straightforward, r, PricingDataset.At))];
        _chargesMicros = new long[LineCount];
        _charges = new decimal[LineCount];

        Straightforward();
        var expected = _charges.ToArray();
        EngineQuoteBatch();
        Verification.ChargesAgree(_chargesMicros, expected, "engine QuoteBatch == straightforward decimal");
        Array.Clear(_charges);
        DecimalPreResolved();
        Verification.ChargesAgree(_chargesMicros, _charges, "engine QuoteBatch == pre-resolved decimal");
    }

    /// <summary>Baseline: the straightforward quote (lookups and decimal arithmetic) per line.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = LineCount)]
    public void Straightforward()
    {
        var requests = _requests;
        var charges = _charges;
        for (var i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            charges[i] = _straightforward.Quote(r.TenantId, r.ModelId, r.InputTokens, r.OutputTokens, PricingDataset.At).Charge;
        }
    }

    /// <summary>
    /// The best a decimal version can do: lookups hoisted out as well (user prices per 1M and the minimum resolved once
    /// per line), leaving only the decimal charge arithmetic per line.
    /// </summary>
    [Benchmark(OperationsPerInvoke = LineCount)]
    public void DecimalPreResolved()
    {
        var lines = _resolved;
        var charges = _charges;
        for (var i = 0; i < lines.Length; i++)
        {
            ref readonly var l = ref lines[i];
            charges[i] = Math.Max(PricingRules.RoundMicros(((l.InputTokens * l.UserInput) + (l.OutputTokens * l.UserOutput)) / 1_000_000m), l.MinimumCharge);
        }
    }

    /// <summary>The engine: <see cref="PricingSnapshot.QuoteBatch"/>, integer micro-dollars.</summary>
    [Benchmark(OperationsPerInvoke = LineCount)]
    public void EngineQuoteBatch() => _snapshot.QuoteBatch(_lines, PricingDataset.At, _chargesMicros);

    /// <summary>A usage line whose tenant and model were resolved once, for the decimal version.</summary>
    private readonly record struct ResolvedDecimalLine(decimal UserInput, decimal UserOutput, decimal MinimumCharge, int InputTokens, int OutputTokens)
    {
        public static ResolvedDecimalLine Create(StraightforwardPricing pricing, QuoteRequest r, DateTimeOffset at)
        {
            var quote = pricing.Quote(r.TenantId, r.ModelId, 0, 0, at);
            return new ResolvedDecimalLine(quote.UserInputPricePer1M, quote.UserOutputPricePer1M, pricing.Config(r.TenantId).MinimumChargePerRequest, r.InputTokens, r.OutputTokens);
        }
    }
}
