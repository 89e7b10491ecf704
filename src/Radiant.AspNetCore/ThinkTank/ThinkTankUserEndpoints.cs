using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Http;
using Radiant.AspNetCore.ThinkTank;
using Radiant.Tenancy;
using Radiant.ThinkTank;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/api/admin/thinktank/users</c> (tenant admins only): the user list with search, filters, sort and keyset
    /// paging; its stats; the CSV export of the filtered list (streamed); and suspend / reactivate. Returns the group so
    /// the host can add conventions.
    /// </summary>
    public static RouteGroupBuilder MapRadiantThinkTankUsers(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IThinkTankUserService>("Think Tank users", "AddThinkTankUsers");
        var admin = group.MapAdminGroup();

        admin.MapGet(
                "/api/admin/thinktank/users",
                async (TextValue? search, EnumValue<UserStatus>? status, EnumValue<SubscriptionTier>? tier, InstantValue? activeSince,
                    EnumValue<ThinkTankUserSort>? sort, EnumValue<SortDirection>? direction, TextValue? cursor, IntValue? limit,
                    HttpContext http, IThinkTankUserService users, CancellationToken ct) =>
                    TypedResults.Ok(await users.ListAsync(http.Caller(), UserQuery(search, status, tier, activeSince, sort, direction), Page(cursor, limit), ct)))
            .WithName("ListThinkTankUsers")
            .WithSummary("The tenant's users with requests, tokens, spend and last activity: search (email or name prefix), status, tier and activeSince filters, sort (email, name, last_active, spend, created; asc or desc), keyset paging.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/thinktank/users/stats", async (HttpContext http, IThinkTankUserService users, CancellationToken ct) =>
                TypedResults.Ok(await users.GetStatsAsync(http.Caller(), ct)))
            .WithName("GetThinkTankUserStats")
            .WithSummary("Total users, active in the last 7 days, new this month, suspended, and spend this month (UTC months).");

        admin.MapGet(
                "/api/admin/thinktank/users/export",
                async (TextValue? search, EnumValue<UserStatus>? status, EnumValue<SubscriptionTier>? tier, InstantValue? activeSince,
                    EnumValue<ThinkTankUserSort>? sort, EnumValue<SortDirection>? direction,
                    HttpContext http, IThinkTankUserService users, TimeProvider time, CancellationToken ct) =>
                    await ThinkTankUserCsv.StartAsync(
                        users.ExportAsync(http.Caller(), UserQuery(search, status, tier, activeSince, sort, direction), ct), time.GetUtcNow(), ct))
            .WithName("ExportThinkTankUsers")
            .WithSummary("The filtered, sorted user list as CSV (UTF-8 with BOM, one header row), streamed as it is read from the database.")
            .Produces(StatusCodes.Status200OK, contentType: ThinkTankUserCsv.ContentType)
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/thinktank/users/{userId}", async (UuidValue userId, HttpContext http, IThinkTankUserService users, CancellationToken ct) =>
                TypedResults.Ok(await users.GetAsync(http.Caller(), userId.Value, ct)))
            .WithName("GetThinkTankUser")
            .WithSummary("One user of the tenant with their figures.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPost("/api/admin/thinktank/users/{userId}/suspend", async (UuidValue userId, HttpContext http, IThinkTankUserService users, CancellationToken ct) =>
                TypedResults.Ok(await users.SuspendAsync(http.Caller(), userId.Value, ct)))
            .WithName("SuspendThinkTankUser")
            .WithSummary("Suspends a user: every request of theirs is refused (403) until reactivated. Audited; suspending a suspended user changes nothing.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapPost("/api/admin/thinktank/users/{userId}/reactivate", async (UuidValue userId, HttpContext http, IThinkTankUserService users, CancellationToken ct) =>
                TypedResults.Ok(await users.ReactivateAsync(http.Caller(), userId.Value, ct)))
            .WithName("ReactivateThinkTankUser")
            .WithSummary("Reactivates a suspended user. Audited; reactivating an active user changes nothing.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static ThinkTankUserQuery UserQuery(
        TextValue? search, EnumValue<UserStatus>? status, EnumValue<SubscriptionTier>? tier, InstantValue? activeSince,
        EnumValue<ThinkTankUserSort>? sort, EnumValue<SortDirection>? direction) =>
        new(
            string.IsNullOrEmpty(search?.Value) ? null : search.Value.Value,
            status?.Value,
            tier?.Value,
            activeSince?.Value,
            sort?.Value ?? ThinkTankUserSort.Email,
            direction?.Value);
}
