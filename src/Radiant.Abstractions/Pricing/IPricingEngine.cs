namespace Radiant.Pricing;

/// <summary>
/// Prices requests from an in-memory <see cref="PricingSnapshot"/> kept current by the provider (changes made on
/// any host instance arrive within a second). Thread-safe and allocation-free per quote.
/// </summary>
public interface IPricingEngine
{
    /// <summary>The snapshot quotes are answered from right now.</summary>
    PricingSnapshot Current { get; }

    /// <summary>Quotes a request at <paramref name="at"/> (now when null); throws <see cref="PricingException"/> for an unknown tenant or model.</summary>
    PriceQuote Quote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset? at = null);

    /// <summary>Quotes a request; false for an unknown tenant or model (never a zero price).</summary>
    bool TryQuote(Guid tenantId, string modelId, int inputTokens, int outputTokens, out PriceQuote quote, DateTimeOffset? at = null);

    /// <summary>Reloads the snapshot now (normally not needed: changes are pushed). Returns the new snapshot.</summary>
    Task<PricingSnapshot> RefreshAsync(CancellationToken cancellationToken = default);
}
