using Dapper;
using Npgsql;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Postgres.Registry;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.ModelSelection;

internal sealed class PostgresModelPreferenceService : IModelPreferenceService
{
    private const string FavoritesBound = "model_preferences_favorites_bound";

    private readonly RadiantDb _db;
    private readonly ModelSelectionStore _store;
    private readonly string _ensureSql;
    private readonly string _lockSql;
    private readonly string _updateSql;
    private readonly string _toggleSql;
    private readonly string _removeFavoriteSql;
    private readonly string _listSql;
    private readonly string _contextSql;

    public PostgresModelPreferenceService(RadiantDb db, ModelSelectionStore store)
    {
        _db = db;
        _store = store;
        // The row a partial update locks: created with the defaults when the user has none, so two first updates of
        // the same user serialize on it instead of the second overwriting the first.
        _ensureSql = db.Sql("INSERT INTO {schema}.model_preferences (tenant_id, user_id) VALUES (@TenantId, @UserId) ON CONFLICT (tenant_id, user_id) DO NOTHING");
        _lockSql = store.ReadPreferences + " FOR UPDATE";
        // Recent models are not a preference the user sets: the update leaves them as recorded.
        _updateSql = db.Sql(
            $$"""
            UPDATE {schema}.model_preferences SET
                selection_mode = @SelectionMode, default_model_id = @DefaultModelId, favorite_models = @FavoriteModels,
                show_standard_models = @ShowStandardModels, show_novel_models = @ShowNovelModels,
                show_self_hosted_models = @ShowSelfHostedModels, show_cost_per_message = @ShowCostPerMessage,
                max_cost_per_message = @MaxCostPerMessage, prefer_cost_optimization = @PreferCostOptimization,
                domain_mode_model_overrides = @Overrides::jsonb, updated_at = now()
            WHERE tenant_id = @TenantId AND user_id = @UserId
            RETURNING {{ModelSelectionStore.PreferenceColumns}}
            """);
        // One statement: the row's lock (taken by the insert's conflict or the update) orders concurrent toggles, and
        // each applies to the favourites as the previous one left them, so toggles of different models all land. It
        // adds only a model the user may pick: otherwise nothing is inserted or updated and no row comes back.
        _toggleSql = db.Sql(
            $$"""
            WITH model AS (
                SELECT FROM {schema}.models m
                LEFT JOIN {schema}.tenant_model_settings s ON s.tenant_id = @TenantId AND s.model_id = m.id
                WHERE m.id = @ModelId AND {{ModelSelectionStore.Pickable}})
            INSERT INTO {schema}.model_preferences AS p (tenant_id, user_id, favorite_models, updated_at)
            SELECT @TenantId, @UserId, ARRAY[@ModelId]::text[], now() FROM model
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET
                favorite_models = CASE WHEN @ModelId = ANY (p.favorite_models) THEN array_remove(p.favorite_models, @ModelId)
                                       ELSE p.favorite_models || @ModelId::text END,
                updated_at = now()
            RETURNING favorite_models
            """);
        // A favourite the user may no longer pick can still be removed (and only removed).
        _removeFavoriteSql = db.Sql(
            """
            UPDATE {schema}.model_preferences SET favorite_models = array_remove(favorite_models, @ModelId), updated_at = now()
            WHERE tenant_id = @TenantId AND user_id = @UserId AND @ModelId = ANY (favorite_models)
            RETURNING favorite_models
            """);
        // One statement, like the toggle: the model moves to the front, appears once, and the list keeps its bound.
        _listSql = store.ReadPreferences + ";\n" + store.ReadPickableModels;
        _contextSql = store.ReadPreferences + ";\n" + store.ReadDomainModes + ";\n" + store.ReadPickableModels;
    }

