using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
internal static partial class RadiantEndpointFilters
{
    /// <summary>Not an HTTP status a client sees: what the request log shows for a request its client abandoned (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private const string CallerKey = "Radiant.Caller";

    /// <summary>The caller resolved by <see cref="ResolveCallerAsync"/> for this request.</summary>
    public static RadiantCaller Caller(this HttpContext context) =>
        context.Items[CallerKey] is RadiantCaller caller
            ? caller
            : throw new InvalidOperationException("The Radiant caller filter did not run for this endpoint.");

    /// <summary>
    /// Maps Radiant's typed errors to RFC 7807 problem responses: an unavailable database is a 503 with
    /// <c>Retry-After</c>, and a request its client abandoned ends quietly instead of as a server error.
    /// </summary>
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
        catch (RadiantAccountSuspendedException e)
        {
            return TypedResults.Problem(
                e.Message,
                statusCode: StatusCodes.Status403Forbidden,
                title: "Account suspended.",
                extensions: new Dictionary<string, object?> { ["code"] = "account_suspended" });
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
        catch (Radiant.Routing.NoModelFitsException e)
        {
            return TypedResults.Problem(
                e.Message,
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "No model fits the message.",
                extensions: new Dictionary<string, object?>
                {
                    ["reason"] = e.Reason,
                    ["exclusions"] = e.Exclusions.Select(x => new Dictionary<string, object?> { ["modelId"] = x.ModelId, ["reason"] = x.Reason, ["message"] = x.Message }).ToList(),
                });
        }
        catch (Radiant.Chat.ChatProviderException e)
        {
            return TypedResults.Problem(
                e.Message,
                statusCode: StatusCodes.Status502BadGateway,
                title: "The model provider failed.",
                extensions: new Dictionary<string, object?> { ["transient"] = e.Transient });
        }
        catch (RadiantUnavailableException e)
        {
            var http = context.HttpContext;
            var seconds = Math.Max(1, (long)Math.Ceiling(e.RetryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            // One line per refusal, with the cause (which may name the server) for operators only.
            LogUnavailable(Logger(http), http.Request.Method, http.Request.Path.Value ?? "/", e.Message, e.InnerException?.GetType().Name, e.InnerException?.Message);
            var extensions = new Dictionary<string, object?> { ["retryAfter"] = seconds };
            if (e.OutcomeUnknown)
            {
                extensions["outcomeUnknown"] = true;
            }

            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable.", extensions: extensions);
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody reads an answer, and it is no server error (left to escape, the host would
            // log it as an unhandled exception).
            var http = context.HttpContext;
            var logger = Logger(http);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                LogAborted(logger, http.Request.Method, http.Request.Path.Value ?? "/");
            }
            return TypedResults.StatusCode(ClientClosedRequest);
        }
    }

    /// <summary>
    /// Reads the tenant and user from the principal, provisions them, refuses a suspended user (403, "Your account is
    /// suspended..."), and stores the caller for the handler. Whether
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

        // The provisioning round trip (none once the directory remembers the user) answers the status too.
        if (await resolver.ProvisionAsync(profile, http.RequestAborted) == UserStatus.Suspended)
        {
            throw new RadiantAccountSuspendedException();
        }

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

    private static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RadiantEndpointFilters).FullName!);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: {Condition} Cause: {CauseType}: {Cause}")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string condition, string? causeType, string? cause);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path} was abandoned by its client")]
    private static partial void LogAborted(ILogger logger, string method, string path);
}

/// <summary>Marks the routes only tenant admins may call (see <see cref="RadiantRouteGroups.MapAdminGroup"/>).</summary>
internal sealed class TenantAdminOnly
{
    public static TenantAdminOnly Instance { get; } = new();
}
