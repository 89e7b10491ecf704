using Dapper;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;

namespace Radiant.Postgres.Pricing;

/// <summary>Reads every tenant's pricing in the read-only system scope and builds a snapshot.</summary>
internal sealed class PricingSnapshotLoader
{
    private readonly RadiantDb _db;
    private readonly string _sql;
    private long _version;

    public PricingSnapshotLoader(RadiantDb db)
    {
        _db = db;
        _sql = db.Sql(
            """
            SELECT id, input_price, output_price, provider_id = 'self_hosted' FROM {schema}.models;
            SELECT t.tenant_id, c.external_default_markup, c.self_hosted_default_markup, c.minimum_charge_per_request,
                   c.price_increase_grace_period_hours, c.auto_update_from_providers, c.notify_on_price_change, c.notify_threshold_percent
            FROM {schema}.tenants t LEFT JOIN {schema}.pricing_config c ON c.tenant_id = t.tenant_id;
            SELECT tenant_id, model_id, markup, input_price, output_price, effective_from, effective_to FROM {schema}.model_pricing_overrides;
            SELECT tenant_id, model_id, input_price, output_price, effective_from FROM {schema}.tenant_base_prices;
            """);
    }

    /// <summary>Loads a snapshot. Versions are taken when a load starts, so a later load always carries a higher one.</summary>
    public Task<PricingSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        var version = Interlocked.Increment(ref _version);
        return _db.InScopeAsync(
            RadiantScope.System,
            async (connection, transaction) =>
            {
                var builder = new PricingSnapshotBuilder();
                await using var results = await connection.QueryMultipleAsync(new CommandDefinition(_sql, transaction: transaction, cancellationToken: cancellationToken));
                foreach (var (id, input, output, selfHosted) in await results.ReadAsync<(string, decimal, decimal, bool)>())
                {
                    builder.AddModel(id, input, output, selfHosted);
                }

                foreach (var t in await results.ReadAsync<TenantRow>())
                {
                    builder.AddTenant(t.tenant_id, t.external_default_markup is null ? null : new TenantPricingConfig
                    {
                        ExternalDefaultMarkup = t.external_default_markup.Value,
                        SelfHostedDefaultMarkup = t.self_hosted_default_markup!.Value,
                        MinimumChargePerRequest = t.minimum_charge_per_request!.Value,
                        PriceIncreaseGracePeriodHours = t.price_increase_grace_period_hours!.Value,
                        AutoUpdateFromProviders = t.auto_update_from_providers!.Value,
                        NotifyOnPriceChange = t.notify_on_price_change!.Value,
                        NotifyThresholdPercent = t.notify_threshold_percent!.Value,
                    });
                }

                foreach (var o in await results.ReadAsync<(Guid Tenant, string Model, decimal? Markup, decimal? Input, decimal? Output, DateTime From, DateTime? To)>())
                {
                    builder.AddOverride(o.Tenant, new ModelPriceOverride(
                        o.Model, o.Markup, o.Input, o.Output, JsonColumns.Utc(o.From), o.To is { } to ? JsonColumns.Utc(to) : null));
                }

                foreach (var b in await results.ReadAsync<(Guid Tenant, string Model, decimal Input, decimal Output, DateTime From)>())
                {
                    builder.AddBasePrice(b.Tenant, new TenantBasePrice(b.Model, b.Input, b.Output, JsonColumns.Utc(b.From)));
                }

                return builder.Build(version);
            },
            cancellationToken);
    }

#pragma warning disable IDE1006, CA1707 // Column names as Dapper reads them.
    private sealed record TenantRow(
        Guid tenant_id, decimal? external_default_markup, decimal? self_hosted_default_markup, decimal? minimum_charge_per_request,
        int? price_increase_grace_period_hours, bool? auto_update_from_providers, bool? notify_on_price_change, decimal? notify_threshold_percent);
#pragma warning restore IDE1006, CA1707
}
