using Dapper;
using Radiant.Postgres.Tenancy;
using Radiant.Routing;

namespace Radiant.Postgres.Routing;

/// <summary>Reads the model catalogue and every tenant's model switches in the read-only system scope and builds a routing catalogue.</summary>
internal sealed class RoutingCatalogLoader
{
    private readonly RadiantDb _db;
    private readonly string _sql;
    private long _version;

    public RoutingCatalogLoader(RadiantDb db)
    {
        _db = db;
        // A tenant may be routed to a model that is enabled for it and offered in its Think Tank (the same two switches
        // the registry shows); a tenant without a row has the catalogue's defaults.
        _sql = db.Sql(
            """
            SELECT id AS Id, provider_id AS ProviderId, context_window AS ContextWindow, max_output_tokens AS MaxOutputTokens,
                   modalities AS Modalities, capabilities AS Capabilities, is_novel AS IsNovel, category AS Category,
                   thinktank_enabled AS ThinkTankEnabled, display_order AS DisplayOrder
            FROM {schema}.models;
            SELECT s.tenant_id, s.model_id, s.is_enabled AND coalesce(s.thinktank_enabled, m.thinktank_enabled)
            FROM {schema}.tenant_model_settings s JOIN {schema}.models m ON m.id = s.model_id;
            """);
    }

    /// <summary>Loads a catalogue. Versions are taken when a load starts, so a later load always carries a higher one.</summary>
    public Task<RoutingCatalog> LoadAsync(CancellationToken cancellationToken)
    {
        var version = Interlocked.Increment(ref _version);
        return _db.InScopeAsync(
            RadiantScope.System,
            async (connection, transaction) =>
            {
                var builder = new RoutingCatalogBuilder();
                await using var results = await connection.QueryMultipleAsync(new CommandDefinition(_sql, transaction: transaction, cancellationToken: cancellationToken));
                foreach (var m in await results.ReadAsync<ModelRow>())
                {
                    builder.AddModel(new RoutingModel(m.Id, m.ProviderId, m.ContextWindow, m.MaxOutputTokens, RoutingRules.CapabilitiesOf(m.Modalities, m.Capabilities))
                    {
                        Category = m.Category,
                        IsNovel = m.IsNovel,
                        DisplayOrder = m.DisplayOrder,
                        EnabledByDefault = m.ThinkTankEnabled,
                    });
                }

                foreach (var (tenant, model, enabled) in await results.ReadAsync<(Guid, string, bool)>())
                {
                    builder.SetEnabled(tenant, model, enabled);
                }

                return builder.Build(version);
            },
            cancellationToken);
    }

    private sealed class ModelRow
    {
        public string Id { get; init; } = "";
        public string ProviderId { get; init; } = "";
        public int ContextWindow { get; init; }
        public int MaxOutputTokens { get; init; }
        public string[] Modalities { get; init; } = [];
        public string[] Capabilities { get; init; } = [];
        public bool IsNovel { get; init; }
        public string Category { get; init; } = "";
        public bool ThinkTankEnabled { get; init; }
        public int DisplayOrder { get; init; }
    }
}
