using System.Net;
using System.Text.Json;

namespace Radiant.Tests.Http;

public sealed class DiscoveryEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_openapi_document_describes_every_route()
    {
        var document = JsonDocument.Parse(await api.Anonymous().GetStringAsync("/openapi/v1.json", Ct)).RootElement;
        var paths = document.GetProperty("paths");

        string[] expected =
        [
            "get /api/focus-modes", "get /api/admin/focus-modes", "post /api/admin/focus-modes", "get /api/admin/focus-modes/{id}",
            "put /api/admin/focus-modes/{id}", "delete /api/admin/focus-modes/{id}", "get /api/personas", "post /api/personas",
            "get /api/personas/{id}", "put /api/personas/{id}", "delete /api/personas/{id}", "post /api/personas/{id}/usage",
            "get /api/personas/{id}/prompt", "get /api/admin/models", "put /api/admin/models/{modelId}/enabled",
            "put /api/admin/models/{modelId}/thinktank", "get /api/admin/pricing/config", "put /api/admin/pricing/config",
            "get /api/admin/pricing/models", "post /api/admin/pricing/bulk-update", "put /api/admin/pricing/models/{modelId}/override",
            "delete /api/admin/pricing/models/{modelId}/override", "get /api/admin/pricing/history",
            "get /api/teams", "post /api/teams", "get /api/teams/{id}", "put /api/teams/{id}", "get /api/teams/{id}/members",
            "post /api/teams/{id}/members", "put /api/teams/{id}/members/{userId}", "delete /api/teams/{id}/members/{userId}",
            "post /api/teams/{id}/invitations/accept", "post /api/teams/{id}/invitations/decline", "post /api/teams/{id}/usage",
            "get /api/teams/{id}/stats", "get /api/teams/{id}/periods", "post /api/teams/{id}/reset",
            "get /api/schedules", "post /api/schedules", "get /api/schedules/{id}", "put /api/schedules/{id}", "delete /api/schedules/{id}",
            "post /api/schedules/{id}/pause", "post /api/schedules/{id}/resume", "post /api/schedules/{id}/run-now",
            "get /api/schedules/{id}/runs", "get /api/schedules/{id}/runs/{runId}",
            "get /api/thinktank/models", "get /api/thinktank/preferences/models", "put /api/thinktank/preferences/models",
            "post /api/thinktank/preferences/models/{modelId}/favorite", "get /api/admin/thinktank/domain-modes",
            "put /api/admin/thinktank/domain-modes",
        ];
        var documented = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name} {p.Name}")).ToHashSet();
        Assert.Superset(expected.ToHashSet(), documented);
        var update = paths.GetProperty("/api/personas/{id}").GetProperty("put").GetProperty("responses");
        Assert.True(update.TryGetProperty("400", out _) && update.TryGetProperty("404", out _) && update.TryGetProperty("403", out _));

        // Radiant reads bodies and query values itself; the document still says what each route takes.
        var create = paths.GetProperty("/api/personas").GetProperty("post");
        Assert.True(create.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var list = paths.GetProperty("/api/personas").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Select(p => (p.GetProperty("name").GetString(), p.GetProperty("in").GetString())).ToList();
        Assert.Contains(("limit", "query"), list);
        var get = paths.GetProperty("/api/personas/{id}").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Select(p => (p.GetProperty("name").GetString(), p.GetProperty("in").GetString())).ToList();
        Assert.Contains(("id", "path"), get);
    }

    [Fact]
    public async Task Health_reports_the_database()
    {
        var response = await api.Anonymous().GetAsync("/health", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Ct));
    }
}
