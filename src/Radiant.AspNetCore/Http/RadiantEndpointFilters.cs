using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.Hosting;
using Radiant.Errors;
using Radiant.Tenancy;

namespace Radiant.AspNetCore.Http;

/// <summary>
/// The filters every Radiant route runs, outermost first: <see cref="MapErrorsAsync"/> (typed errors become problem
/// responses), <see cref="ResolveCallerAsync"/> (401/403, and the tenant-admin gate of admin routes), then
/// <see cref="CheckRequestValues"/> (400 naming every malformed route value, query value and body field). A
/// handler runs only with a known caller and well-formed input.
/// </summary>
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

    /// <summary>
    /// Reads the tenant and user from the principal, provisions them, and stores the caller for the handler. Whether
    /// the caller administers the tenant is the host's <see cref="RadiantHttpOptions.AdminPolicy"/>, evaluated once
    /// here; routes marked <see cref="TenantAdminOnly"/> answer 403 to everyone else. What an admin may do beyond
    /// that is the services' decision.
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

        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        var admin = await authorization.AuthorizeAsync(http.User, RadiantHttpOptions.AdminPolicy);
        if (!admin.Succeeded && http.GetEndpoint()?.Metadata.GetMetadata<TenantAdminOnly>() is not null)
        {
            return TypedResults.Problem("Only tenant admins may use this route.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.");
        }

        await resolver.ProvisionAsync(profile, http.RequestAborted);
        http.Items[CallerKey] = profile.User with { IsTenantAdmin = admin.Succeeded };
        return await next(context);
    }

    /// <summary>
    /// For an endpoint whose handler takes route or query values (<see cref="IRequestValue"/>) or a body
    /// (<see cref="JsonBody{T}"/>): answers 400 with every malformed one named (the parameter's name, or the body
    /// field's JSON path), or 413/415 for a body that is too large or not JSON, before the handler runs.
    /// </summary>
    public static EndpointFilterDelegate CheckRequestValues(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var checkedParameters = context.MethodInfo.GetParameters()
            .Select((parameter, index) => (Name: parameter.Name ?? $"arg{index}", Index: index, Type: Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType))
            .Where(p => typeof(IRequestValue).IsAssignableFrom(p.Type) || typeof(IJsonBody).IsAssignableFrom(p.Type))
            .ToArray();
        if (checkedParameters.Length == 0)
        {
            return next;
        }

        return invocation =>
        {
            Dictionary<string, string[]>? errors = null;
            var status = StatusCodes.Status400BadRequest;
            foreach (var (name, index, _) in checkedParameters)
            {
                switch (invocation.Arguments[index])
                {
                    case IRequestValue { Error: { } error }:
                        (errors ??= new(StringComparer.Ordinal))[name] = [$"'{name}' {error}"];
                        break;
                    case IJsonBody { Errors.Count: > 0 } body:
                        errors ??= new(StringComparer.Ordinal);
                        foreach (var (field, messages) in body.Errors)
                        {
                            errors[field] = messages;
                        }

                        status = body.Status;
                        break;
                }
            }

            if (errors is null)
            {
                return next(invocation);
            }

            return ValueTask.FromResult<object?>(status == StatusCodes.Status400BadRequest
                ? TypedResults.ValidationProblem(errors, title: "The request is invalid.")
                : TypedResults.Problem(string.Join(" ", errors.Values.SelectMany(m => m)), statusCode: status));
        };
    }
}

/// <summary>Marks the routes only tenant admins may call (see <see cref="RadiantRouteGroups.MapAdminGroup"/>).</summary>
internal sealed class TenantAdminOnly
{
    public static TenantAdminOnly Instance { get; } = new();
}
