using System.Buffers;
using System.Collections.ObjectModel;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using Radiant.ModelSelection;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;
using Radiant.Registry;

namespace Radiant.Postgres.ModelSelection;

/// <summary>
/// The SQL and row mapping the domain-mode and preference services share, built once for the configured schema, and
/// the pricing of the models a user may pick.
/// </summary>
internal sealed class ModelSelectionStore
{
    /// <summary>
    /// A model the user may pick: enabled for the tenant and offered in its Think Tank (the tenant's switches, else the
    /// catalogue's default). Needs <c>m</c> (models) and <c>s</c> (the tenant's settings, left-joined).
    /// </summary>
    public const string Pickable = "coalesce(s.is_enabled, true) AND coalesce(s.thinktank_enabled, m.thinktank_enabled)";

    /// <summary>The columns of a preferences row, as <see cref="PreferenceRow"/> reads them.</summary>
    public const string PreferenceColumns =
        "selection_mode AS SelectionMode, default_model_id AS DefaultModelId, favorite_models AS FavoriteModels, " +
        "show_standard_models AS ShowStandardModels, show_novel_models AS ShowNovelModels, show_self_hosted_models AS ShowSelfHostedModels, " +
        "show_cost_per_message AS ShowCostPerMessage, max_cost_per_message AS MaxCostPerMessage, " +
        "prefer_cost_optimization AS PreferCostOptimization, domain_mode_model_overrides::text AS Overrides, " +
        "recent_models AS RecentModels, updated_at AS UpdatedAt";

    private const string DomainModeColumns =
        "mode AS Mode, enabled AS Enabled, default_model_id AS DefaultModelId, temperature AS Temperature, " +
        "system_prompt_override AS SystemPromptOverride, updated_at AS UpdatedAt";

    private readonly IPricingEngine _pricing;
    private readonly TimeProvider _time;

    public ModelSelectionStore(RadiantDb db, IPricingEngine pricing, TimeProvider time)
    {
        _pricing = pricing;
        _time = time;
        ReadPreferences = db.Sql($"SELECT {PreferenceColumns} FROM {{schema}}.model_preferences WHERE tenant_id = @TenantId AND user_id = @UserId");
        ReadDomainModes = db.Sql($"SELECT {DomainModeColumns} FROM {{schema}}.domain_modes WHERE tenant_id = @TenantId");
        ReadPickableModels = db.Sql(
            $$"""
            SELECT m.id AS Id, m.display_name AS DisplayName, m.provider_id AS ProviderId, p.display_name AS ProviderName,
                   m.is_novel AS IsNovel, m.category AS Category, m.context_window AS ContextWindow,
                   m.max_output_tokens AS MaxOutputTokens, m.modalities AS Modalities, m.capabilities AS Capabilities
            FROM {schema}.models m
            JOIN {schema}.providers p ON p.id = m.provider_id
            LEFT JOIN {schema}.tenant_model_settings s ON s.tenant_id = @TenantId AND s.model_id = m.id
            WHERE {{Pickable}}
            ORDER BY m.is_novel, m.display_order, m.display_name, m.id
            """);
        RecordRecentModel = db.Sql(
            $$"""
            INSERT INTO {schema}.model_preferences AS p (tenant_id, user_id, recent_models)
            SELECT @TenantId, @UserId, ARRAY[@ModelId]::text[] FROM {schema}.models WHERE id = @ModelId
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET
                recent_models = (ARRAY[@ModelId]::text[] || array_remove(p.recent_models, @ModelId))[1:{{ModelSelectionLimits.MaxRecentModels}}]
            RETURNING recent_models
            """);
        ReadModelStatus = db.Sql(
            $$"""
            SELECT m.id AS Id, coalesce(s.is_enabled, true) AS Enabled, {{Pickable}} AS Pickable
            FROM {schema}.models m
            LEFT JOIN {schema}.tenant_model_settings s ON s.tenant_id = @TenantId AND s.model_id = m.id
            WHERE m.id = ANY (@Ids)
            """);
    }

    /// <summary>The user's preferences row (none while they have the defaults).</summary>
    public string ReadPreferences { get; }

    /// <summary>
    /// Moves @ModelId to the front of the user's recent models (each once, bounded) in one statement, creating the row
    /// if needed; returns the list, or no row for a model not in the registry. Parameters: TenantId, UserId, ModelId.
    /// </summary>
    public string RecordRecentModel { get; }

    /// <summary>The tenant's domain-mode rows (only the modes an admin changed).</summary>
    public string ReadDomainModes { get; }

    /// <summary>The models the user may pick, in the list's order.</summary>
    public string ReadPickableModels { get; }

    /// <summary>Whether each of <c>@Ids</c> exists, is enabled for the tenant, and may be picked by its users.</summary>
    public string ReadModelStatus { get; }

