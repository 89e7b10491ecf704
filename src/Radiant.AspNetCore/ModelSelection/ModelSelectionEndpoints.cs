using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.ModelSelection;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /api/thinktank/models</c> (the models the caller may pick, at their prices),
    /// <c>GET/PUT /api/thinktank/preferences/models</c> (the caller's model preferences; PUT is partial),
    /// <c>POST /api/thinktank/preferences/models/{modelId}/favorite</c> (toggle a favourite) and, for tenant admins,
    /// <c>GET/PUT /api/admin/thinktank/domain-modes</c> (the seven domain modes; PUT is partial per mode).
    /// </summary>
    public static RouteGroupBuilder MapRadiantModelSelection(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IModelPreferenceService>("Model selection", "AddModelSelection");
        var admin = group.MapAdminGroup();

        group.MapGet("/api/thinktank/models", async (HttpContext http, IModelPreferenceService preferences, CancellationToken ct) =>
                TypedResults.Ok(await preferences.ListModelsAsync(http.Caller(), ct)))
            .WithName("ListThinkTankModels")
            .WithSummary("The models the caller may pick that their category preferences show, with their prices per 1M tokens and favourite and recent flags.");

        group.MapGet("/api/thinktank/preferences/models", async (HttpContext http, IModelPreferenceService preferences, CancellationToken ct) =>
                TypedResults.Ok(await preferences.GetAsync(http.Caller(), ct)))
            .WithName("GetModelPreferences")
            .WithSummary("The caller's model preferences (the defaults until they change one).");

        group.MapPut("/api/thinktank/preferences/models", async (JsonBody<ModelPreferencesUpdate> body, HttpContext http, IModelPreferenceService preferences, CancellationToken ct) =>
                TypedResults.Ok(await preferences.UpdateAsync(http.Caller(), body.Value, ct)))
            .WithName("UpdateModelPreferences")
            .WithSummary("Partially updates the caller's model preferences: absent fields stay, null clears the default model, the cost limit, favourites and overrides.")
            .ProducesValidationProblem();

        group.MapPost("/api/thinktank/preferences/models/{modelId}/favorite", async (TextValue modelId, HttpContext http, IModelPreferenceService preferences, CancellationToken ct) =>
                TypedResults.Ok(await preferences.ToggleFavoriteAsync(http.Caller(), modelId.Value, ct)))
            .WithName("ToggleFavoriteModel")
            .WithSummary("Adds the model to the caller's favourites, or removes it when it is one.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapGet("/api/admin/thinktank/domain-modes", async (HttpContext http, IDomainModeService modes, CancellationToken ct) =>
                TypedResults.Ok(await modes.ListAsync(http.Caller(), ct)))
            .WithName("ListDomainModes")
            .WithSummary("The tenant's seven domain modes: enabled, default model (a model id or auto), temperature and system prompt override.");

        admin.MapPut("/api/admin/thinktank/domain-modes", async (JsonBody<DomainModesUpdate> body, HttpContext http, IDomainModeService modes, CancellationToken ct) =>
                TypedResults.Ok(await modes.UpdateAsync(http.Caller(), body.Value, ct)))
            .WithName("UpdateDomainModes")
            .WithSummary("Partially updates the modes named in 'modes' ({\"modes\": {\"code\": {\"temperature\": 0.2}}}) and returns all seven.")
            .ProducesValidationProblem();

        return group;
    }
}
