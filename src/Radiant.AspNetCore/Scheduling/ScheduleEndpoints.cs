using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.Common;
using Radiant.Scheduling;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/api/schedules</c>: create, list, get, update, delete, pause, resume, run now and run history. Users
    /// reach their own schedules; callers who satisfy the admin policy reach every schedule of their tenant.
    /// </summary>
    public static RouteGroupBuilder MapRadiantSchedules(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IScheduleService>("Schedules", "AddScheduler");

        group.MapGet("/api/schedules", async (TextValue? cursor, IntValue? limit, UuidValue? userId, BoolValue? active, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.ListAsync(
                    http.Caller(),
                    new ScheduleListQuery(Page(cursor, limit), userId?.Value, active?.Value),
                    ct)))
            .WithName("ListSchedules")
            .WithSummary("The caller's schedules (a tenant admin's: the tenant's, or one user's with userId), newest first, with total runs and last status.")
            .ProducesValidationProblem();

        group.MapPost("/api/schedules", async Task<Created<ScheduledPrompt>> (JsonBody<ScheduleCreate> body, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
            {
                var schedule = await schedules.CreateAsync(http.Caller(), body.Value, ct);
                return TypedResults.Created($"/api/schedules/{schedule.Id}", schedule);
            })
            .WithName("CreateSchedule")
            .WithSummary("Creates a once, cron or interval schedule owned by the caller.")
            .ProducesValidationProblem();

        group.MapGet("/api/schedules/{id}", async (UuidValue id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.GetAsync(http.Caller(), id.Value, ct)))
            .WithName("GetSchedule")
            .WithSummary("One schedule.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/api/schedules/{id}", async (UuidValue id, JsonBody<ScheduleUpdate> body, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.UpdateAsync(http.Caller(), id.Value, body.Value, ct)))
            .WithName("UpdateSchedule")
            .WithSummary("Partially updates a schedule; a timing change recomputes the next run from now.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/api/schedules/{id}", async Task<NoContent> (UuidValue id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
            {
                await schedules.DeleteAsync(http.Caller(), id.Value, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteSchedule")
            .WithSummary("Deletes a schedule and its run history.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/schedules/{id}/pause", async (UuidValue id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.PauseAsync(http.Caller(), id.Value, ct)))
            .WithName("PauseSchedule")
            .WithSummary("Pauses a schedule (idempotent).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/schedules/{id}/resume", async (UuidValue id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.ResumeAsync(http.Caller(), id.Value, ct)))
            .WithName("ResumeSchedule")
            .WithSummary("Resumes a schedule; its next run is computed from now (missed occurrences are not replayed).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/api/schedules/{id}/run-now", async Task<Accepted<ScheduleRun>> (UuidValue id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
            {
                var run = await schedules.RunNowAsync(http.Caller(), id.Value, ct);
                return TypedResults.Accepted($"/api/schedules/{id.Value}/runs/{run.Id}", run);
            })
            .WithName("RunScheduleNow")
            .WithSummary("Queues a run now; poll the returned run. Does not count towards max runs or move the next run.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/schedules/{id}/webhook-secret", async (UuidValue id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.RotateWebhookSecretAsync(http.Caller(), id.Value, ct)))
            .WithName("RotateScheduleWebhookSecret")
            .WithSummary("Replaces the webhook signing secret and returns the schedule with the new one, shown this once.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/schedules/{id}/runs", async (UuidValue id, TextValue? cursor, IntValue? limit, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.ListRunsAsync(http.Caller(), id.Value, Page(cursor, limit), ct)))
            .WithName("ListScheduleRuns")
            .WithSummary("A schedule's runs, newest occurrence first: status, output, tokens, cost, latency, error and delivery.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/schedules/{id}/runs/{runId}", async (UuidValue id, UuidValue runId, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.GetRunAsync(http.Caller(), id.Value, runId.Value, ct)))
            .WithName("GetScheduleRun")
            .WithSummary("One run of a schedule.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
