using Dapper;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Pricing;
using Radiant.Postgres.Registry;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.Pricing;

internal sealed class PostgresPricingAdminService : IPricingAdminService
{
    private const string ManagePricing = "see or change the tenant's pricing";

    private readonly RadiantDb _db;
    private readonly PricingSql _sql;
    private readonly string _modelExistsSql;
    private readonly string _effectiveSql;
    private readonly string _defaultsSql;
    private readonly string _overridesSql;
    private readonly string _replaceSql;
    private readonly string _insertOverrideSql;
    private readonly string _deleteAllSql;
    private readonly string _historySql;
    private readonly string _markupHistorySql;
    private readonly string _updateConfigSql;
    private readonly string _listHistorySql;

    public PostgresPricingAdminService(RadiantDb db, PricingSql sql)
    {
        _db = db;
        _sql = sql;
        _modelExistsSql = db.Sql("SELECT provider_id = 'self_hosted' FROM {schema}.models WHERE id = @modelId");
        _effectiveSql = db.Sql(
            """
            SELECT e.model_id AS ModelId, e.display_name AS DisplayName, e.provider_id AS ProviderId, e.is_novel AS IsNovel,
                   e.category AS Category, e.base_input_price AS BaseInput, e.base_output_price AS BaseOutput,
                   e.effective_markup AS Markup, e.user_input_price AS UserInput, e.user_output_price AS UserOutput,
                   e.has_override AS HasOverride
            FROM {schema}.effective_model_prices(@modelId, @at) e
            JOIN {schema}.models m ON m.id = e.model_id
            ORDER BY m.display_order, m.id
            """);
        // The model's price with no override: the tenant's base price (or the catalogue's) and the default markup.
        _defaultsSql = db.Sql(
            """
            SELECT coalesce(b.input_price, m.input_price) AS BaseInput, coalesce(b.output_price, m.output_price) AS BaseOutput
            FROM {schema}.models m
            LEFT JOIN LATERAL (
                SELECT input_price, output_price FROM {schema}.tenant_base_prices
                WHERE tenant_id = @tenantId AND model_id = m.id AND effective_from <= @at
                ORDER BY effective_from DESC LIMIT 1) b ON true
            WHERE m.id = @modelId
            """);
        _overridesSql = db.Sql(
            """
            SELECT model_id AS ModelId, markup AS Markup, input_price AS InputPrice, output_price AS OutputPrice,
                   effective_from AS EffectiveFrom, effective_to AS EffectiveTo
            FROM {schema}.model_pricing_overrides
            WHERE tenant_id = @tenantId AND (@modelId::text IS NULL OR model_id = @modelId) AND (effective_to IS NULL OR effective_to > @at)
            ORDER BY effective_from
            """);
        // Replacing: drop pending overrides, end the current one where the new one starts, drop what has ended.
        _replaceSql = db.Sql(
            """
            DELETE FROM {schema}.model_pricing_overrides WHERE tenant_id = @tenantId AND model_id = @modelId AND effective_from > @now;
            UPDATE {schema}.model_pricing_overrides SET effective_to = @effective
            WHERE tenant_id = @tenantId AND model_id = @modelId AND (effective_to IS NULL OR effective_to > @effective);
            DELETE FROM {schema}.model_pricing_overrides WHERE tenant_id = @tenantId AND model_id = @modelId AND effective_to <= @now;
            """);
        _insertOverrideSql = db.Sql(
            """
            INSERT INTO {schema}.model_pricing_overrides (tenant_id, id, model_id, markup, input_price, output_price, effective_from, effective_to, created_by)
            VALUES (@tenantId, @id, @modelId, @markup, @inputPrice, @outputPrice, @effective, @effectiveTo, @changedBy)
            """);
        _deleteAllSql = db.Sql("DELETE FROM {schema}.model_pricing_overrides WHERE tenant_id = @tenantId AND model_id = @modelId");
        _historySql = db.Sql(
            """
            INSERT INTO {schema}.price_history (tenant_id, id, model_id, previous_input_price, previous_output_price, previous_markup,
                new_input_price, new_output_price, new_markup, change_source, changed_by, effective_from)
            VALUES (@tenantId, @id, @modelId, @previousInput, @previousOutput, @previousMarkup, @newInput, @newOutput, @newMarkup,
                @source, @changedBy, @effective)
            """);
        // One history row per model of the given kind whose effective markup moves to @markup (models whose current
        // override sets a markup keep it).
        _markupHistorySql = db.Sql(
            """
            INSERT INTO {schema}.price_history (tenant_id, id, model_id, previous_input_price, previous_output_price, previous_markup,
                new_input_price, new_output_price, new_markup, change_source, changed_by, effective_from)
            SELECT @tenantId, gen_random_uuid(), e.model_id, e.base_input_price, e.base_output_price, e.effective_markup,
                   e.base_input_price, e.base_output_price, @markup, @source, @changedBy, @now
            FROM {schema}.effective_model_prices(NULL, @now) e
            WHERE (e.provider_id = 'self_hosted') = @selfHosted
              AND e.effective_markup <> @markup
              AND NOT EXISTS (
                  SELECT FROM {schema}.model_pricing_overrides o
                  WHERE o.tenant_id = @tenantId AND o.model_id = e.model_id AND o.markup IS NOT NULL
                    AND o.effective_from <= @now AND (o.effective_to IS NULL OR o.effective_to > @now))
            """);
        _updateConfigSql = db.Sql(
            """
            UPDATE {schema}.pricing_config SET
                external_default_markup = @ExternalDefaultMarkup, self_hosted_default_markup = @SelfHostedDefaultMarkup,
                minimum_charge_per_request = @MinimumChargePerRequest, price_increase_grace_period_hours = @PriceIncreaseGracePeriodHours,
                auto_update_from_providers = @AutoUpdateFromProviders, auto_update_frequency = @Frequency,
                notify_on_price_change = @NotifyOnPriceChange, notify_threshold_percent = @NotifyThresholdPercent,
                updated_by = @changedBy, updated_at = now()
            WHERE tenant_id = @tenantId
            """);
        _listHistorySql = db.Sql(
            """
            SELECT id AS Id, model_id AS ModelId, previous_input_price AS PreviousInput, previous_output_price AS PreviousOutput,
                   previous_markup AS PreviousMarkup, new_input_price AS NewInput, new_output_price AS NewOutput, new_markup AS NewMarkup,
                   change_source AS Source, changed_by AS ChangedBy, effective_from AS EffectiveFrom, created_at AS CreatedAt
            FROM {schema}.price_history
            WHERE tenant_id = @tenantId AND (@modelId::text IS NULL OR model_id = @modelId)
              AND (@afterCreated::timestamptz IS NULL OR (created_at, id) < (@afterCreated, @afterId::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT @take
            """);
    }

