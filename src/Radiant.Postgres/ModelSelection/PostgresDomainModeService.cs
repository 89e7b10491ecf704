using Dapper;
using Npgsql;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.ModelSelection;

internal sealed class PostgresDomainModeService : IDomainModeService
{
    private const string ChangeModes = "change the tenant's domain modes";

    private readonly RadiantDb _db;
    private readonly ModelSelectionStore _store;
    private readonly string _ensureSql;
    private readonly string _lockSql;
    private readonly string _updateSql;

    public PostgresDomainModeService(RadiantDb db, ModelSelectionStore store)
    {
        _db = db;
        _store = store;
        // The rows an update locks, created with the defaults when missing: two admins changing different fields of the
        // same mode at once both land, the second applied to what the first wrote.
        _ensureSql = db.Sql(
            "INSERT INTO {schema}.domain_modes (tenant_id, mode) SELECT @TenantId, unnest(@Modes) ON CONFLICT (tenant_id, mode) DO NOTHING");
        _lockSql = store.ReadDomainModes + " AND mode = ANY (@Modes) ORDER BY mode FOR UPDATE";
        _updateSql = db.Sql(
            """
            UPDATE {schema}.domain_modes d SET
                enabled = u.enabled, default_model_id = u.default_model_id, temperature = u.temperature,
                system_prompt_override = u.system_prompt_override, updated_by = @UserId, updated_at = now()
            FROM unnest(@Modes::text[], @Enabled::boolean[], @Models::text[], @Temperatures::numeric[], @Prompts::text[])
                AS u (mode, enabled, default_model_id, temperature, system_prompt_override)
            WHERE d.tenant_id = @TenantId AND d.mode = u.mode
            """);
    }

    public Task<IReadOnlyList<DomainModeConfig>> ListAsync(RadiantCaller caller, CancellationToken cancellationToken = default) =>
        _db.InTenantAsync(caller, (connection, transaction) => ReadAllAsync(connection, transaction, caller, cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<DomainModeConfig>> UpdateAsync(RadiantCaller caller, DomainModesUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        update.Validate();
        caller.RequireTenantAdmin(ChangeModes);
        if (update.Modes.Count == 0)
        {
            return await ListAsync(caller, cancellationToken);
        }

        var names = update.Modes.Keys.Order().Select(DbEnum.Name).ToArray();
        try
        {
            return await _db.InTenantAsync(
                caller,
                async (connection, transaction) =>
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        _ensureSql, new { caller.TenantId, Modes = names }, transaction, cancellationToken: cancellationToken));
                    var locked = (await connection.QueryAsync<ModelSelectionStore.DomainModeRow>(new CommandDefinition(
                        _lockSql, new { caller.TenantId, Modes = names }, transaction, cancellationToken: cancellationToken)))
                        .Select(r => r.ToConfig())
                        .ToDictionary(c => c.Mode);
                    var next = update.Modes.OrderBy(m => m.Key).Select(m => (Current: locked[m.Key], Next: m.Value.ApplyTo(locked[m.Key]))).ToList();
                    await RequireEnabledModelsAsync(connection, transaction, caller, next, cancellationToken);
                    await connection.ExecuteAsync(new CommandDefinition(
                        _updateSql,
                        new
                        {
                            caller.TenantId,
                            caller.UserId,
                            Modes = next.Select(m => DbEnum.Name(m.Next.Mode)).ToArray(),
                            Enabled = next.Select(m => m.Next.Enabled).ToArray(),
                            Models = next.Select(m => m.Next.DefaultModel == DomainModeConfig.Auto ? null : m.Next.DefaultModel).ToArray(),
                            Temperatures = next.Select(m => m.Next.Temperature).ToArray(),
                            Prompts = next.Select(m => m.Next.SystemPromptOverride).ToArray(),
                        },
                        transaction,
                        cancellationToken: cancellationToken));
                    return await ReadAllAsync(connection, transaction, caller, cancellationToken);
                },
                cancellationToken);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("tenant", caller.TenantId);
        }
    }

    private async Task<IReadOnlyList<DomainModeConfig>> ReadAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, CancellationToken cancellationToken) =>
        ModelSelectionStore.AllModes(await connection.QueryAsync<ModelSelectionStore.DomainModeRow>(new CommandDefinition(
            _store.ReadDomainModes, new { caller.TenantId }, transaction, cancellationToken: cancellationToken)));

    /// <summary>
    /// Refuses a default model that is neither auto nor a registry model enabled for the tenant. Only a changed default
    /// is checked, so a configuration read and sent back unchanged stays acceptable after an admin disables its model.
    /// </summary>
    private async Task RequireEnabledModelsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, List<(DomainModeConfig Current, DomainModeConfig Next)> modes, CancellationToken cancellationToken)
    {
        var changed = modes.Where(m => m.Next.DefaultModel != DomainModeConfig.Auto && m.Next.DefaultModel != m.Current.DefaultModel).Select(m => m.Next).ToList();
        var status = await _store.ModelStatusAsync(connection, transaction, caller.TenantId, changed.Select(m => m.DefaultModel), cancellationToken);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var mode in changed)
        {
            var field = $"modes.{DbEnum.Name(mode.Mode)}.defaultModel";
            if (!status.TryGetValue(mode.DefaultModel, out var model))
            {
                errors[field] = [$"'{field}' must be '{DomainModeConfig.Auto}' or a model of the registry; '{mode.DefaultModel}' is not."];
            }
            else if (!model.Enabled)
            {
                errors[field] = [$"The model '{mode.DefaultModel}' is disabled for this tenant."];
            }
        }

        if (errors.Count > 0)
        {
            throw new RadiantValidationException(errors);
        }
    }
}
