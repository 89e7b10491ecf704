using Dapper;
using Npgsql;
using Radiant.Pricing;
using Radiant.Postgres.Tenancy;

namespace Radiant.Postgres.Pricing;

/// <summary>SQL shared by the pricing services, built once for the configured schema.</summary>
internal sealed class PricingSql(RadiantDb db)
{
    /// <summary>
    /// The NOTIFY channel the pricing engine and the routing catalogue listen on: a price, the catalogue or a tenant's
    /// model switch changed. The payload is the tenant id, or '*' for every tenant.
    /// </summary>
    public string Channel { get; } = RadiantChannels.Pricing(db);

    public string EnsureConfig { get; } = db.Sql("INSERT INTO {schema}.pricing_config (tenant_id) VALUES (@tenantId) ON CONFLICT (tenant_id) DO NOTHING");

    /// <summary>
    /// Locks the tenant's config row: every pricing change of a tenant runs one at a time. "Now" is read with
    /// <c>clock_timestamp()</c> in a second statement, once the lock is granted: not <c>now()</c> (the transaction's
    /// start), and not in the locking SELECT's own target list, which PostgreSQL computes before waiting for the lock.
    /// So a change that waited judges prices against what committed meanwhile.
    /// </summary>
    public string LockConfig { get; } = db.Sql(
        """
        SELECT external_default_markup AS ExternalDefaultMarkup, self_hosted_default_markup AS SelfHostedDefaultMarkup,
               minimum_charge_per_request AS MinimumChargePerRequest, price_increase_grace_period_hours AS PriceIncreaseGracePeriodHours,
               auto_update_from_providers AS AutoUpdateFromProviders, auto_update_frequency AS AutoUpdateFrequency,
               notify_on_price_change AS NotifyOnPriceChange, notify_threshold_percent AS NotifyThresholdPercent
        FROM {schema}.pricing_config WHERE tenant_id = @tenantId FOR UPDATE;
        SELECT clock_timestamp();
        """);

    public string ReadConfig { get; } = db.Sql(
        """
        SELECT external_default_markup AS ExternalDefaultMarkup, self_hosted_default_markup AS SelfHostedDefaultMarkup,
               minimum_charge_per_request AS MinimumChargePerRequest, price_increase_grace_period_hours AS PriceIncreaseGracePeriodHours,
               auto_update_from_providers AS AutoUpdateFromProviders, auto_update_frequency AS AutoUpdateFrequency,
               notify_on_price_change AS NotifyOnPriceChange, notify_threshold_percent AS NotifyThresholdPercent,
               clock_timestamp() AS Now
        FROM {schema}.pricing_config WHERE tenant_id = @tenantId
        """);

    public string Notify { get; } = "SELECT pg_notify(@channel, @payload)";

    public async Task<ConfigRow> LockConfigAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(EnsureConfig, new { tenantId }, transaction, cancellationToken: cancellationToken));
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(LockConfig, new { tenantId }, transaction, cancellationToken: cancellationToken));
        var row = await results.ReadSingleAsync<ConfigRow>();
        row.Now = await results.ReadSingleAsync<DateTime>();
        return row;
    }

    public Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string payload, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(Notify, new { channel = Channel, payload }, transaction, cancellationToken: cancellationToken));

    internal sealed class ConfigRow
    {
        public decimal ExternalDefaultMarkup { get; init; }
        public decimal SelfHostedDefaultMarkup { get; init; }
        public decimal MinimumChargePerRequest { get; init; }
        public int PriceIncreaseGracePeriodHours { get; init; }
        public bool AutoUpdateFromProviders { get; init; }
        public string AutoUpdateFrequency { get; init; } = "daily";
        public bool NotifyOnPriceChange { get; init; }
        public decimal NotifyThresholdPercent { get; init; }
        public DateTime Now { get; set; }

        public DateTimeOffset NowUtc => JsonColumns.Utc(Now);

        public TenantPricingConfig ToConfig() => new()
        {
            ExternalDefaultMarkup = ExternalDefaultMarkup,
            SelfHostedDefaultMarkup = SelfHostedDefaultMarkup,
            MinimumChargePerRequest = MinimumChargePerRequest,
            PriceIncreaseGracePeriodHours = PriceIncreaseGracePeriodHours,
            AutoUpdateFromProviders = AutoUpdateFromProviders,
            AutoUpdateFrequency = DbEnum.Parse<PriceUpdateFrequency>(AutoUpdateFrequency),
            NotifyOnPriceChange = NotifyOnPriceChange,
            NotifyThresholdPercent = NotifyThresholdPercent,
        };
    }
}
