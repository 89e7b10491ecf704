namespace Radiant.Pricing;

/// <summary>
/// Receives provider price changes above a tenant's notify threshold. Implement it to email admins, post to a
/// webhook, etc.; the default implementation writes a log entry.
/// </summary>
public interface IPriceChangeNotifier
{
    /// <summary>Handles one notification. Called after the change is committed.</summary>
    Task NotifyAsync(PriceChangeNotification notification, CancellationToken cancellationToken = default);
}

/// <summary>A provider list price moved for a tenant by more than its threshold.</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="ModelId">The model.</param>
/// <param name="PreviousInputPricePer1M">Base input price before.</param>
/// <param name="PreviousOutputPricePer1M">Base output price before.</param>
/// <param name="NewInputPricePer1M">Base input price after.</param>
/// <param name="NewOutputPricePer1M">Base output price after.</param>
/// <param name="ChangePercent">The larger relative change of the two prices, in percent (positive for a rise).</param>
/// <param name="EffectiveFrom">When the new price applies to the tenant.</param>
public sealed record PriceChangeNotification(
    Guid TenantId,
    string ModelId,
    decimal PreviousInputPricePer1M,
    decimal PreviousOutputPricePer1M,
    decimal NewInputPricePer1M,
    decimal NewOutputPricePer1M,
    decimal ChangePercent,
    DateTimeOffset EffectiveFrom);
