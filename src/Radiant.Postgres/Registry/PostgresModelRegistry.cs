using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Errors;
using Radiant.Postgres.Notifications;
using Radiant.Postgres.Pricing;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Tenancy;

namespace Radiant.Postgres.Registry;

internal sealed partial class PostgresModelRegistry : IModelRegistry
{
    private const string ManageModels = "see or change the tenant's model settings";

    private const string ModelColumns =
        "m.id AS Id, m.provider_id AS ProviderId, m.display_name AS DisplayName, m.context_window AS ContextWindow, " +
        "m.max_output_tokens AS MaxOutputTokens, m.modalities AS Modalities, m.capabilities AS Capabilities, " +
        "m.input_price AS InputPrice, m.output_price AS OutputPrice, m.is_novel AS IsNovel, m.category AS Category, " +
        "m.thinktank_enabled AS CatalogThinkTank, m.display_order AS DisplayOrder";

    private readonly RadiantDb _db;
    private readonly PricingSql _pricing;
    private readonly Outbox _outbox;
    private readonly ILogger<PostgresModelRegistry> _logger;
    private const char UnitSeparator = '\u001f';

    private readonly string _lockSql;
    private readonly string _hasCatalogSql;
    private readonly string _upsertProvidersSql;
    private readonly string _upsertModelsSql;
    private readonly string _updatePricesSql;
    private readonly string _tenantsSql;
    private readonly string _carrySql;
    private readonly string _listSql;
    private readonly string _setEnabledSql;
    private readonly string _setThinkTankSql;