    public Task<TenantPricingConfig> GetConfigAsync(RadiantCaller caller, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManagePricing);
        return _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<PricingSql.ConfigRow>(new CommandDefinition(
                    _sql.ReadConfig, new { tenantId = caller.TenantId }, transaction, cancellationToken: cancellationToken));
                return row?.ToConfig() ?? TenantPricingConfig.Default;
            },
            cancellationToken);
    }

    public Task<TenantPricingConfig> UpdateConfigAsync(RadiantCaller caller, PricingConfigUpdate update, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManagePricing);
        ArgumentNullException.ThrowIfNull(update);
        var (tenantId, changedBy) = (caller.TenantId, caller.UserId);
        update.Validate();
        return WriteAsync(tenantId, async (connection, transaction, locked) =>
        {
            var before = locked.ToConfig();
            var after = update.ApplyTo(before);
            after.Validate();
            await RecordMarkupChangeAsync(connection, transaction, tenantId, changedBy, locked.NowUtc, before, after, DbEnum.Name(PriceChangeSource.Admin), cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                _updateConfigSql,
                new
                {
                    tenantId,
                    changedBy,
                    after.ExternalDefaultMarkup,
                    after.SelfHostedDefaultMarkup,
                    after.MinimumChargePerRequest,
                    after.PriceIncreaseGracePeriodHours,
                    after.AutoUpdateFromProviders,
                    Frequency = DbEnum.Name(after.AutoUpdateFrequency),
                    after.NotifyOnPriceChange,
                    after.NotifyThresholdPercent,
                },
                transaction,
                cancellationToken: cancellationToken));
            return after;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ModelPricing>> ListModelPricesAsync(RadiantCaller caller, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManagePricing);
        return _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var now = await _db.NowAsync(connection, transaction, cancellationToken);
                return await ReadPricingAsync(connection, transaction, caller.TenantId, null, now, cancellationToken);
            },
            cancellationToken);
    }

    public async Task<ModelPricing> SetOverrideAsync(RadiantCaller caller, string modelId, PriceOverrideInput input, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManagePricing);
        ArgumentNullException.ThrowIfNull(input);
        var (tenantId, changedBy) = (caller.TenantId, caller.UserId);
        input.Validate();
        return await WriteAsync(tenantId, async (connection, transaction, locked) =>
        {
            var now = locked.NowUtc;
            var config = locked.ToConfig();
            var selfHosted = await RequireModelAsync(connection, transaction, modelId, cancellationToken);
            var current = await ReadEffectiveAsync(connection, transaction, modelId, now, cancellationToken);
            var defaults = await connection.QuerySingleAsync<BasePrices>(new CommandDefinition(
                _defaultsSql, new { tenantId, modelId, at = now }, transaction, cancellationToken: cancellationToken));

            var newInput = input.InputPricePer1M ?? defaults.BaseInput;
            var newOutput = input.OutputPricePer1M ?? defaults.BaseOutput;
            var newMarkup = input.Markup ?? config.DefaultMarkupFor(selfHosted);
            var rises = PricingRules.UserPrice(newInput, newMarkup) > current.UserInput || PricingRules.UserPrice(newOutput, newMarkup) > current.UserOutput;

            var effective = input.EffectiveFrom is { } requested && requested > now ? requested : now;
            var earliestRise = now.AddHours(config.PriceIncreaseGracePeriodHours);
            if (rises && effective < earliestRise)
            {
                effective = earliestRise;
            }

            if (input.EffectiveTo is { } to && to <= effective)
            {
                throw new RadiantValidationException("effectiveTo", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"'effectiveTo' must be after the override starts ({effective:O})."));
            }

            await connection.ExecuteAsync(new CommandDefinition(_replaceSql, new { tenantId, modelId, now, effective }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                _insertOverrideSql,
                new
                {
                    tenantId,
                    id = Guid.CreateVersion7(),
                    modelId,
                    markup = input.Markup,
                    inputPrice = input.InputPricePer1M,
                    outputPrice = input.OutputPricePer1M,
                    effective,
                    effectiveTo = input.EffectiveTo,
                    changedBy,
                },
                transaction,
                cancellationToken: cancellationToken));
            await InsertHistoryAsync(connection, transaction, tenantId, modelId, current, (newInput, newOutput, newMarkup), DbEnum.Name(PriceChangeSource.Admin), changedBy, effective, cancellationToken);
            return (await ReadPricingAsync(connection, transaction, tenantId, modelId, now, cancellationToken))[0];
        }, cancellationToken);
    }

    public async Task<ModelPricing> RemoveOverrideAsync(RadiantCaller caller, string modelId, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManagePricing);
        var (tenantId, changedBy) = (caller.TenantId, caller.UserId);
        return await WriteAsync(tenantId, async (connection, transaction, locked) =>
        {
            var now = locked.NowUtc;
            var config = locked.ToConfig();
            var selfHosted = await RequireModelAsync(connection, transaction, modelId, cancellationToken);
            var overrides = (await connection.QueryAsync<OverrideRow>(new CommandDefinition(
                _overridesSql, new { tenantId, modelId, at = now }, transaction, cancellationToken: cancellationToken))).ToList();
            if (overrides.Count == 0)
            {
                throw new RadiantNotFoundException("price override", modelId);
            }

            var current = await ReadEffectiveAsync(connection, transaction, modelId, now, cancellationToken);
            var defaults = await connection.QuerySingleAsync<BasePrices>(new CommandDefinition(
                _defaultsSql, new { tenantId, modelId, at = now }, transaction, cancellationToken: cancellationToken));
            var markup = config.DefaultMarkupFor(selfHosted);
            var rises = PricingRules.UserPrice(defaults.BaseInput, markup) > current.UserInput || PricingRules.UserPrice(defaults.BaseOutput, markup) > current.UserOutput;

            var effective = now;
            if (rises && current.HasOverride)
            {
                // The lower override price holds through the grace period; only pending overrides go at once.
                effective = now.AddHours(config.PriceIncreaseGracePeriodHours);
                await connection.ExecuteAsync(new CommandDefinition(_replaceSql, new { tenantId, modelId, now, effective }, transaction, cancellationToken: cancellationToken));
            }
            else
            {
                await connection.ExecuteAsync(new CommandDefinition(_deleteAllSql, new { tenantId, modelId }, transaction, cancellationToken: cancellationToken));
            }

            await InsertHistoryAsync(connection, transaction, tenantId, modelId, current, (defaults.BaseInput, defaults.BaseOutput, markup), DbEnum.Name(PriceChangeSource.Admin), changedBy, effective, cancellationToken);
            return (await ReadPricingAsync(connection, transaction, tenantId, modelId, now, cancellationToken))[0];
        }, cancellationToken);
    }

    public Task<BulkMarkupResult> BulkUpdateMarkupAsync(RadiantCaller caller, BulkMarkupUpdate update, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManagePricing);
        ArgumentNullException.ThrowIfNull(update);
        var (tenantId, changedBy) = (caller.TenantId, caller.UserId);
        update.Validate();
        return WriteAsync(tenantId, async (connection, transaction, locked) =>
        {
            var before = locked.ToConfig();
            var after = update.Type == ModelHosting.SelfHosted
                ? before with { SelfHostedDefaultMarkup = update.Markup }
                : before with { ExternalDefaultMarkup = update.Markup };
            var affected = await RecordMarkupChangeAsync(connection, transaction, tenantId, changedBy, locked.NowUtc, before, after, DbEnum.Name(PriceChangeSource.BulkUpdate), cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                _db.Sql(update.Type == ModelHosting.SelfHosted
                    ? "UPDATE {schema}.pricing_config SET self_hosted_default_markup = @markup, updated_by = @changedBy, updated_at = now() WHERE tenant_id = @tenantId"
                    : "UPDATE {schema}.pricing_config SET external_default_markup = @markup, updated_by = @changedBy, updated_at = now() WHERE tenant_id = @tenantId"),
                new { tenantId, changedBy, markup = update.Markup },
                transaction,
                cancellationToken: cancellationToken));
            return new BulkMarkupResult(update.Type, update.Markup, affected);
        }, cancellationToken);
    }

    public Task<Page<PriceHistoryEntry>> ListHistoryAsync(RadiantCaller caller, string? modelId = null, PageRequest? page = null, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManagePricing);
        if (modelId is not null)
        {
            ModelIds.Check(modelId);
        }

        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("price-history", slice, 2);
        var tenantId = caller.TenantId;
        return _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var rows = (await connection.QueryAsync<HistoryRow>(new CommandDefinition(
                    _listHistorySql,
                    new { tenantId, modelId, take = slice.Limit + 1, afterCreated = after?[0].GetDateTimeOffset(), afterId = after?[1].GetGuid() },
                    transaction,
                    cancellationToken: cancellationToken))).ToList();
                return PageCursor.ToPage("price-history", rows, slice, r => r.ToEntry(), r => [r.CreatedAt, r.Id]);
            },
            cancellationToken);
    }

    /// <summary>Runs a pricing change under the tenant's config lock, then tells every engine to reload the tenant.</summary>
    private Task<T> WriteAsync<T>(Guid tenantId, Func<NpgsqlConnection, NpgsqlTransaction, PricingSql.ConfigRow, Task<T>> change, CancellationToken cancellationToken) =>
        _db.InTenantAsync(
            tenantId,
            null,
            async (connection, transaction) =>
            {
                PricingSql.ConfigRow locked;
                try
                {
                    locked = await _sql.LockConfigAsync(connection, transaction, tenantId, cancellationToken);
                }
                catch (PostgresException e) when (e.IsForeignKeyViolation())
                {
                    throw new RadiantNotFoundException("tenant", tenantId);
                }

                var result = await change(connection, transaction, locked);
                await _sql.NotifyAsync(connection, transaction, tenantId.ToString(), cancellationToken);
                return result;
            },
            cancellationToken);

    private async Task<int> RecordMarkupChangeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid? changedBy, DateTimeOffset now,
        TenantPricingConfig before, TenantPricingConfig after, string source, CancellationToken cancellationToken)
    {
        var rows = 0;
        foreach (var (selfHosted, from, to) in new[]
                 {
                     (false, before.ExternalDefaultMarkup, after.ExternalDefaultMarkup),
                     (true, before.SelfHostedDefaultMarkup, after.SelfHostedDefaultMarkup),
                 })
        {
            if (from != to)
            {
                rows += await connection.ExecuteAsync(new CommandDefinition(
                    _markupHistorySql, new { tenantId, changedBy, now, markup = to, selfHosted, source }, transaction, cancellationToken: cancellationToken));
            }
        }

        return rows;
    }

    private async Task<bool> RequireModelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string modelId, CancellationToken cancellationToken)
    {
        ModelIds.Check(modelId);
        return await connection.ExecuteScalarAsync<bool?>(new CommandDefinition(_modelExistsSql, new { modelId }, transaction, cancellationToken: cancellationToken))
            ?? throw new RadiantNotFoundException("model", modelId);
    }

    private async Task<EffectiveRow> ReadEffectiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string modelId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await connection.QuerySingleAsync<EffectiveRow>(new CommandDefinition(_effectiveSql, new { modelId, at }, transaction, cancellationToken: cancellationToken));

    private async Task<IReadOnlyList<ModelPricing>> ReadPricingAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string? modelId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var effective = await connection.QueryAsync<EffectiveRow>(new CommandDefinition(_effectiveSql, new { modelId, at = now }, transaction, cancellationToken: cancellationToken));
        var overrides = (await connection.QueryAsync<OverrideRow>(new CommandDefinition(
                _overridesSql, new { tenantId, modelId, at = now }, transaction, cancellationToken: cancellationToken)))
            .ToLookup(o => o.ModelId, StringComparer.Ordinal);
        return effective.Select(e =>
        {
            var rows = overrides[e.ModelId].ToList();
            var current = rows.LastOrDefault(o => JsonColumns.Utc(o.EffectiveFrom) <= now);
            var pending = rows.FirstOrDefault(o => JsonColumns.Utc(o.EffectiveFrom) > now);
            return new ModelPricing(
                e.ModelId, e.DisplayName, e.ProviderId, e.IsNovel, e.Category, e.BaseInput, e.BaseOutput, e.Markup, e.UserInput, e.UserOutput,
                e.HasOverride, current?.ToOverride(), pending?.ToOverride());
        }).ToList();
    }

    private Task<int> InsertHistoryAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string modelId, EffectiveRow previous,
        (decimal Input, decimal Output, decimal Markup) next, string source, Guid? changedBy, DateTimeOffset effective, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            _historySql,
            new
            {
                tenantId,
                id = Guid.CreateVersion7(),
                modelId,
                previousInput = previous.BaseInput,
                previousOutput = previous.BaseOutput,
                previousMarkup = previous.Markup,
                newInput = next.Input,
                newOutput = next.Output,
                newMarkup = next.Markup,
                source,
                changedBy,
                effective,
            },
            transaction,
            cancellationToken: cancellationToken));

    private sealed class BasePrices
    {
        public decimal BaseInput { get; init; }
        public decimal BaseOutput { get; init; }
    }

    private sealed class EffectiveRow
    {
        public string ModelId { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string ProviderId { get; init; } = "";
        public bool IsNovel { get; init; }
        public string Category { get; init; } = "";
        public decimal BaseInput { get; init; }
        public decimal BaseOutput { get; init; }
        public decimal Markup { get; init; }
        public decimal UserInput { get; init; }
        public decimal UserOutput { get; init; }
        public bool HasOverride { get; init; }
    }

    private sealed class OverrideRow
    {
        public string ModelId { get; init; } = "";
        public decimal? Markup { get; init; }
        public decimal? InputPrice { get; init; }
        public decimal? OutputPrice { get; init; }
        public DateTime EffectiveFrom { get; init; }
        public DateTime? EffectiveTo { get; init; }

        public ModelPriceOverride ToOverride() => new(
            ModelId, Markup, InputPrice, OutputPrice, JsonColumns.Utc(EffectiveFrom), EffectiveTo is { } to ? JsonColumns.Utc(to) : null);
    }

    private sealed class HistoryRow
    {
        public Guid Id { get; init; }
        public string ModelId { get; init; } = "";
        public decimal? PreviousInput { get; init; }
        public decimal? PreviousOutput { get; init; }
        public decimal? PreviousMarkup { get; init; }
        public decimal? NewInput { get; init; }
        public decimal? NewOutput { get; init; }
        public decimal? NewMarkup { get; init; }
        public string Source { get; init; } = "";
        public Guid? ChangedBy { get; init; }
        public DateTime EffectiveFrom { get; init; }
        public DateTime CreatedAt { get; init; }

        public PriceHistoryEntry ToEntry() => new(
            Id, ModelId, PreviousInput, PreviousOutput, PreviousMarkup, NewInput, NewOutput, NewMarkup,
            DbEnum.Parse<PriceChangeSource>(Source),
            ChangedBy, JsonColumns.Utc(EffectiveFrom), JsonColumns.Utc(CreatedAt));
    }
}
