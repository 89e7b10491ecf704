using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.Common;
using Radiant.Personas;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/api/personas</c>: list, create, read, partial update, delete, log a use and build the prompt.
    /// Returns the group so the host can add conventions.
    /// </summary>
    public static RouteGroupBuilder MapRadiantPersonas(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IPersonaService>("Personas", "AddPersonas");

        group.MapGet("/api/personas", async (TextValue? cursor, IntValue? limit, HttpContext http, IPersonaService personas, CancellationToken ct) =>
                TypedResults.Ok(await personas.ListAsync(http.Caller(), Page(cursor, limit), ct)))
            .WithName("ListPersonas")
            .WithSummary("Lists the caller's personas and the tenant's public ones, most used first.")
            .ProducesValidationProblem();

        group.MapPost("/api/personas", async Task<Created<Persona>> (JsonBody<PersonaCreate> body, HttpContext http, IPersonaService personas, CancellationToken ct) =>
            {
                var persona = await personas.CreateAsync(http.Caller(), body.Value, ct);
                return TypedResults.Created($"/api/personas/{persona.Id}", persona);
            })
            .WithName("CreatePersona")
            .WithSummary("Creates a persona owned by the caller.")
            .ProducesValidationProblem();

        group.MapGet("/api/personas/{id}", async (UuidValue id, HttpContext http, IPersonaService personas, CancellationToken ct) =>
                TypedResults.Ok(await personas.GetAsync(http.Caller(), id.Value, ct)))
            .WithName("GetPersona")
            .WithSummary("Returns one of the caller's personas or a public persona of the tenant.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/api/personas/{id}", async (UuidValue id, JsonBody<PersonaUpdate> body, HttpContext http, IPersonaService personas, CancellationToken ct) =>
                TypedResults.Ok(await personas.UpdateAsync(http.Caller(), id.Value, body.Value, ct)))
            .WithName("UpdatePersona")
            .WithSummary("Partially updates a persona the caller owns: absent fields stay, null clears optional ones.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/api/personas/{id}", async Task<NoContent> (UuidValue id, HttpContext http, IPersonaService personas, CancellationToken ct) =>
            {
                await personas.DeleteAsync(http.Caller(), id.Value, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeletePersona")
            .WithSummary("Deletes a persona the caller owns, with its usage log.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/personas/{id}/usage", async (UuidValue id, JsonBody<PersonaUsage>? body, HttpContext http, IPersonaService personas, CancellationToken ct) =>
                TypedResults.Ok(await personas.LogUsageAsync(http.Caller(), id.Value, body?.ValueOrNull ?? new PersonaUsage(), ct)))
            .WithName("LogPersonaUsage")
            .WithSummary("Records one use of a persona and returns its new usage count (the body is optional).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/personas/{id}/prompt", async (UuidValue id, TextValue? focusMode, HttpContext http, IPersonaService personas, CancellationToken ct) =>
                TypedResults.Ok(new PersonaPrompt(id.Value, focusMode?.Value, await personas.BuildPromptAsync(http.Caller(), id.Value, focusMode?.Value, ct))))
            .WithName("GetPersonaPrompt")
            .WithSummary("Builds the persona's system prompt (traits, expertise and, when given, a focus mode by name).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