    public PostgresModelRegistry(RadiantDb db, PricingSql pricing, Outbox outbox, ILogger<PostgresModelRegistry> logger)
    {
        _db = db;
        _pricing = pricing;
        _outbox = outbox;
        _logger = logger;
        _lockSql = "SELECT pg_advisory_xact_lock(hashtext(@key))";
        _hasCatalogSql = db.Sql("SELECT EXISTS (SELECT FROM {schema}.models)");
        // The catalogue is written set-based: one statement for the providers, one for the models (reporting, per model,
        // whether it was inserted, updated or untouched, and the list price it had), one for the changed prices.
        // Upserts report what they did (xmax = 0 means inserted) and touch nothing when nothing changed.
        _upsertProvidersSql = db.Sql(
            """
            INSERT INTO {schema}.providers AS p (id, display_name, api_base, auth_type)
            SELECT * FROM unnest(@ids::text[], @names::text[], @bases::text[], @auths::text[]) ORDER BY 1
            ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, api_base = EXCLUDED.api_base,
                auth_type = EXCLUDED.auth_type, updated_at = now()
            WHERE (p.display_name, p.api_base, p.auth_type) IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.api_base, EXCLUDED.auth_type)
            RETURNING xmax = 0 AS inserted
            """);
        // Modalities and capabilities travel as unit-separator-joined text (arrays of arrays cannot be ragged).
        _upsertModelsSql = db.Sql(
            """
            WITH input AS (
                SELECT * FROM unnest(@ids::text[], @providers::text[], @names::text[], @contexts::integer[], @maxOutputs::integer[],
                                     @modalities::text[], @capabilities::text[], @inputs::numeric[], @outputs::numeric[],
                                     @novel::boolean[], @categories::text[], @thinkTank::boolean[], @orders::integer[])
                    AS x(id, provider_id, display_name, context_window, max_output_tokens, modalities, capabilities,
                         input_price, output_price, is_novel, category, thinktank_enabled, display_order)
            ),
            previous AS (SELECT m.id, m.input_price, m.output_price FROM {schema}.models m JOIN input USING (id)),
            upserted AS (
                INSERT INTO {schema}.models AS m (id, provider_id, display_name, context_window, max_output_tokens, modalities, capabilities,
                    input_price, output_price, is_novel, category, thinktank_enabled, display_order)
                SELECT id, provider_id, display_name, context_window, max_output_tokens,
                       string_to_array(modalities, chr(31)), string_to_array(capabilities, chr(31)),
                       input_price, output_price, is_novel, category, thinktank_enabled, display_order
                FROM input ORDER BY id
                ON CONFLICT (id) DO UPDATE SET provider_id = EXCLUDED.provider_id, display_name = EXCLUDED.display_name,
                    context_window = EXCLUDED.context_window, max_output_tokens = EXCLUDED.max_output_tokens,
                    modalities = EXCLUDED.modalities, capabilities = EXCLUDED.capabilities, is_novel = EXCLUDED.is_novel,
                    category = EXCLUDED.category, thinktank_enabled = EXCLUDED.thinktank_enabled,
                    display_order = EXCLUDED.display_order, updated_at = now()
                WHERE (m.provider_id, m.display_name, m.context_window, m.max_output_tokens, m.modalities, m.capabilities, m.is_novel,
                       m.category, m.thinktank_enabled, m.display_order)
                    IS DISTINCT FROM (EXCLUDED.provider_id, EXCLUDED.display_name, EXCLUDED.context_window, EXCLUDED.max_output_tokens,
                       EXCLUDED.modalities, EXCLUDED.capabilities, EXCLUDED.is_novel, EXCLUDED.category, EXCLUDED.thinktank_enabled,
                       EXCLUDED.display_order)
                RETURNING m.id, xmax = 0 AS inserted
            )
            SELECT i.id AS Id, u.inserted AS Inserted, p.input_price AS OldInput, p.output_price AS OldOutput
            FROM input i LEFT JOIN upserted u USING (id) LEFT JOIN previous p USING (id)
            """);
        _updatePricesSql = db.Sql(
            """
            UPDATE {schema}.models m SET input_price = x.input, output_price = x.output, price_updated_at = now(), updated_at = now()
            FROM unnest(@ids::text[], @inputs::numeric[], @outputs::numeric[]) AS x(id, input, output)
            WHERE m.id = x.id
            """);
        _tenantsSql = db.Sql("SELECT tenant_id FROM {schema}.tenants ORDER BY tenant_id");
        _carrySql = db.Sql("SELECT * FROM {schema}.carry_list_prices(@models, @oldInputs, @oldOutputs, @newInputs, @newOutputs, @historyIds)");
        _listSql = db.Sql(
            $$"""
            SELECT {{ModelColumns}}, coalesce(s.is_enabled, true) AS IsEnabled, coalesce(s.thinktank_enabled, m.thinktank_enabled) AS ThinkTankEnabled
            FROM {schema}.models m
            LEFT JOIN {schema}.tenant_model_settings s ON s.tenant_id = @tenantId AND s.model_id = m.id
            WHERE (@modelId::text IS NULL OR m.id = @modelId) AND (@enabled::boolean IS NULL OR coalesce(s.is_enabled, true) = @enabled)
            ORDER BY m.display_order, m.id
            """);
        _setEnabledSql = db.Sql(
            """
            INSERT INTO {schema}.tenant_model_settings (tenant_id, model_id, is_enabled) VALUES (@tenantId, @modelId, @enabled)
            ON CONFLICT (tenant_id, model_id) DO UPDATE SET is_enabled = EXCLUDED.is_enabled, updated_at = now()
            """);
        _setThinkTankSql = db.Sql(
            """
            INSERT INTO {schema}.tenant_model_settings (tenant_id, model_id, thinktank_enabled) VALUES (@tenantId, @modelId, @enabled)
            ON CONFLICT (tenant_id, model_id) DO UPDATE SET thinktank_enabled = EXCLUDED.thinktank_enabled, updated_at = now()
            """);
    }

    /// <summary>Whether the catalogue has been synced at least once (the models table is global: any login reads it).</summary>
    internal Task<bool> HasCatalogAsync(CancellationToken cancellationToken) =>
        _db.InScopeAsync(
            RadiantScope.System,
            (connection, transaction) => connection.ExecuteScalarAsync<bool>(new CommandDefinition(_hasCatalogSql, transaction: transaction, cancellationToken: cancellationToken)),
            cancellationToken);

