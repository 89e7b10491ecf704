using System.Collections.Concurrent;
using System.Diagnostics;
using Radiant.Pricing;
using Radiant.Registry;

namespace Radiant.Tests.Pricing;

/// <summary>Waits for a condition by polling with a deadline (never a blind delay).</summary>
public static class Eventually
{
    /// <summary>How long a change may take to show before a test gives up.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <summary>How often the condition is checked.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls until <paramref name="condition"/> holds; false when the deadline passed first.</summary>
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (deadline ?? Deadline))
            {
                return false;
            }

            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }

        return true;
    }

    /// <summary>Polls an async condition until it holds; false when the deadline passed first.</summary>
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (deadline ?? Deadline))
            {
                return false;
            }

            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }

        return true;
    }

    /// <summary>Polls the engine until its current snapshot satisfies <paramref name="until"/>, and returns that snapshot.</summary>
    public static async Task<PricingSnapshot> SnapshotAsync(IPricingEngine engine, Func<PricingSnapshot, bool> until)
    {
        PricingSnapshot? found = null;
        var ok = await TrueAsync(() =>
        {
            var snapshot = engine.Current;
            found = until(snapshot) ? snapshot : null;
            return found is not null;
        });

        Assert.True(ok, $"The engine's snapshot did not reach the expected state within {Deadline}.");
        return found!;
    }

    /// <summary>
    /// Polls the engine until a quote satisfies <paramref name="until"/> and returns it; after the deadline returns the
    /// last quote seen, so the caller's assertion shows what the engine answered instead.
    /// </summary>
    public static async Task<PriceQuote> QuoteAsync(
        IPricingEngine engine, Guid tenantId, string modelId, int inputTokens, int outputTokens, Func<PriceQuote, bool> until, DateTimeOffset? at = null)
    {
        PriceQuote? last = null;
        await TrueAsync(() =>
        {
            if (!engine.TryQuote(tenantId, modelId, inputTokens, outputTokens, out var quote, at))
            {
                return false;
            }

            last = quote;
            return until(quote);
        });

        return last ?? throw new Xunit.Sdk.XunitException($"The engine never priced tenant {tenantId}, model '{modelId}' within {Deadline}.");
    }
}

/// <summary>A host's notifier as a test sees it: collects every notification, after throwing on the first <paramref name="failures"/> calls.</summary>
public sealed class CollectingNotifier(int failures = 0) : IPriceChangeNotifier
{
    private readonly ConcurrentQueue<PriceChangeNotification> _received = new();
    private int _calls;

    public IReadOnlyList<PriceChangeNotification> Received => [.. _received];

    /// <summary>Every call, failed ones included.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public Task NotifyAsync(PriceChangeNotification notification, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref _calls) <= failures)
        {
            throw new InvalidOperationException("The host's mail server is down.");
        }

        _received.Enqueue(notification);
        return Task.CompletedTask;
    }
}

/// <summary>Catalogues derived from the built-in one.</summary>
public static class Catalogs
{
    /// <summary>The built-in catalogue with one model's list prices changed.</summary>
    public static ModelCatalog WithPrice(string modelId, decimal inputPricePer1M, decimal outputPricePer1M) =>
        WithPrice(BuiltInCatalog.Catalog, modelId, inputPricePer1M, outputPricePer1M);

    /// <summary>A catalogue with one model's list prices changed.</summary>
    public static ModelCatalog WithPrice(ModelCatalog catalog, string modelId, decimal inputPricePer1M, decimal outputPricePer1M)
    {
        Assert.Contains(catalog.Models, m => m.Id == modelId);
        return catalog with
        {
            Models = [.. catalog.Models.Select(m => m.Id == modelId ? m with { InputPricePer1M = inputPricePer1M, OutputPricePer1M = outputPricePer1M } : m)],
        };
    }
}