    /// <summary>The registry status of <paramref name="ids"/> for the tenant: id → (enabled, pickable); unknown ids are absent.</summary>
    public async Task<Dictionary<string, ModelStatus>> ModelStatusAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var distinct = ids.Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0)
        {
            return new Dictionary<string, ModelStatus>(StringComparer.Ordinal);
        }

        var rows = await connection.QueryAsync<ModelStatus>(new CommandDefinition(
            ReadModelStatus, new { TenantId = tenantId, Ids = distinct }, transaction, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
    }

    /// <summary>
    /// The tenant's seven modes from its rows, in <see cref="DomainMode"/> order; a mode without a row has its defaults.
    /// </summary>
    public static IReadOnlyList<DomainModeConfig> AllModes(IEnumerable<DomainModeRow> rows)
    {
        var stored = rows.Select(r => r.ToConfig()).ToDictionary(c => c.Mode);
        return [.. Enum.GetValues<DomainMode>().Select(mode => stored.TryGetValue(mode, out var config) ? config : DomainModeConfig.DefaultFor(mode))];
    }

    /// <summary>
    /// The rows as the user sees them, with the tenant's prices now from the pricing engine's snapshot. A tenant or model
    /// the snapshot does not know yet (a tenant that signed up a moment ago) makes the engine reload once: a reload
    /// started after the rows were read knows every tenant and model they name.
    /// </summary>
    public async Task<IReadOnlyList<SelectableModel>> PriceAsync(
        Guid tenantId, IReadOnlyList<ModelRow> rows, ModelPreferences preferences, CancellationToken cancellationToken)
    {
        var snapshot = _pricing.Current;
        if (rows.Any(r => !snapshot.TryResolve(tenantId, r.Id, out _)))
        {
            snapshot = await _pricing.RefreshAsync(cancellationToken);
        }

        var now = _time.GetUtcNow();
        var favorites = preferences.FavoriteModels.ToHashSet(StringComparer.Ordinal);
        var recent = preferences.RecentModels.ToHashSet(StringComparer.Ordinal);
        return [.. rows.Select(r =>
        {
            var quote = snapshot.Quote(tenantId, r.Id, 0, 0, now);
            return new SelectableModel(
                r.Id, r.DisplayName, r.ProviderId, r.ProviderName, r.IsNovel, r.ProviderId == ProviderDefinition.SelfHostedId, r.Category,
                r.ContextWindow, r.MaxOutputTokens, r.Modalities, r.Capabilities, quote.UserInputPricePer1M, quote.UserOutputPricePer1M,
                favorites.Contains(r.Id), recent.Contains(r.Id));
        })];
    }

    /// <summary>The overrides as stored: a jsonb object of mode name → model id.</summary>
    public static string OverridesJson(IReadOnlyDictionary<DomainMode, string> overrides)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (mode, modelId) in overrides.OrderBy(o => o.Key))
            {
                writer.WriteString(DbEnum.Name(mode), modelId);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The stored overrides, in <see cref="DomainMode"/> order.</summary>
    private static ReadOnlyDictionary<DomainMode, string> ParseOverrides(string? json)
    {
        var overrides = new SortedDictionary<DomainMode, string>();
        if (!string.IsNullOrEmpty(json))
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                overrides[DbEnum.Parse<DomainMode>(property.Name)] = property.Value.GetString()!;
            }
        }

        return new ReadOnlyDictionary<DomainMode, string>(overrides.ToDictionary());
    }

    internal sealed record ModelStatus(string Id, bool Enabled, bool Pickable);

    internal sealed class PreferenceRow
    {
        public string SelectionMode { get; init; } = "";
        public string? DefaultModelId { get; init; }
        public string[] FavoriteModels { get; init; } = [];
        public bool ShowStandardModels { get; init; }
        public bool ShowNovelModels { get; init; }
        public bool ShowSelfHostedModels { get; init; }
        public bool ShowCostPerMessage { get; init; }
        public decimal? MaxCostPerMessage { get; init; }
        public bool PreferCostOptimization { get; init; }
        public string? Overrides { get; init; }
        public string[] RecentModels { get; init; } = [];
        public DateTime? UpdatedAt { get; init; }

        public ModelPreferences ToPreferences() => new(
            DbEnum.Parse<ModelSelectionMode>(SelectionMode),
            DefaultModelId,
            FavoriteModels,
            ShowStandardModels,
            ShowNovelModels,
            ShowSelfHostedModels,
            ShowCostPerMessage,
            MaxCostPerMessage,
            PreferCostOptimization,
            ParseOverrides(Overrides),
            RecentModels,
            UpdatedAt is { } updated ? JsonColumns.Utc(updated) : null);
    }

    internal sealed class DomainModeRow
    {
        public string Mode { get; init; } = "";
        public bool Enabled { get; init; }
        public string? DefaultModelId { get; init; }
        public decimal Temperature { get; init; }
        public string? SystemPromptOverride { get; init; }
        public DateTime UpdatedAt { get; init; }

        public DomainModeConfig ToConfig() => new(
            DbEnum.Parse<DomainMode>(Mode), Enabled, DefaultModelId ?? DomainModeConfig.Auto, Temperature, SystemPromptOverride, JsonColumns.Utc(UpdatedAt));
    }

    internal sealed class ModelRow
    {
        public string Id { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string ProviderId { get; init; } = "";
        public string ProviderName { get; init; } = "";
        public bool IsNovel { get; init; }
        public string Category { get; init; } = "";
        public int ContextWindow { get; init; }
        public int MaxOutputTokens { get; init; }
        public string[] Modalities { get; init; } = [];
        public string[] Capabilities { get; init; } = [];
    }
}