    public async Task<ModelSyncResult> SyncAsync(ModelCatalog catalog, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Validate();
        // The catalogue is written by the schema owner only; the system scope reads the tenant list, and each tenant's
        // prices are then written in that tenant's context.
        ModelSyncResult result;
        try
        {
            result = await _db.AsSchemaOwnerAsync(
                async (connection, transaction) =>
                {
                    var notifications = 0;
                    // Instances syncing together queue here: each price change is recorded once.
                    await connection.ExecuteAsync(new CommandDefinition(_lockSql, new { key = _pricing.Channel + ":sync" }, transaction, cancellationToken: cancellationToken));
                    var providers = catalog.Providers;
                    var providerResults = (await connection.QueryAsync<bool>(new CommandDefinition(
                        _upsertProvidersSql,
                        new
                        {
                            ids = providers.Select(p => p.Id).ToArray(),
                            names = providers.Select(p => p.DisplayName).ToArray(),
                            bases = providers.Select(p => p.ApiBase).ToArray(),
                            auths = providers.Select(p => DbEnum.Name(p.AuthType)).ToArray(),
                        },
                        transaction,
                        cancellationToken: cancellationToken))).ToList();
                    var (providersAdded, providersUpdated) = (providerResults.Count(inserted => inserted), providerResults.Count(inserted => !inserted));

                    var models = catalog.Models;
                    var rows = (await connection.QueryAsync<ModelUpsertRow>(new CommandDefinition(
                        _upsertModelsSql,
                        new
                        {
                            ids = models.Select(m => m.Id).ToArray(),
                            providers = models.Select(m => m.ProviderId).ToArray(),
                            names = models.Select(m => m.DisplayName).ToArray(),
                            contexts = models.Select(m => m.ContextWindow).ToArray(),
                            maxOutputs = models.Select(m => m.MaxOutputTokens).ToArray(),
                            modalities = models.Select(m => string.Join(UnitSeparator, m.Modalities)).ToArray(),
                            capabilities = models.Select(m => string.Join(UnitSeparator, m.Capabilities)).ToArray(),
                            inputs = models.Select(m => m.InputPricePer1M).ToArray(),
                            outputs = models.Select(m => m.OutputPricePer1M).ToArray(),
                            novel = models.Select(m => m.IsNovel).ToArray(),
                            categories = models.Select(m => m.Category).ToArray(),
                            thinkTank = models.Select(m => m.ThinkTankEnabled).ToArray(),
                            orders = models.Select(m => m.DisplayOrder).ToArray(),
                        },
                        transaction,
                        cancellationToken: cancellationToken))).ToDictionary(r => r.Id, StringComparer.Ordinal);
                    var (modelsAdded, modelsUpdated) = (rows.Values.Count(r => r.Inserted is true), rows.Values.Count(r => r.Inserted is false));
                    var changes = new List<(ModelDefinition Model, decimal OldInput, decimal OldOutput)>();
                    foreach (var m in models)
                    {
                        if (rows[m.Id] is { OldInput: { } oldInput, OldOutput: { } oldOutput } && (oldInput != m.InputPricePer1M || oldOutput != m.OutputPricePer1M))
                        {
                            changes.Add((m, oldInput, oldOutput));
                        }
                    }

                    var tenantUpdates = 0;
                    if (changes.Count > 0)
                    {
                        (tenantUpdates, notifications) = await ApplyPriceChangesAsync(connection, transaction, changes, cancellationToken);
                        await connection.ExecuteAsync(new CommandDefinition(
                            _updatePricesSql,
                            new
                            {
                                ids = changes.Select(c => c.Model.Id).ToArray(),
                                inputs = changes.Select(c => c.Model.InputPricePer1M).ToArray(),
                                outputs = changes.Select(c => c.Model.OutputPricePer1M).ToArray(),
                            },
                            transaction,
                            cancellationToken: cancellationToken));
                    }

                    if (providersAdded + providersUpdated + modelsAdded + modelsUpdated + changes.Count > 0)
                    {
                        await _pricing.NotifyAsync(connection, transaction, "*", cancellationToken);
                    }

                    return new ModelSyncResult(providersAdded, providersUpdated, modelsAdded, modelsUpdated, changes.Count, tenantUpdates, notifications);
                },
                cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InvalidOperationException(
                "The model catalogue sync writes the global provider and model tables, which only the schema owner may write. " +
                "Set RadiantPostgresOptions.MigrationConnectionString to the owner's login, or sync from your deployment step " +
                "with that login and set SyncBuiltInCatalogOnStartup = false.",
                e);
        }

        LogSynced(result.ProvidersAdded, result.ModelsAdded, result.ModelsUpdated, result.PriceChanges, result.TenantPriceUpdates);
        return result;
    }

    /// <summary>
    /// Carries list-price changes to every tenant: each tenant's share is one call of <c>carry_list_prices</c>
    /// (migration 0014: the tenant's pricing lock, then set-based over every changed model) in that tenant's context,
    /// and many tenants' calls travel in one batch. Auto-update tenants get the new price (a rise after their grace
    /// period) and an <c>auto_sync</c> history row; the others keep the old price. Notifications above a tenant's
    /// threshold are queued in the outbox in the same transaction.
    /// </summary>
    private async Task<(int Updates, int Notifications)> ApplyPriceChangesAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        List<(ModelDefinition Model, decimal OldInput, decimal OldOutput)> changes,
        CancellationToken cancellationToken)
    {
        var tenants = (await connection.QueryAsync<Guid>(new CommandDefinition(_tenantsSql, transaction: transaction, cancellationToken: cancellationToken))).ToList();
        var models = changes.Select(c => c.Model.Id).ToArray();
        var oldInputs = changes.Select(c => c.OldInput).ToArray();
        var oldOutputs = changes.Select(c => c.OldOutput).ToArray();
        var newInputs = changes.Select(c => c.Model.InputPricePer1M).ToArray();
        var newOutputs = changes.Select(c => c.Model.OutputPricePer1M).ToArray();
        var moved = new List<(Guid Tenant, CarriedPrice Price)>();
        foreach (var chunk in tenants.Chunk(TenantsPerBatch(changes.Count)))
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var tenantId in chunk)
            {
                batch.BatchCommands.Add(_db.TenantCommand(connection, tenantId));
                var carry = new NpgsqlBatchCommand(_carrySql);
                carry.Parameters.Add(new NpgsqlParameter<string[]>("models", models));
                carry.Parameters.Add(new NpgsqlParameter<decimal[]>("oldInputs", oldInputs));
                carry.Parameters.Add(new NpgsqlParameter<decimal[]>("oldOutputs", oldOutputs));
                carry.Parameters.Add(new NpgsqlParameter<decimal[]>("newInputs", newInputs));
                carry.Parameters.Add(new NpgsqlParameter<decimal[]>("newOutputs", newOutputs));
                // One id per model, time-ordered like every history id; the rows of the prices that did not move are unused.
                carry.Parameters.Add(new NpgsqlParameter<Guid[]>("historyIds", models.Select(_ => Guid.CreateVersion7()).ToArray()));
                batch.BatchCommands.Add(carry);
            }

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            foreach (var tenantId in chunk)
            {
                await reader.NextResultAsync(cancellationToken); // past the context's row, to the carry's rows
                while (await reader.ReadAsync(cancellationToken))
                {
                    moved.Add((tenantId, new CarriedPrice(
                        reader.GetString(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4),
                        JsonColumns.Utc(reader.GetDateTime(5)), reader.GetBoolean(6), reader.GetDecimal(7))));
                }

                await reader.NextResultAsync(cancellationToken);
            }
        }

        // Queued with the change, delivered once it commits (the outbox), retried if the host's notifier throws: one
        // context switch per tenant and one insert of its notifications, many tenants per round trip.
        var notifications = new List<(Guid Tenant, PriceChangeNotification Notification)>();
        foreach (var (tenantId, price) in moved)
        {
            var percent = Math.Max(ChangePercent(price.PreviousInput, price.NewInput), ChangePercent(price.PreviousOutput, price.NewOutput));
            if (price.NotifyOnPriceChange && percent > price.NotifyThresholdPercent)
            {
                var signed = price.NewInput > price.PreviousInput || price.NewOutput > price.PreviousOutput ? percent : -percent;
                notifications.Add((tenantId, new PriceChangeNotification(
                    tenantId, price.ModelId, price.PreviousInput, price.PreviousOutput, price.NewInput, price.NewOutput, signed, price.EffectiveFrom)));
                LogPriceChange(tenantId, price.ModelId, signed, price.EffectiveFrom);
            }
        }

        foreach (var chunk in notifications.GroupBy(n => n.Tenant, n => n.Notification).Chunk(TenantsPerBatch(changes.Count)))
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var tenant in chunk)
            {
                batch.BatchCommands.Add(_db.TenantCommand(connection, tenant.Key));
                batch.BatchCommands.Add(_outbox.AddCommand(tenant.Key, tenant.ToList()));
            }

            batch.BatchCommands.Add(_outbox.WakeCommand());
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        return (moved.Count, notifications.Count);
    }

    /// <summary>
    /// Tenants per round trip: each carries the changed models' arrays, so a large change sends fewer tenants at a time
    /// (about 4,000 model entries per batch; at least one tenant, at most 500).
    /// </summary>
    private static int TenantsPerBatch(int changedModels) => Math.Clamp(4_000 / Math.Max(changedModels, 1), 1, 500);

    private sealed record CarriedPrice(
        string ModelId, decimal PreviousInput, decimal PreviousOutput, decimal NewInput, decimal NewOutput, DateTimeOffset EffectiveFrom,
        bool NotifyOnPriceChange, decimal NotifyThresholdPercent);

    public Task<IReadOnlyList<RegistryModel>> ListModelsAsync(RadiantCaller caller, bool? enabled = null, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin(ManageModels);
        return _db.InTenantAsync<IReadOnlyList<RegistryModel>>(
            caller,
            async (connection, transaction) =>
                (await connection.QueryAsync<ModelRow>(new CommandDefinition(
                    _listSql, new { tenantId = caller.TenantId, enabled, modelId = (string?)null }, transaction, cancellationToken: cancellationToken)))
                .Select(r => r.ToModel()).ToList(),
            cancellationToken);
    }

    public Task<RegistryModel> SetEnabledAsync(RadiantCaller caller, string modelId, bool enabled, CancellationToken cancellationToken = default) =>
        SetAsync(caller, modelId, enabled, _setEnabledSql, cancellationToken);

    public Task<RegistryModel> SetThinkTankEnabledAsync(RadiantCaller caller, string modelId, bool enabled, CancellationToken cancellationToken = default) =>
        SetAsync(caller, modelId, enabled, _setThinkTankSql, cancellationToken);

    private async Task<RegistryModel> SetAsync(RadiantCaller caller, string modelId, bool enabled, string sql, CancellationToken cancellationToken)
    {
        caller.RequireTenantAdmin(ManageModels);
        var tenantId = caller.TenantId;
        ModelIds.Check(modelId);

        try
        {
            return await _db.InTenantAsync(
                caller,
                async (connection, transaction) =>
                {
                    await connection.ExecuteAsync(new CommandDefinition(sql, new { tenantId, modelId, enabled }, transaction, cancellationToken: cancellationToken));
                    // The router's catalogue (every instance's) reloads on the pricing channel once this commits.
                    await _pricing.NotifyAsync(connection, transaction, tenantId.ToString(), cancellationToken);
                    var row = await connection.QuerySingleAsync<ModelRow>(new CommandDefinition(
                        _listSql, new { tenantId, enabled = (bool?)null, modelId }, transaction, cancellationToken: cancellationToken));
                    return row.ToModel();
                },
                cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw e.ConstraintName?.EndsWith("model_id_fkey", StringComparison.Ordinal) == true
                ? new RadiantNotFoundException("model", modelId)
                : new RadiantNotFoundException("tenant", tenantId);
        }
    }

    private static decimal ChangePercent(decimal before, decimal after) =>
        before == 0 ? (after == 0 ? 0 : 100) : Math.Abs(after - before) / before * 100;

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry sync: {ProvidersAdded} providers added, {ModelsAdded} models added, {ModelsUpdated} updated, {PriceChanges} price changes applied to {TenantUpdates} tenant prices")]
    private partial void LogSynced(int providersAdded, int modelsAdded, int modelsUpdated, int priceChanges, int tenantUpdates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider price of {ModelId} changed by {ChangePercent:0.##} % for tenant {TenantId}, effective {EffectiveFrom:O}")]
    private partial void LogPriceChange(Guid tenantId, string modelId, decimal changePercent, DateTimeOffset effectiveFrom);

    private sealed class ModelRow
    {
        public string Id { get; init; } = "";
        public string ProviderId { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public int ContextWindow { get; init; }
        public int MaxOutputTokens { get; init; }
        public string[] Modalities { get; init; } = [];
        public string[] Capabilities { get; init; } = [];
        public decimal InputPrice { get; init; }
        public decimal OutputPrice { get; init; }
        public bool IsNovel { get; init; }
        public string Category { get; init; } = "";
        public bool CatalogThinkTank { get; init; }
        public int DisplayOrder { get; init; }
        public bool IsEnabled { get; init; }
        public bool ThinkTankEnabled { get; init; }

        public RegistryModel ToModel() => new(
            new ModelDefinition(Id, ProviderId, DisplayName, ContextWindow, MaxOutputTokens, Modalities, Capabilities, InputPrice, OutputPrice,
                IsNovel, Category, CatalogThinkTank, DisplayOrder),
            IsEnabled,
            ThinkTankEnabled);
    }

    private sealed class ModelUpsertRow
    {
        public string Id { get; init; } = "";

        /// <summary>True: inserted; false: updated; null: unchanged.</summary>
        public bool? Inserted { get; init; }

        /// <summary>The list price before this sync (null for a new model).</summary>
        public decimal? OldInput { get; init; }

        public decimal? OldOutput { get; init; }
    }
}
