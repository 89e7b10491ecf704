using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.Common;
using Radiant.Teams;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/api/teams</c>: plans, members, invitations, usage, stats and periods for members; <c>POST /api/teams/{id}/reset</c>
    /// for tenant admins. Only members see a plan; only its owner and admins manage it.
    /// </summary>
    public static RouteGroupBuilder MapRadiantTeams(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<ITeamService>("Teams", "AddTeams");

        group.MapGet("/api/teams", async (TextValue? cursor, IntValue? limit, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ListAsync(http.Caller(), Page(cursor, limit), ct)))
            .WithName("ListTeams")
            .WithSummary("The plans the caller belongs to or is invited to.");

        group.MapPost("/api/teams", async Task<Created<TeamPlan>> (JsonBody<TeamCreate> input, HttpContext http, ITeamService teams, CancellationToken ct) =>
            {
                var plan = await teams.CreateAsync(http.Caller(), input.Value, ct);
                return TypedResults.Created($"/api/teams/{plan.Id}", plan);
            })
            .WithName("CreateTeam")
            .WithSummary("Creates a plan owned by the caller.")
            .ProducesValidationProblem();

        group.MapGet("/api/teams/{id}", async (UuidValue id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.GetAsync(http.Caller(), id.Value, ct)))
            .WithName("GetTeam")
            .WithSummary("A plan the caller belongs to.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/api/teams/{id}", async (UuidValue id, JsonBody<TeamUpdate> update, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.UpdateAsync(http.Caller(), id.Value, update.Value, ct)))
            .WithName("UpdateTeam")
            .WithSummary("Partially updates a plan (owner or admins).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/teams/{id}/members", async (UuidValue id, TextValue? cursor, IntValue? limit, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ListMembersAsync(http.Caller(), id.Value, Page(cursor, limit), ct)))
            .WithName("ListTeamMembers")
            .WithSummary("Members and invitations, owner first.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id}/members", async (UuidValue id, JsonBody<TeamInvitation> invitation, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.InviteAsync(http.Caller(), id.Value, invitation.Value, ct)))
            .WithName("InviteTeamMember")
            .WithSummary("Invites a user of the tenant (owner or admins); pending invitations count against the member limit.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPut("/api/teams/{id}/members/{userId}", async (UuidValue id, UuidValue userId, JsonBody<TeamMemberUpdate> update, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.UpdateMemberAsync(http.Caller(), id.Value, userId.Value, update.Value, ct)))
            .WithName("UpdateTeamMember")
            .WithSummary("Changes a member's role or monthly allocation (owner or admins; only the owner hands over ownership).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapDelete("/api/teams/{id}/members/{userId}", async Task<NoContent> (UuidValue id, UuidValue userId, HttpContext http, ITeamService teams, CancellationToken ct) =>
            {
                await teams.RemoveMemberAsync(http.Caller(), id.Value, userId.Value, ct);
                return TypedResults.NoContent();
            })
            .WithName("RemoveTeamMember")
            .WithSummary("Removes a member (owner or admins, or the member themselves); the owner cannot be removed.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/api/teams/{id}/invitations/accept", async (UuidValue id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.AcceptInvitationAsync(http.Caller(), id.Value, ct)))
            .WithName("AcceptTeamInvitation")
            .WithSummary("Accepts the caller's pending invitation.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id}/invitations/decline", async (UuidValue id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.DeclineInvitationAsync(http.Caller(), id.Value, ct)))
            .WithName("DeclineTeamInvitation")
            .WithSummary("Declines the caller's pending invitation.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id}/usage", async (UuidValue id, JsonBody<TeamUsage> usage, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.RecordUsageAsync(http.Caller(), id.Value, usage.Value, ct)))
            .WithName("RecordTeamUsage")
            .WithSummary("Records tokens the caller used; refused (409, with the limit and what remains) when the pool or allocation would be exceeded.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/api/teams/{id}/stats", async (UuidValue id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.GetStatsAsync(http.Caller(), id.Value, ct)))
            .WithName("GetTeamStats")
            .WithSummary("Usage of the current period: pool, used, remaining and each member's use and share.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/teams/{id}/periods", async (UuidValue id, TextValue? cursor, IntValue? limit, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ListPeriodsAsync(http.Caller(), id.Value, Page(cursor, limit), ct)))
            .WithName("ListTeamPeriods")
            .WithSummary("Finished periods with their totals, newest first.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id}/reset", async (UuidValue id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ResetPeriodAsync(http.Caller(), id.Value, ct)))
            .WithName("ResetTeamPeriod")
            .WithSummary("Tenant admins: closes the current period now (totals kept) and starts a new one.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
