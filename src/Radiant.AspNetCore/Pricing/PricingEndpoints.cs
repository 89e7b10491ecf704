using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.Common;
using Radiant.Pricing;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET/PUT /api/admin/pricing/config</c>, <c>GET /api/admin/pricing/models</c>,
    /// <c>POST /api/admin/pricing/bulk-update</c>, <c>PUT/DELETE /api/admin/pricing/models/{modelId}/override</c> and
    /// <c>GET /api/admin/pricing/history</c>. Markups are fractions (0.40 = 40 %), prices dollars per 1M tokens.
    /// </summary>
    public static RouteGroupBuilder MapRadiantPricing(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IPricingAdminService>("Pricing", "AddPricing");
        var admin = group.MapAdminGroup();

        admin.MapGet("/api/admin/pricing/config", async (HttpContext http, IPricingAdminService pricing, CancellationToken ct) =>
                TypedResults.Ok(await pricing.GetConfigAsync(http.Caller(), ct)))
            .WithName("GetPricingConfig")
            .WithSummary("The tenant's pricing configuration.");

        admin.MapPut("/api/admin/pricing/config", async (JsonBody<PricingConfigUpdate> body, HttpContext http, IPricingAdminService pricing, CancellationToken ct) =>
                TypedResults.Ok(await pricing.UpdateConfigAsync(http.Caller(), body.Value, ct)))
            .WithName("UpdatePricingConfig")
            .WithSummary("Partially updates the pricing configuration; absent fields keep their value.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/pricing/models", async (HttpContext http, IPricingAdminService pricing, CancellationToken ct) =>
                TypedResults.Ok(await pricing.ListModelPricesAsync(http.Caller(), ct)))
            .WithName("ListModelPrices")
            .WithSummary("Every model's base prices, effective markup, user prices and override for this tenant now.");

        admin.MapPost("/api/admin/pricing/bulk-update", async (JsonBody<BulkMarkupUpdate> body, HttpContext http, IPricingAdminService pricing, CancellationToken ct) =>
                TypedResults.Ok(await pricing.BulkUpdateMarkupAsync(http.Caller(), body.Value, ct)))
            .WithName("BulkUpdateMarkup")
            .WithSummary("Sets the default markup of all external or all self-hosted models, with one history row per affected model.")
            .ProducesValidationProblem();

        admin.MapPut("/api/admin/pricing/models/{modelId}/override", async (TextValue modelId, JsonBody<PriceOverrideInput> body, HttpContext http, IPricingAdminService pricing, CancellationToken ct) =>
                TypedResults.Ok(await pricing.SetOverrideAsync(http.Caller(), modelId.Value, body.Value, ct)))
            .WithName("SetPriceOverride")
            .WithSummary("Sets a model's override, replacing the current one. A price rise takes effect after the grace period.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapDelete("/api/admin/pricing/models/{modelId}/override", async (TextValue modelId, HttpContext http, IPricingAdminService pricing, CancellationToken ct) =>
                TypedResults.Ok(await pricing.RemoveOverrideAsync(http.Caller(), modelId.Value, ct)))
            .WithName("RemovePriceOverride")
            .WithSummary("Returns a model to the default pricing (after the grace period when that raises the price).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapGet("/api/admin/pricing/history", async (TextValue? modelId, TextValue? cursor, IntValue? limit, HttpContext http, IPricingAdminService pricing, CancellationToken ct) =>
                TypedResults.Ok(await pricing.ListHistoryAsync(http.Caller(), modelId?.Value, Page(cursor, limit), ct)))
            .WithName("ListPriceHistory")
            .WithSummary("Price changes, newest first, optionally for one model.")
            .ProducesValidationProblem();

        return group;
    }
}
