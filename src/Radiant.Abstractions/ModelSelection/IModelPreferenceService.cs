using Radiant.Tenancy;

namespace Radiant.ModelSelection;

/// <summary>
/// Each user's model preferences and the models they may pick. A user reads and changes only their own preferences;
/// they are separate per tenant. "A model the user may pick" is a registry model enabled for the tenant and offered in
/// its Think Tank (<see cref="Registry.IModelRegistry"/>'s switches); an unknown one, or one the tenant's admins
/// switched off, is refused wherever a preference names a model.
/// </summary>
public interface IModelPreferenceService
{
    /// <summary>The caller's preferences (<see cref="ModelPreferences.Default"/> until they change one).</summary>
    Task<ModelPreferences> GetAsync(RadiantCaller caller, CancellationToken cancellationToken = default);

    /// <summary>
    /// Partially updates the caller's preferences and returns them. Every model the update introduces must be one the
    /// caller may pick (<see cref="Errors.RadiantValidationException"/> naming the field otherwise, and nothing changes);
    /// models it leaves where they were are not checked again. Concurrent toggles and recorded uses are never lost.
    /// </summary>
    Task<ModelPreferences> UpdateAsync(RadiantCaller caller, ModelPreferencesUpdate update, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds the model to the caller's favourites or removes it, in one atomic statement: concurrent toggles of
    /// different models all land, and toggles of the same model alternate. Adding needs a model the caller may pick;
    /// a favourite that is no longer available can still be removed. <see cref="Errors.RadiantNotFoundException"/>
    /// for a model the caller cannot pick and does not have; <see cref="Errors.RadiantLimitExceededException"/>
    /// (<c>favorite_models</c>) beyond <see cref="ModelSelectionLimits.MaxFavoriteModels"/>.
    /// </summary>
    Task<FavoriteToggled> ToggleFavoriteAsync(RadiantCaller caller, string modelId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the caller used a model (for the chat pipeline, after a message): it moves to the front of the
    /// recent models, each model once, at most <see cref="ModelSelectionLimits.MaxRecentModels"/>, in one atomic
    /// statement. Any registry model is accepted (the message already ran); <see cref="Errors.RadiantNotFoundException"/>
    /// for an unknown one. Returns the recent models, most recent first.
    /// </summary>
    Task<IReadOnlyList<string>> RecordRecentModelAsync(RadiantCaller caller, string modelId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The models the caller may pick that their category preferences show (<see cref="ModelPreferences.Shows"/>),
    /// standard before novel, then by display order and name, with the caller's prices now (from the pricing engine)
    /// and their favourite and recent flags.
    /// </summary>
    Task<IReadOnlyList<SelectableModel>> ListModelsAsync(RadiantCaller caller, CancellationToken cancellationToken = default);

    /// <summary>
    /// For the chat pipeline and the router: the caller's preferences, the tenant's seven domain modes and every model
    /// the caller may pick (not filtered by category preferences), read in one transaction and one round trip, priced
    /// for the caller now. Read it once per message.
    /// </summary>
    Task<ModelSelectionContext> GetSelectionContextAsync(RadiantCaller caller, CancellationToken cancellationToken = default);
}
