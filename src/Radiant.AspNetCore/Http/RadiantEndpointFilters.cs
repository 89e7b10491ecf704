using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.Hosting;
using Radiant.Errors;
using Radiant.Tenancy;

namespace Radiant.AspNetCore.Http;

/// <summary>Endpoint filters shared by every Radiant route group.</summary>
internal static class RadiantEndpointFilters
{
    private const string CallerKey = "Radiant.Caller";

    /// <summary>The caller resolved by <see cref="ResolveCallerAsync"/> for this request.</summary>
    public static RadiantCaller Caller(this HttpContext context) =>
        context.Items[CallerKey] is RadiantCaller caller
            ? caller
            : throw new InvalidOperationException("The Radiant caller filter did not run for this endpoint.");

    /// <summary>Maps Radiant's typed errors to RFC 7807 problem responses.</summary>
    public static async ValueTask<object?> MapErrorsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (RadiantValidationException e)
        {
            return TypedResults.ValidationProblem(e.Errors.ToDictionary(), title: "The request is invalid.");
        }
        catch (RadiantNotFoundException e)
        {
            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status404NotFound, title: "Not found.");
        }
        catch (RadiantForbiddenException e)
        {
            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.");
        }
        catch (RadiantConflictException e)
        {
            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status409Conflict, title: "Conflict.");
        }
        catch (RadiantLimitExceededException e)
        {
            return TypedResults.Problem(
                e.Message,
                statusCode: StatusCodes.Status409Conflict,
                title: "Limit exceeded.",
                extensions: new Dictionary<string, object?> { ["limit"] = e.Limit, ["remaining"] = e.Remaining });
        }
    }

    /// <summary>Refuses callers who are not tenant admins (see <see cref="RadiantRouteGroups.MapAdminGroup"/>).</summary>
    public static ValueTask<object?> RequireTenantAdminAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.Caller().IsTenantAdmin
            ? next(context)
            : ValueTask.FromResult<object?>(TypedResults.Problem(
                "Only tenant admins may use this route.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden."));

    /// <summary>
    /// Reads the tenant and user from the principal, provisions them, and stores the caller for the handler. Whether
    /// the caller administers the tenant is the host's <see cref="RadiantHttpOptions.AdminPolicy"/>, evaluated once
    /// here; what an admin may do is the services' decision.
    /// </summary>
    public static async ValueTask<object?> ResolveCallerAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return TypedResults.Problem("Authentication is required.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.");
        }

        var resolver = http.RequestServices.GetRequiredService<CallerResolver>();
        if (!resolver.TryRead(http.User, out var profile, out var problem))
        {
            return TypedResults.Problem(problem, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.");
        }

        await resolver.ProvisionAsync(profile, http.RequestAborted);
        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        var admin = await authorization.AuthorizeAsync(http.User, RadiantHttpOptions.AdminPolicy);
        http.Items[CallerKey] = profile.User with { IsTenantAdmin = admin.Succeeded };
        return await next(context);
    }
}
