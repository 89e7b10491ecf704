using Radiant.Tenancy;

namespace Radiant.Registry;

/// <summary>
/// The provider and model registry: a global catalogue synced from a <see cref="ModelCatalog"/>, with per-tenant
/// switches that a tenant's admins control (<see cref="Errors.RadiantForbiddenException"/> for other callers).
/// Switches never affect another tenant.
/// </summary>
public interface IModelRegistry
{
    /// <summary>
    /// Brings the catalogue into the database idempotently: new providers and models are added, descriptive fields
    /// updated, admin pricing never touched. A changed list price is recorded per tenant (see remarks of
    /// <see cref="ModelSyncResult"/>). Running it twice changes nothing the second time.
    /// </summary>
    Task<ModelSyncResult> SyncAsync(ModelCatalog catalog, CancellationToken cancellationToken = default);

    /// <summary>Lists the catalogue as a tenant sees it, optionally only enabled (or only disabled) models, by display order.</summary>
    Task<IReadOnlyList<RegistryModel>> ListModelsAsync(RadiantCaller caller, bool? enabled = null, CancellationToken cancellationToken = default);

    /// <summary>Enables or disables a model for a tenant.</summary>
    Task<RegistryModel> SetEnabledAsync(RadiantCaller caller, string modelId, bool enabled, CancellationToken cancellationToken = default);

    /// <summary>Offers or withdraws a model in a tenant's Think Tank.</summary>
    Task<RegistryModel> SetThinkTankEnabledAsync(RadiantCaller caller, string modelId, bool enabled, CancellationToken cancellationToken = default);
}

/// <summary>A model as a tenant sees it.</summary>
/// <param name="Definition">The catalogue entry (with the current list prices).</param>
/// <param name="IsEnabled">Enabled for this tenant.</param>
/// <param name="ThinkTankEnabled">Offered in this tenant's Think Tank.</param>
public sealed record RegistryModel(ModelDefinition Definition, bool IsEnabled, bool ThinkTankEnabled);

/// <summary>What a sync changed.</summary>
/// <param name="ProvidersAdded">Providers inserted.</param>
/// <param name="ProvidersUpdated">Providers whose descriptive fields changed.</param>
/// <param name="ModelsAdded">Models inserted.</param>
/// <param name="ModelsUpdated">Models whose descriptive fields changed.</param>
/// <param name="PriceChanges">Models whose list price changed.</param>
/// <param name="TenantPriceUpdates">Price changes applied to tenants with auto-update on (one <c>auto_sync</c> history row each).</param>
/// <param name="Notifications">Price-change notifications raised.</param>
/// <remarks>
/// For a tenant with auto-update on, a new list price takes effect at once when it is lower and after the tenant's
/// grace period when it is higher. A tenant with auto-update off keeps the price it had.
/// </remarks>
public sealed record ModelSyncResult(
    int ProvidersAdded, int ProvidersUpdated, int ModelsAdded, int ModelsUpdated, int PriceChanges, int TenantPriceUpdates, int Notifications)
{
    /// <summary>True when the sync changed nothing.</summary>
    public bool IsNoOp => ProvidersAdded + ProvidersUpdated + ModelsAdded + ModelsUpdated + PriceChanges == 0;
}
