using System.Collections.ObjectModel;
using System.Text.Json.Serialization;

namespace Radiant.ModelSelection;

/// <summary>How a user picks the model of a message.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelSelectionMode>))]
public enum ModelSelectionMode
{
    /// <summary>The router chooses for each message.</summary>
    [JsonStringEnumMemberName("auto")]
    Auto,

    /// <summary>The user chooses (their default model unless a message names another).</summary>
    [JsonStringEnumMemberName("manual")]
    Manual,

    /// <summary>The user chooses among their favourite models.</summary>
    [JsonStringEnumMemberName("favorites")]
    Favorites,
}

/// <summary>
/// A user's model preferences. A user who never changed them has <see cref="Default"/>. Model ids are registry ids;
/// a model an admin disabled after the user chose it stays listed here until the user changes that field, so a
/// caller that acts on a preference checks the model is still available (<see cref="ModelSelectionContext.FindModel"/>).
/// </summary>
/// <param name="SelectionMode">Auto, manual or favourites.</param>
/// <param name="DefaultModelId">The user's default model, or null for none.</param>
/// <param name="FavoriteModels">Favourite models, in the order they were added.</param>
/// <param name="ShowStandardModels">List standard models (neither novel nor self-hosted).</param>
/// <param name="ShowNovelModels">List novel (cutting-edge, experimental) models.</param>
/// <param name="ShowSelfHostedModels">List self-hosted models.</param>
/// <param name="ShowCostPerMessage">Show the cost of each message.</param>
/// <param name="MaxCostPerMessage">The most one message may cost, in dollars; null for no limit.</param>
/// <param name="PreferCostOptimization">Prefer cheaper models when the router chooses.</param>
/// <param name="DomainModeModelOverrides">The model the user wants in a domain mode, instead of the mode's default.</param>
/// <param name="RecentModels">Models the user used lately, most recent first, each once, at most
/// <see cref="ModelSelectionLimits.MaxRecentModels"/>.</param>
/// <param name="UpdatedAt">When the user last changed a preference; null while they have the defaults.</param>
public sealed record ModelPreferences(
    ModelSelectionMode SelectionMode,
    string? DefaultModelId,
    IReadOnlyList<string> FavoriteModels,
    bool ShowStandardModels,
    bool ShowNovelModels,
    bool ShowSelfHostedModels,
    bool ShowCostPerMessage,
    decimal? MaxCostPerMessage,
    bool PreferCostOptimization,
    IReadOnlyDictionary<DomainMode, string> DomainModeModelOverrides,
    IReadOnlyList<string> RecentModels,
    DateTimeOffset? UpdatedAt)
{
    /// <summary>
    /// The preferences of a user who never changed them: auto selection, no default model, no favourites, standard and
    /// novel models shown, self-hosted ones not, cost shown, no cost limit, no cost optimisation, no overrides.
    /// </summary>
    public static ModelPreferences Default { get; } = new(
        ModelSelectionMode.Auto, null, [], true, true, false, true, null, false,
        new ReadOnlyDictionary<DomainMode, string>(new Dictionary<DomainMode, string>()), [], null);

    /// <summary>
    /// Whether the user's category preferences list <paramref name="model"/>: a self-hosted model when
    /// <see cref="ShowSelfHostedModels"/>, otherwise a novel one when <see cref="ShowNovelModels"/>, otherwise a standard
    /// one when <see cref="ShowStandardModels"/>.
    /// </summary>
    public bool Shows(SelectableModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.IsSelfHosted ? ShowSelfHostedModels : model.IsNovel ? ShowNovelModels : ShowStandardModels;
    }
}

/// <summary>A model a user may pick, with what the user pays for it.</summary>
/// <param name="Id">The registry model id.</param>
/// <param name="DisplayName">Name shown to users.</param>
/// <param name="ProviderId">The provider's id.</param>
/// <param name="ProviderName">The provider's display name.</param>
/// <param name="IsNovel">A cutting-edge or experimental model.</param>
/// <param name="IsSelfHosted">A model the platform runs itself.</param>
/// <param name="Category">The catalogue's category, for example <c>flagship</c>, <c>economy</c>, <c>novel</c>.</param>
/// <param name="ContextWindow">Context window in tokens.</param>
/// <param name="MaxOutputTokens">Maximum output tokens per response.</param>
/// <param name="Modalities">Input/output modalities.</param>
/// <param name="Capabilities">Capabilities, for example <c>chat</c>, <c>code</c>, <c>reasoning</c>.</param>
/// <param name="UserInputPricePer1M">What this user pays per 1M input tokens, in dollars (the tenant's price now).</param>
/// <param name="UserOutputPricePer1M">What this user pays per 1M output tokens, in dollars.</param>
/// <param name="IsFavorite">One of the user's favourites.</param>
/// <param name="IsRecent">One of the user's recently used models.</param>
public sealed record SelectableModel(
    string Id,
    string DisplayName,
    string ProviderId,
    string ProviderName,
    bool IsNovel,
    bool IsSelfHosted,
    string Category,
    int ContextWindow,
    int MaxOutputTokens,
    IReadOnlyList<string> Modalities,
    IReadOnlyList<string> Capabilities,
    decimal UserInputPricePer1M,
    decimal UserOutputPricePer1M,
    bool IsFavorite,
    bool IsRecent);

/// <summary>The result of toggling a favourite.</summary>
/// <param name="ModelId">The model.</param>
/// <param name="IsFavorite">Whether it is a favourite now.</param>
/// <param name="FavoriteModels">The user's favourites after the toggle.</param>
public sealed record FavoriteToggled(string ModelId, bool IsFavorite, IReadOnlyList<string> FavoriteModels);

/// <summary>
/// Everything the choice of a message's model depends on, read for one user in one transaction: their preferences, the
/// tenant's seven domain modes and the models they may pick, priced for them now. Nothing in it is cached, so a change
/// to any of them applies to the next message read after it.
/// </summary>
/// <param name="Preferences">The user's preferences.</param>
/// <param name="DomainModes">The tenant's seven domain modes, in <see cref="DomainMode"/> order.</param>
/// <param name="Models">Every model the user may pick (enabled for the tenant and offered in Think Tank), whatever
/// their category preferences, in the list's order (standard before novel, then display order, then name).</param>
public sealed record ModelSelectionContext(
    ModelPreferences Preferences,
    IReadOnlyList<DomainModeConfig> DomainModes,
    IReadOnlyList<SelectableModel> Models)
{
    /// <summary>The tenant's configuration of <paramref name="mode"/>.</summary>
    public DomainModeConfig DomainModeFor(DomainMode mode) =>
        DomainModes.FirstOrDefault(m => m.Mode == mode) ?? DomainModeConfig.DefaultFor(mode);

    /// <summary>The model with this id if the user may pick it; null otherwise (unknown, disabled, or not offered).</summary>
    public SelectableModel? FindModel(string modelId) =>
        Models.FirstOrDefault(m => string.Equals(m.Id, modelId, StringComparison.Ordinal));
}
