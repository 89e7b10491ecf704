using Dapper;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;

namespace Radiant.Postgres.Pricing;

/// <summary>
/// Reads tenants' pricing in the read-only system scope: every tenant's and the catalogue (a full snapshot), or only
/// some tenants' rows, applied to the current snapshot (a per-tenant reload).
/// </summary>
internal sealed class PricingSnapshotLoader
{
    private const string ModelsSql = "SELECT id, input_price, output_price, provider_id = 'self_hosted' FROM {schema}.models;";

    // The tenants' rows, one statement per table; {filter} is empty for every tenant or restricts each to @ids.
    private const string TenantsSql =
        """
        SELECT t.tenant_id, c.external_default_markup, c.self_hosted_default_markup, c.minimum_charge_per_request,
               c.price_increase_grace_period_hours, c.auto_update_from_providers, c.notify_on_price_change, c.notify_threshold_percent
        FROM {schema}.tenants t LEFT JOIN {schema}.pricing_config c ON c.tenant_id = t.tenant_id{filter:t};
        SELECT tenant_id, model_id, markup, input_price, output_price, effective_from, effective_to FROM {schema}.model_pricing_overrides{filter};
        SELECT tenant_id, model_id, input_price, output_price, effective_from FROM {schema}.tenant_base_prices{filter};
        """;

    private readonly RadiantDb _db;
    private readonly string _sql;
    private readonly string _tenantsSql;
    private long _version;

    public PricingSnapshotLoader(RadiantDb db)
    {
        _db = db;
        _sql = db.Sql(ModelsSql + "\n" + TenantsSql.Replace("{filter:t}", "", StringComparison.Ordinal).Replace("{filter}", "", StringComparison.Ordinal));
        _tenantsSql = db.Sql(TenantsSql
            .Replace("{filter:t}", " WHERE t.tenant_id = ANY(@ids)", StringComparison.Ordinal)
            .Replace("{filter}", " WHERE tenant_id = ANY(@ids)", StringComparison.Ordinal));
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

                var rows = await ReadTenantsAsync(results);
                foreach (var (tenantId, config) in rows.Tenants)
                {
                    builder.AddTenant(tenantId, config);
                }

                foreach (var (tenantId, o) in rows.Overrides)
                {
                    builder.AddOverride(tenantId, o);
                }

                foreach (var (tenantId, b) in rows.BasePrices)
                {
                    builder.AddBasePrice(tenantId, b);
                }

                return builder.Build(version);
            },
            cancellationToken);
    }

    /// <summary>
    /// Reloads only the given tenants: reads their rows (a tenant no longer in the database is removed) and builds their
    /// pricing against <paramref name="current"/>'s catalogue, sharing everything else with it. Null when a row names a
    /// model <paramref name="current"/> does not have (the catalogue changed since: a full reload is needed). The
    /// version is taken when the load starts, like <see cref="LoadAsync"/>'s.
    /// </summary>
    public Task<PricingSnapshot?> LoadTenantsAsync(PricingSnapshot current, IReadOnlyCollection<Guid> tenantIds, CancellationToken cancellationToken)
    {
        var version = Interlocked.Increment(ref _version);
        var ids = tenantIds.Distinct().ToArray();
        return _db.InScopeAsync(
            RadiantScope.System,
            async (connection, transaction) =>
            {
                await using var results = await connection.QueryMultipleAsync(new CommandDefinition(_tenantsSql, new { ids }, transaction, cancellationToken: cancellationToken));
                var rows = await ReadTenantsAsync(results);
                if (rows.Overrides.Any(o => current.IndexOf(o.Override.ModelId) < 0) || rows.BasePrices.Any(b => current.IndexOf(b.Price.ModelId) < 0))
                {
                    return null;
                }

                var overrides = rows.Overrides.ToLookup(o => o.Tenant, o => o.Override);
                var basePrices = rows.BasePrices.ToLookup(b => b.Tenant, b => b.Price);
                var present = new List<(Guid, TenantPricingConfig?, IReadOnlyList<ModelPriceOverride>, IReadOnlyList<TenantBasePrice>)>(rows.Tenants.Count);
                foreach (var (tenantId, config) in rows.Tenants)
                {
                    present.Add((tenantId, config, [.. overrides[tenantId]], [.. basePrices[tenantId]]));
                }

                var removed = ids.Except(rows.Tenants.Select(t => t.Tenant)).ToList();
                return current.WithTenants(present, removed, version);
            },
            cancellationToken);
    }

    private static async Task<TenantRows> ReadTenantsAsync(SqlMapper.GridReader results)
    {
        var tenants = (await results.ReadAsync<TenantRow>())
            .Select(t => (t.tenant_id, t.external_default_markup is null ? null : new TenantPricingConfig
            {
                ExternalDefaultMarkup = t.external_default_markup.Value,
                SelfHostedDefaultMarkup = t.self_hosted_default_markup!.Value,
                MinimumChargePerRequest = t.minimum_charge_per_request!.Value,
                PriceIncreaseGracePeriodHours = t.price_increase_grace_period_hours!.Value,
                AutoUpdateFromProviders = t.auto_update_from_providers!.Value,
                NotifyOnPriceChange = t.notify_on_price_change!.Value,
                NotifyThresholdPercent = t.notify_threshold_percent!.Value,
            }))
            .ToList();
        var overrides = (await results.ReadAsync<(Guid Tenant, string Model, decimal? Markup, decimal? Input, decimal? Output, DateTime From, DateTime? To)>())
            .Select(o => (o.Tenant, new ModelPriceOverride(o.Model, o.Markup, o.Input, o.Output, JsonColumns.Utc(o.From), o.To is { } to ? JsonColumns.Utc(to) : null)))
            .ToList();
        var basePrices = (await results.ReadAsync<(Guid Tenant, string Model, decimal Input, decimal Output, DateTime From)>())
            .Select(b => (b.Tenant, new TenantBasePrice(b.Model, b.Input, b.Output, JsonColumns.Utc(b.From))))
            .ToList();
        return new TenantRows(tenants, overrides, basePrices);
    }

    private sealed record TenantRows(
        List<(Guid Tenant, TenantPricingConfig? Config)> Tenants,
        List<(Guid Tenant, ModelPriceOverride Override)> Overrides,
        List<(Guid Tenant, TenantBasePrice Price)> BasePrices);

#pragma warning disable IDE1006, CA1707 // Column names as Dapper reads them.
    private sealed record TenantRow(
        Guid tenant_id, decimal? external_default_markup, decimal? self_hosted_default_markup, decimal? minimum_charge_per_request,
        int? price_increase_grace_period_hours, bool? auto_update_from_providers, bool? notify_on_price_change, decimal? notify_threshold_percent);
#pragma warning restore IDE1006, CA1707
}
