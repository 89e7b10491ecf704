using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.Registry;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /api/admin/models?enabled=</c> and the per-tenant switches
    /// <c>PUT /api/admin/models/{modelId}/enabled</c> and <c>PUT /api/admin/models/{modelId}/thinktank</c>.
    /// </summary>
    public static RouteGroupBuilder MapRadiantRegistry(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IModelRegistry>("Model registry", "AddRegistry");
        var admin = group.MapAdminGroup();

        admin.MapGet("/api/admin/models", async (BoolValue? enabled, HttpContext http, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.ListModelsAsync(http.Caller(), enabled?.Value, ct)))
            .WithName("ListModels")
            .WithSummary("Lists the catalogue's models as this tenant sees them, optionally only enabled (or disabled) ones.");

        admin.MapPut("/api/admin/models/{modelId}/enabled", async (TextValue modelId, JsonBody<ModelSwitch> body, HttpContext http, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.SetEnabledAsync(http.Caller(), modelId.Value, body.Value.Enabled, ct)))
            .WithName("SetModelEnabled")
            .WithSummary("Enables or disables a model for this tenant.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPut("/api/admin/models/{modelId}/thinktank", async (TextValue modelId, JsonBody<ModelSwitch> body, HttpContext http, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.SetThinkTankEnabledAsync(http.Caller(), modelId.Value, body.Value.Enabled, ct)))
            .WithName("SetModelThinkTankEnabled")
            .WithSummary("Offers or withdraws a model in this tenant's Think Tank.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
