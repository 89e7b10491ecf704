using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.FocusModes;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /api/focus-modes</c> for users and <c>/api/admin/focus-modes</c> (list, create, update,
    /// deactivate) for tenant admins. Returns the group so the host can add conventions.
    /// </summary>
    public static RouteGroupBuilder MapRadiantFocusModes(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IFocusModeService>("Focus modes", "AddFocusModes");
        var admin = group.MapAdminGroup();

        group.MapGet("/api/focus-modes", async (HttpContext http, IFocusModeService modes, CancellationToken ct) =>
                TypedResults.Ok(await modes.ListAsync(http.Caller(), includeInactive: false, ct)))
            .WithName("ListFocusModes")
            .WithSummary("Lists the active focus modes the caller can use: system modes first, then the tenant's, by name.");

        admin.MapGet("/api/admin/focus-modes", async (BoolValue? includeInactive, HttpContext http, IFocusModeService modes, CancellationToken ct) =>
                TypedResults.Ok(await modes.ListAsync(http.Caller(), includeInactive?.Value ?? true, ct)))
            .WithName("AdminListFocusModes")
            .WithSummary("Lists system and tenant focus modes, inactive ones included unless includeInactive=false.");

        admin.MapPost("/api/admin/focus-modes", async Task<Created<FocusMode>> (JsonBody<FocusModeCreate> body, HttpContext http, IFocusModeService modes, CancellationToken ct) =>
            {
                var mode = await modes.CreateAsync(http.Caller(), body.Value, ct);
                return TypedResults.Created($"/api/admin/focus-modes/{mode.Id}", mode);
            })
            .WithName("CreateFocusMode")
            .WithSummary("Creates a tenant focus mode.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapGet("/api/admin/focus-modes/{id}", async (UuidValue id, HttpContext http, IFocusModeService modes, CancellationToken ct) =>
                TypedResults.Ok(await modes.GetAsync(http.Caller(), id.Value, ct)))
            .WithName("GetFocusMode")
            .WithSummary("Returns a system mode or one of the tenant's modes.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPut("/api/admin/focus-modes/{id}", async (UuidValue id, JsonBody<FocusModeUpdate> body, HttpContext http, IFocusModeService modes, CancellationToken ct) =>
                TypedResults.Ok(await modes.UpdateAsync(http.Caller(), id.Value, body.Value, ct)))
            .WithName("UpdateFocusMode")
            .WithSummary("Partially updates a tenant focus mode: absent fields stay, null clears optional ones. System modes are read-only (403).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapDelete("/api/admin/focus-modes/{id}", async (UuidValue id, HttpContext http, IFocusModeService modes, CancellationToken ct) =>
                TypedResults.Ok(await modes.DeactivateAsync(http.Caller(), id.Value, ct)))
            .WithName("DeactivateFocusMode")
            .WithSummary("Deactivates a tenant focus mode (kept for history, hidden from users).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