    public Task<ModelPreferences> GetAsync(RadiantCaller caller, CancellationToken cancellationToken = default) =>
        _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
                (await connection.QuerySingleOrDefaultAsync<ModelSelectionStore.PreferenceRow>(new CommandDefinition(
                    _store.ReadPreferences, new { caller.TenantId, caller.UserId }, transaction, cancellationToken: cancellationToken)))
                ?.ToPreferences() ?? ModelPreferences.Default,
            cancellationToken);

    public async Task<ModelPreferences> UpdateAsync(RadiantCaller caller, ModelPreferencesUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        update.Validate();
        try
        {
            return await _db.InTenantAsync(
                caller,
                async (connection, transaction) =>
                {
                    var args = new { caller.TenantId, caller.UserId };
                    await connection.ExecuteAsync(new CommandDefinition(_ensureSql, args, transaction, cancellationToken: cancellationToken));
                    var current = (await connection.QuerySingleAsync<ModelSelectionStore.PreferenceRow>(new CommandDefinition(
                        _lockSql, args, transaction, cancellationToken: cancellationToken))).ToPreferences();
                    var next = update.ApplyTo(current);
                    await RequirePickableAsync(connection, transaction, caller, IntroducedModels(current, next), cancellationToken);
                    var row = await connection.QuerySingleAsync<ModelSelectionStore.PreferenceRow>(new CommandDefinition(
                        _updateSql,
                        new
                        {
                            caller.TenantId,
                            caller.UserId,
                            SelectionMode = DbEnum.Name(next.SelectionMode),
                            next.DefaultModelId,
                            FavoriteModels = next.FavoriteModels.ToArray(),
                            next.ShowStandardModels,
                            next.ShowNovelModels,
                            next.ShowSelfHostedModels,
                            next.ShowCostPerMessage,
                            next.MaxCostPerMessage,
                            next.PreferCostOptimization,
                            Overrides = ModelSelectionStore.OverridesJson(next.DomainModeModelOverrides),
                        },
                        transaction,
                        cancellationToken: cancellationToken));
                    return row.ToPreferences();
                },
                cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("user", caller);
        }
    }

    public async Task<FavoriteToggled> ToggleFavoriteAsync(RadiantCaller caller, string modelId, CancellationToken cancellationToken = default)
    {
        ModelIds.Check(modelId);
        try
        {
            return await _db.InTenantAsync(
                caller,
                async (connection, transaction) =>
                {
                    var args = new { caller.TenantId, caller.UserId, ModelId = modelId };
                    string[]? favorites;
                    try
                    {
                        favorites = await connection.QuerySingleOrDefaultAsync<string[]>(new CommandDefinition(
                            _toggleSql, args, transaction, cancellationToken: cancellationToken));
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation && e.ConstraintName == FavoritesBound)
                    {
                        throw new RadiantLimitExceededException(
                            "favorite_models", 0, $"A user may have at most {ModelSelectionLimits.MaxFavoriteModels} favourite models; remove one first.");
                    }

                    favorites ??= await connection.QuerySingleOrDefaultAsync<string[]>(new CommandDefinition(
                            _removeFavoriteSql, args, transaction, cancellationToken: cancellationToken))
                        ?? throw new RadiantNotFoundException("model", modelId);
                    return new FavoriteToggled(modelId, favorites.Contains(modelId, StringComparer.Ordinal), favorites);
                },
                cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("user", caller);
        }
    }

    public async Task<IReadOnlyList<string>> RecordRecentModelAsync(RadiantCaller caller, string modelId, CancellationToken cancellationToken = default)
    {
        ModelIds.Check(modelId);
        try
        {
            return await _db.InTenantAsync<IReadOnlyList<string>>(
                caller,
                async (connection, transaction) =>
                    await connection.QuerySingleOrDefaultAsync<string[]>(new CommandDefinition(
                        _store.RecordRecentModel, new { caller.TenantId, caller.UserId, ModelId = modelId }, transaction, cancellationToken: cancellationToken))
                    ?? throw new RadiantNotFoundException("model", modelId),
                cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("user", caller);
        }
    }

    public async Task<IReadOnlyList<SelectableModel>> ListModelsAsync(RadiantCaller caller, CancellationToken cancellationToken = default)
    {
        var (preferences, rows) = await _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
                    _listSql, new { caller.TenantId, caller.UserId }, transaction, cancellationToken: cancellationToken));
                var preferences = (await results.ReadSingleOrDefaultAsync<ModelSelectionStore.PreferenceRow>())?.ToPreferences() ?? ModelPreferences.Default;
                var rows = (await results.ReadAsync<ModelSelectionStore.ModelRow>()).ToList();
                return (preferences, rows);
            },
            cancellationToken);
        var models = await _store.PriceAsync(caller.TenantId, rows, preferences, cancellationToken);
        return [.. models.Where(preferences.Shows)];
    }

    public async Task<ModelSelectionContext> GetSelectionContextAsync(RadiantCaller caller, CancellationToken cancellationToken = default)
    {
        var (preferences, modes, rows) = await _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
                    _contextSql, new { caller.TenantId, caller.UserId }, transaction, cancellationToken: cancellationToken));
                var preferences = (await results.ReadSingleOrDefaultAsync<ModelSelectionStore.PreferenceRow>())?.ToPreferences() ?? ModelPreferences.Default;
                var modes = ModelSelectionStore.AllModes(await results.ReadAsync<ModelSelectionStore.DomainModeRow>());
                var rows = (await results.ReadAsync<ModelSelectionStore.ModelRow>()).ToList();
                return (preferences, modes, rows);
            },
            cancellationToken);
        return new ModelSelectionContext(preferences, modes, await _store.PriceAsync(caller.TenantId, rows, preferences, cancellationToken));
    }

    /// <summary>
    /// The models an update brings into the preferences, with the field each is in: a changed default model, favourites
    /// that were not favourites, and overrides that changed. Models left where they were are not checked again, so a
    /// client may send back what it read even after an admin disabled one of its models.
    /// </summary>
    private static IEnumerable<(string Field, string ModelId)> IntroducedModels(ModelPreferences current, ModelPreferences next)
    {
        if (next.DefaultModelId is { } defaultModel && defaultModel != current.DefaultModelId)
        {
            yield return ("defaultModelId", defaultModel);
        }

        var favorites = current.FavoriteModels.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < next.FavoriteModels.Count; i++)
        {
            if (!favorites.Contains(next.FavoriteModels[i]))
            {
                yield return ($"favoriteModels[{i}]", next.FavoriteModels[i]);
            }
        }

        foreach (var (mode, modelId) in next.DomainModeModelOverrides)
        {
            if (!current.DomainModeModelOverrides.TryGetValue(mode, out var was) || was != modelId)
            {
                yield return ($"domainModeModelOverrides.{DbEnum.Name(mode)}", modelId);
            }
        }
    }

    private async Task RequirePickableAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, IEnumerable<(string Field, string ModelId)> models, CancellationToken cancellationToken)
    {
        var introduced = models.ToList();
        var status = await _store.ModelStatusAsync(connection, transaction, caller.TenantId, introduced.Select(m => m.ModelId), cancellationToken);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (field, modelId) in introduced)
        {
            if (!status.TryGetValue(modelId, out var model))
            {
                errors[field] = [$"'{field}' must be a model of the registry; '{modelId}' is not."];
            }
            else if (!model.Pickable)
            {
                errors[field] = [$"The model '{modelId}' is not available in this tenant (an admin disabled it or does not offer it in Think Tank)."];
            }
        }

        if (errors.Count > 0)
        {
            throw new RadiantValidationException(errors);
        }
    }
}
