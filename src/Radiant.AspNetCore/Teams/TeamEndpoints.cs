using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
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

        group.MapGet("/api/teams", async (HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ListAsync(http.Caller(), ct)))
            .WithName("ListTeams")
            .WithSummary("The plans the caller belongs to or is invited to.");

        group.MapPost("/api/teams", async Task<Created<TeamPlan>> (TeamCreate input, HttpContext http, ITeamService teams, CancellationToken ct) =>
            {
                var plan = await teams.CreateAsync(http.Caller(), input, ct);
                return TypedResults.Created($"/api/teams/{plan.Id}", plan);
            })
            .WithName("CreateTeam")
            .WithSummary("Creates a plan owned by the caller.")
            .ProducesValidationProblem();

        group.MapGet("/api/teams/{id:guid}", async (Guid id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.GetAsync(http.Caller(), id, ct)))
            .WithName("GetTeam")
            .WithSummary("A plan the caller belongs to.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/api/teams/{id:guid}", async (Guid id, TeamUpdate update, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.UpdateAsync(http.Caller(), id, update, ct)))
            .WithName("UpdateTeam")
            .WithSummary("Partially updates a plan (owner or admins).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/teams/{id:guid}/members", async (Guid id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ListMembersAsync(http.Caller(), id, ct)))
            .WithName("ListTeamMembers")
            .WithSummary("Members and invitations, owner first.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id:guid}/members", async (Guid id, TeamInvitation invitation, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.InviteAsync(http.Caller(), id, invitation, ct)))
            .WithName("InviteTeamMember")
            .WithSummary("Invites a user of the tenant (owner or admins); pending invitations count against the member limit.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPut("/api/teams/{id:guid}/members/{userId:guid}", async (Guid id, Guid userId, TeamMemberUpdate update, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.UpdateMemberAsync(http.Caller(), id, userId, update, ct)))
            .WithName("UpdateTeamMember")
            .WithSummary("Changes a member's role or monthly allocation (owner or admins; only the owner hands over ownership).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapDelete("/api/teams/{id:guid}/members/{userId:guid}", async Task<NoContent> (Guid id, Guid userId, HttpContext http, ITeamService teams, CancellationToken ct) =>
            {
                await teams.RemoveMemberAsync(http.Caller(), id, userId, ct);
                return TypedResults.NoContent();
            })
            .WithName("RemoveTeamMember")
            .WithSummary("Removes a member (owner or admins, or the member themselves); the owner cannot be removed.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/api/teams/{id:guid}/invitations/accept", async (Guid id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.AcceptInvitationAsync(http.Caller(), id, ct)))
            .WithName("AcceptTeamInvitation")
            .WithSummary("Accepts the caller's pending invitation.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id:guid}/invitations/decline", async (Guid id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.DeclineInvitationAsync(http.Caller(), id, ct)))
            .WithName("DeclineTeamInvitation")
            .WithSummary("Declines the caller's pending invitation.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id:guid}/usage", async (Guid id, TeamUsage usage, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.RecordUsageAsync(http.Caller(), id, usage, ct)))
            .WithName("RecordTeamUsage")
            .WithSummary("Records tokens the caller used; refused (409, with the limit and what remains) when the pool or allocation would be exceeded.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/api/teams/{id:guid}/stats", async (Guid id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.GetStatsAsync(http.Caller(), id, ct)))
            .WithName("GetTeamStats")
            .WithSummary("Usage of the current period: pool, used, remaining and each member's use and share.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/api/teams/{id:guid}/periods", async (Guid id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ListPeriodsAsync(http.Caller(), id, ct)))
            .WithName("ListTeamPeriods")
            .WithSummary("Finished periods with their totals, newest first.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/api/teams/{id:guid}/reset", async (Guid id, HttpContext http, ITeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.ResetPeriodAsync(http.Caller(), id, ct)))
            .WithName("ResetTeamPeriod")
            .WithSummary("Tenant admins: closes the current period now (totals kept) and starts a new one.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
