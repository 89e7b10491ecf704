using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.Hosting;
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

        group.MapGet("/api/schedules", async (HttpContext http, IScheduleService schedules, CancellationToken ct, int offset = 0, int limit = PageRequest.DefaultLimit, Guid? userId = null, bool? active = null) =>
                TypedResults.Ok(await schedules.ListAsync(http.Caller(), new ScheduleListQuery(new PageRequest(offset, limit), userId, active), ct)))
            .WithName("ListSchedules")
            .WithSummary("The caller's schedules (a tenant admin's: the tenant's, or one user's with userId), newest first, with total runs and last status.")
            .ProducesValidationProblem();

        group.MapPost("/api/schedules", async Task<Created<ScheduledPrompt>> (ScheduleCreate input, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
            {
                var schedule = await schedules.CreateAsync(http.Caller(), input, ct);
                return TypedResults.Created($"/api/schedules/{schedule.Id}", schedule);
            })
            .WithName("CreateSchedule")
            .WithSummary("Creates a once, cron or interval schedule owned by the caller.")
            .ProducesValidationProblem();

        group.MapGet("/api/schedules/{id:guid}", async (Guid id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.GetAsync(http.Caller(), id, ct)))
            .WithName("GetSchedule")
            .WithSummary("One schedule.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/api/schedules/{id:guid}", async (Guid id, ScheduleUpdate update, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.UpdateAsync(http.Caller(), id, update, ct)))
            .WithName("UpdateSchedule")
            .WithSummary("Partially updates a schedule; a timing change recomputes the next run from now.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/api/schedules/{id:guid}", async Task<NoContent> (Guid id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
            {
                await schedules.DeleteAsync(http.Caller(), id, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteSchedule")
            .WithSummary("Deletes a schedule and its run history.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/schedules/{id:guid}/pause", async (Guid id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.PauseAsync(http.Caller(), id, ct)))
            .WithName("PauseSchedule")
            .WithSummary("Pauses a schedule (idempotent).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/schedules/{id:guid}/resume", async (Guid id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.ResumeAsync(http.Caller(), id, ct)))
            .WithName("ResumeSchedule")
            .WithSummary("Resumes a schedule; its next run is computed from now (missed occurrences are not replayed).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/api/schedules/{id:guid}/run-now", async Task<Accepted<ScheduleRun>> (Guid id, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
            {
                var run = await schedules.RunNowAsync(http.Caller(), id, ct);
                return TypedResults.Accepted($"/api/schedules/{id}/runs/{run.Id}", run);
            })
            .WithName("RunScheduleNow")
            .WithSummary("Queues a run now; poll the returned run. Does not count towards max runs or move the next run.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/schedules/{id:guid}/runs", async (Guid id, HttpContext http, IScheduleService schedules, CancellationToken ct, int offset = 0, int limit = PageRequest.DefaultLimit) =>
                TypedResults.Ok(await schedules.ListRunsAsync(http.Caller(), id, new PageRequest(offset, limit), ct)))
            .WithName("ListScheduleRuns")
            .WithSummary("A schedule's runs, newest first: status, output, tokens, cost, latency, error and delivery.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/schedules/{id:guid}/runs/{runId:guid}", async (Guid id, Guid runId, HttpContext http, IScheduleService schedules, CancellationToken ct) =>
                TypedResults.Ok(await schedules.GetRunAsync(http.Caller(), id, runId, ct)))
            .WithName("GetScheduleRun")
            .WithSummary("One run of a schedule.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
