using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.AspNetCore.Http;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Http;

/// <summary>
/// Every route Radiant maps — found in the endpoint data source, so a new route is swept without a new test — gets a
/// table of bad bodies and bad route and query values derived from its own parameters and body contract. Each must
/// answer a 4xx problem (400 naming the field at fault where a field is at fault), never a 5xx, and change no row.
/// </summary>
public sealed class BadInputSweepTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Overlong = new('x', 300);

    [Fact]
    public async Task Every_route_answers_bad_input_with_a_problem_naming_the_field_and_changes_nothing()
    {
        var admin = RadiantApi.NewAdmin();
        var client = api.As(admin);
        // Provisions the caller (the only write a request may make) before the database is compared.
        (await client.GetAsync("/api/focus-modes", Ct)).EnsureSuccessStatusCode();
        var routes = RadiantRoutes().ToList();
        Assert.True(routes.Count >= 40, $"only {routes.Count} Radiant routes were found");

        var before = await SnapshotAsync();
        var failures = new List<string>();
        var cases = 0;
        foreach (var route in routes)
        {
            foreach (var (description, request, expectedField) in CasesFor(route))
            {
                cases++;
                using var response = await client.SendAsync(request, Ct);
                var problem = await DescribeFailureAsync(response, expectedField);
                if (problem is not null)
                {
                    failures.Add($"{route.Method} {route.Pattern} [{description}]: {problem}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n" + string.Join("\n", failures.Take(60)));
        Assert.Equal(before, await SnapshotAsync());
        Assert.True(cases > 500, $"only {cases} cases were swept");
    }

    [Fact]
    public void The_sweep_reaches_the_model_selection_routes()
    {
        var swept = RadiantRoutes().ToDictionary(r => $"{r.Method} {r.Pattern}", r => CasesFor(r).Count());

        foreach (var route in new[] { "PUT /api/thinktank/preferences/models", "POST /api/thinktank/preferences/models/{modelId}/favorite", "PUT /api/admin/thinktank/domain-modes" })
        {
            Assert.True(swept.TryGetValue(route, out var cases) && cases > 0, $"{route} is not swept");
        }

        Assert.Contains("GET /api/thinktank/models", swept.Keys);
        Assert.Contains("GET /api/thinktank/preferences/models", swept.Keys);
        Assert.Contains("GET /api/admin/thinktank/domain-modes", swept.Keys);
    }

    [Fact]
    public void The_sweep_reaches_the_analytics_routes()
    {
        var swept = RadiantRoutes().ToDictionary(r => $"{r.Method} {r.Pattern}", r => CasesFor(r).Count());
        foreach (var route in new[] { "dashboard", "totals", "series", "models", "models/performance", "users/top", "users/models" })
        {
            Assert.True(swept.TryGetValue($"GET /api/admin/analytics/{route}", out var cases) && cases >= 18, $"{route} is not swept");
        }
    }

    private sealed record Route(string Method, string Pattern, ParameterInfo[] Parameters, Type? BodyType, bool BodyOptional);

    private IEnumerable<Route> RadiantRoutes()
    {
        var sources = api.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in sources.Endpoints.OfType<RouteEndpoint>().Where(e => e.Metadata.GetMetadata<RadiantRouteMetadata>() is not null))
        {
            var method = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Single();
            var handler = endpoint.Metadata.GetMetadata<MethodInfo>()!;
            var accepts = endpoint.Metadata.GetMetadata<IAcceptsMetadata>();
            yield return new Route(method, endpoint.RoutePattern.RawText!, handler.GetParameters(), accepts?.RequestType, accepts?.IsOptional ?? false);
        }
    }

    /// <summary>The bad requests for one route: a description, the request, and the error key it must name (null: any 4xx problem).</summary>
    private static IEnumerable<(string, HttpRequestMessage, string?)> CasesFor(Route route)
    {
        var routeParameters = route.Parameters.Where(p => route.Pattern.Contains("{" + p.Name + "}", StringComparison.Ordinal)).ToList();
        var queryParameters = route.Parameters.Where(p => IsRequestValue(p.ParameterType) && !routeParameters.Contains(p)).ToList();
        string Path(string? badParameter = null, string? badValue = null)
        {
            var path = route.Pattern;
            foreach (var p in routeParameters)
            {
                var value = p.Name == badParameter ? badValue! : ValidRouteValue(p.ParameterType);
                path = path.Replace("{" + p.Name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
            }

            return path;
        }

        HttpRequestMessage Request(string path, string? json = null, string mediaType = "application/json")
        {
            var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, mediaType);
            }
            else if (route.BodyType is not null && !route.BodyOptional)
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            return request;
        }

        foreach (var p in routeParameters)
        {
            foreach (var bad in BadRouteValues(p.ParameterType))
            {
                yield return ($"route {p.Name}={Short(bad)}", Request(Path(p.Name, bad)), p.Name);
            }
        }

        foreach (var p in queryParameters)
        {
            foreach (var bad in BadQueryValues(p.ParameterType))
            {
                yield return ($"query {p.Name}={Short(bad)}", Request($"{Path()}?{p.Name}={Uri.EscapeDataString(bad)}"), p.Name);
            }
        }

        if (route.BodyType is not { } bodyType)
        {
            yield break;
        }

        if (!route.BodyOptional)
        {
            yield return ("empty body", Request(Path(), ""), "$");
        }

        yield return ("malformed JSON", Request(Path(), "{\"a\":"), "$");
        yield return ("not an object: array", Request(Path(), "[]"), "$");
        yield return ("not an object: null", Request(Path(), "null"), "$");
        yield return ("not an object: number", Request(Path(), "42"), "$");
        yield return ("not an object: string", Request(Path(), "\"text\""), "$");
        yield return ("not JSON", Request(Path(), "{}", "text/plain"), null);
        yield return ("unknown field", Request(Path(), "{\"notAFieldOfThisRequest\":1}"), "notAFieldOfThisRequest");

        var contract = RadiantJsonContextOptions.GetTypeInfo(bodyType);
        var required = contract.Properties.Where(p => p.IsRequired).ToList();
        foreach (var property in required)
        {
            yield return ($"missing required {property.Name}", Request(Path(), "{}"), property.Name);
        }

        foreach (var property in contract.Properties)
        {
            foreach (var bad in BadJsonValues(property.PropertyType))
            {
                yield return ($"{property.Name}={Short(bad)}", Request(Path(), $"{{\"{property.Name}\":{bad}}}"), property.Name);
            }
        }
    }

    private static JsonSerializerOptions RadiantJsonContextOptions => RadiantJsonContext.Default.Options;

    private static bool IsRequestValue(Type type) => typeof(IRequestValue).IsAssignableFrom(Nullable.GetUnderlyingType(type) ?? type);

    private static string ValidRouteValue(Type type) => (Nullable.GetUnderlyingType(type) ?? type) == typeof(UuidValue) ? Guid.NewGuid().ToString() : "gpt-4o";

    // A NUL in the path never reaches an endpoint (the server refuses the request line), so route values test the rest.
    private static IEnumerable<string> BadRouteValues(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) == typeof(UuidValue) ? ["not-a-uuid", "123", Overlong] : [Overlong];

    private static IEnumerable<string> BadQueryValues(Type type) => (Nullable.GetUnderlyingType(type) ?? type).Name switch
    {
        nameof(UuidValue) => ["not-a-uuid", "\0"],
        nameof(IntValue) => ["abc", "1.5", "99999999999"],
        nameof(BoolValue) => ["maybe", "1"],
        nameof(InstantValue) => ["tomorrow", "2026-05-01T00:00:00", "2026-13-01T00:00:00Z", "\0"],
        _ => [Overlong, "a\0b"],
    };

    /// <summary>JSON values of the wrong kind, out of range or unstorable for a field of <paramref name="type"/>.</summary>
    private static IEnumerable<string> BadJsonValues(Type type)
    {
        var optional = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Radiant.Common.Optional<>);
        var inner = optional ? type.GetGenericArguments()[0] : type;
        var target = Nullable.GetUnderlyingType(inner) ?? inner;
        var unstorable = new[] { "\"a\\u0000b\"", "\"\\ud800\"" };
        if (target == typeof(JsonElement))
        {
            return ["{\"nested\":\"\\u0000\"}"];
        }

        if (target.IsEnum)
        {
            return ["\"not-a-member\"", "1", "true", .. unstorable];
        }

        var nonNullable = inner.IsValueType && Nullable.GetUnderlyingType(inner) is null;
        var nullCase = nonNullable ? new[] { "null" } : [];
        return Type.GetTypeCode(target) switch
        {
            TypeCode.String => ["12345", "{}", "[\"a\"]", "true", .. unstorable],
            TypeCode.Boolean => ["\"yes\"", "1", "{}", .. nullCase],
            TypeCode.Int32 or TypeCode.Int16 => ["\"12\"", "1.5", "99999999999", "1e400", "{}", .. nullCase],
            TypeCode.Int64 => ["\"12\"", "1.5", "99999999999999999999", "{}", .. nullCase],
            TypeCode.Decimal or TypeCode.Double => ["\"1.5\"", "1e400", "true", .. nullCase],
            _ when target == typeof(Guid) => ["\"not-a-uuid\"", "42", .. nullCase],
            _ when target == typeof(DateTimeOffset) => ["\"tomorrow\"", "42", .. nullCase],
            _ when DictionaryOf(target) is ({ } key, { } value) => BadMapValues(key, value),
            _ when target.IsAssignableTo(typeof(System.Collections.IEnumerable)) => ["\"a\"", "{}", "[\"\\u0000\"]"],
            _ => ["42"],
        };
    }

    /// <summary>The key and value types of a map (a JSON object with free keys), or null for anything else.</summary>
    private static (Type Key, Type Value)? DictionaryOf(Type type)
    {
        var map = type.GetInterfaces().Prepend(type).FirstOrDefault(t => t.IsGenericType
            && (t.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) || t.GetGenericTypeDefinition() == typeof(IDictionary<,>)));
        return map is null ? null : (map.GetGenericArguments()[0], map.GetGenericArguments()[1]);
    }

    /// <summary>A map of the wrong kind, with a key its key type cannot hold, or with each bad value of its value type under a good key.</summary>
    private static IEnumerable<string> BadMapValues(Type key, Type value)
    {
        var validKey = key.IsEnum
            ? key.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.GetCustomAttribute<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name).First()
            : "k";
        yield return "\"a\"";
        yield return "[]";
        yield return key.IsEnum ? "{\"not-a-member\":null}" : "{\"a\\u0000b\":null}";
        foreach (var bad in BadJsonValues(value))
        {
            yield return $"{{\"{validKey}\":{bad}}}";
        }
    }

    private static async Task<string?> DescribeFailureAsync(HttpResponseMessage response, string? expectedField)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(Ct);
        if (status is < 400 or >= 500)
        {
            return $"answered {status}: {Short(body, 200)}";
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"answered {status} without a problem body ({response.Content.Headers.ContentType})";
        }

        if (expectedField is null || response.StatusCode != HttpStatusCode.BadRequest)
        {
            return expectedField is null || status is 403 ? null : $"answered {status}, not 400 naming '{expectedField}': {Short(body, 200)}";
        }

        using var problem = JsonDocument.Parse(body);
        // The field itself, or a path inside it ("settings.nested", "traits[0]").
        if (!problem.RootElement.TryGetProperty("errors", out var errors)
            || !errors.EnumerateObject().Any(e => e.Name == expectedField
                || e.Name.StartsWith(expectedField + ".", StringComparison.Ordinal) || e.Name.StartsWith(expectedField + "[", StringComparison.Ordinal)))
        {
            return $"400 without an error for '{expectedField}': {Short(body, 300)}";
        }

        return null;
    }

    /// <summary>Every Radiant table's rows, hashed (as the owner, so row-level security hides nothing).</summary>
    private async Task<string> SnapshotAsync()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync(Ct);
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'radiant' ORDER BY tablename", connection))
        await using (var reader = await list.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var snapshot = new StringBuilder();
        foreach (var table in tables)
        {
            await using var hash = new NpgsqlCommand(
                $"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM radiant.\"{table}\" t", connection);
            snapshot.Append(table).Append('=').Append(await hash.ExecuteScalarAsync(Ct)).Append('\n');
        }

        return snapshot.ToString();
    }

    private static string Short(string text, int max = 24)
    {
        var printable = text.Replace("\0", "\\0", StringComparison.Ordinal);
        return printable.Length <= max ? printable : printable[..max] + "…";
    }
}
