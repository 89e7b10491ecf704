using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Radiant.Registry;

namespace Radiant.Routing;

/// <summary>
/// Immutable routing view of the model catalogue: every model with what it can do, in rank order (best first, see
/// <see cref="RoutingRules"/>), and which models each tenant may be routed to. Built once per catalogue or switch
/// change with <see cref="RoutingCatalogBuilder"/>, then shared by every decision; prices come from the
/// <see cref="Pricing.PricingSnapshot"/>, not from here.
/// </summary>
public sealed class RoutingCatalog
{
    private readonly RoutingModel[] _models;
    private readonly Entry[] _entries;
    private readonly FrozenDictionary<string, int> _index;
    private readonly ulong[] _defaultEnabled;
    private readonly FrozenDictionary<Guid, ulong[]> _tenantEnabled;

    internal RoutingCatalog(IEnumerable<RoutingModel> models, IReadOnlyDictionary<Guid, Dictionary<string, bool>> tenantSettings, long version)
    {
        Version = version;
        _models = [.. models
            .OrderBy(m => m.IsNovel)
            .ThenBy(m => RoutingRules.QualityTier(m.Category))
            .ThenBy(m => m.DisplayOrder)
            .ThenBy(m => m.Id, StringComparer.Ordinal)];
        _entries = [.. _models.Select(m => new Entry(m.Id, m.ProviderId, m.ContextWindow, m.MaxOutputTokens, m.Capabilities))];
        _index = _models.Select((m, i) => (m.Id, i)).ToFrozenDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        Models = Array.AsReadOnly(_models);

        _defaultEnabled = new ulong[(_models.Length + 63) / 64];
        for (var i = 0; i < _models.Length; i++)
        {
            if (_models[i].EnabledByDefault)
            {
                _defaultEnabled[i >> 6] |= 1UL << (i & 63);
            }
        }

        var tenants = new Dictionary<Guid, ulong[]>();
        foreach (var (tenantId, settings) in tenantSettings)
        {
            var bits = (ulong[])_defaultEnabled.Clone();
            foreach (var (modelId, enabled) in settings)
            {
                if (_index.TryGetValue(modelId, out var i))
                {
                    bits[i >> 6] = enabled ? bits[i >> 6] | (1UL << (i & 63)) : bits[i >> 6] & ~(1UL << (i & 63));
                }
            }

            tenants[tenantId] = bits;
        }

        _tenantEnabled = tenants.ToFrozenDictionary();
    }

    /// <summary>A catalogue without models: every decision fails with <see cref="NoModelFitsException"/>.</summary>
    public static RoutingCatalog Empty { get; } = new RoutingCatalogBuilder().Build();

    /// <summary>
    /// The routing view of a model catalogue with its defaults (no tenant has settings of its own), for example
    /// <c>RoutingCatalog.FromCatalog(BuiltInCatalog.Catalog)</c>.
    /// </summary>
    public static RoutingCatalog FromCatalog(ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new RoutingCatalogBuilder().AddModels(catalog.Models).Build();
    }

    /// <summary>A number identifying this catalogue (the loader's reload counter, or what the builder was given).</summary>
    public long Version { get; }

    /// <summary>Every model, best first.</summary>
    public IReadOnlyList<RoutingModel> Models { get; }

    /// <summary>Number of models.</summary>
    public int Count => _models.Length;

    /// <summary>Finds a model by id (ordinal).</summary>
    public bool TryGetModel(string modelId, [MaybeNullWhen(false)] out RoutingModel model)
    {
        if (modelId is not null && _index.TryGetValue(modelId, out var i))
        {
            model = _models[i];
            return true;
        }

        model = null;
        return false;
    }

    /// <summary>True when the tenant may be routed to the model: it is in the catalogue and enabled for the tenant (its own setting, else the model's default).</summary>
    public bool IsEnabled(Guid tenantId, string modelId) =>
        modelId is not null && _index.TryGetValue(modelId, out var i) && IsEnabled(EnabledFor(tenantId), i);

    internal int IndexOf(string modelId) => _index.TryGetValue(modelId, out var i) ? i : -1;

    internal ref readonly Entry EntryAt(int index) => ref _entries[index];

    internal ulong[] EnabledFor(Guid tenantId) => _tenantEnabled.TryGetValue(tenantId, out var bits) ? bits : _defaultEnabled;

    internal static bool IsEnabled(ulong[] bits, int index) => (bits[index >> 6] & (1UL << (index & 63))) != 0;

    /// <summary>What a decision reads of a model, packed for the loop over every model.</summary>
    internal readonly record struct Entry(string Id, string ProviderId, int ContextWindow, int MaxOutputTokens, RoutingCapabilities Capabilities);
}

/// <summary>
/// Collects models and tenants' switches, then builds an immutable <see cref="RoutingCatalog"/>. Usable without a
/// database or DI.
/// </summary>
public sealed class RoutingCatalogBuilder
{
    private readonly Dictionary<string, RoutingModel> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, Dictionary<string, bool>> _tenants = [];

    /// <summary>Adds (or replaces) a model.</summary>
    public RoutingCatalogBuilder AddModel(RoutingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(model.Id, nameof(model));
        ArgumentException.ThrowIfNullOrEmpty(model.ProviderId, nameof(model));
        ArgumentOutOfRangeException.ThrowIfNegative(model.ContextWindow, nameof(model));
        ArgumentOutOfRangeException.ThrowIfNegative(model.MaxOutputTokens, nameof(model));
        if ((model.Capabilities & ~RoutingRules.AllCapabilities) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(model), $"Model '{model.Id}' has undefined capability flags ({(int)model.Capabilities}).");
        }

        _models[model.Id] = model;
        return this;
    }

    /// <summary>Adds (or replaces) catalogue entries, each through <see cref="RoutingModel.FromDefinition"/>.</summary>
    public RoutingCatalogBuilder AddModels(IEnumerable<ModelDefinition> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        foreach (var model in models)
        {
            AddModel(RoutingModel.FromDefinition(model));
        }

        return this;
    }

    /// <summary>
    /// Records a tenant's own setting for a model (the tenant's admins switched it on or off), replacing the model's
    /// <see cref="RoutingModel.EnabledByDefault"/> for that tenant. Settings for models not in the catalogue are ignored.
    /// </summary>
    public RoutingCatalogBuilder SetEnabled(Guid tenantId, string modelId, bool enabled)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        if (!_tenants.TryGetValue(tenantId, out var settings))
        {
            _tenants[tenantId] = settings = new Dictionary<string, bool>(StringComparer.Ordinal);
        }

        settings[modelId] = enabled;
        return this;
    }

    /// <summary>Builds the immutable catalogue.</summary>
    public RoutingCatalog Build(long version = 0) => new(_models.Values, _tenants, version);
}
