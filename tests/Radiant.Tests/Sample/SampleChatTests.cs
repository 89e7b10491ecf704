using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Sample;

/// <summary>
/// The sample host chats end to end with no network: the banner's chat and estimate commands, sent through the real
/// ASP.NET Core pipeline to the real database, answered by the offline chat client.
/// </summary>
public sealed class SampleChatTests(PostgresServer server) : IAsyncLifetime
{
    private const string Url = "http://localhost:5000";
    private const string Body = """{"messages":[{"role":"user","content":"Explain row-level security in one paragraph"}]}""";

    private WebApplicationFactory<Program>? _factory;
    private string _connectionString = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var connectionString = _connectionString = await server.CreateDatabaseAsync("sample_chat", Ct);
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:Radiant", connectionString)
            .UseSetting("Sample:MailDirectory", Path.Combine(Path.GetTempPath(), "radiant-sample-chat-mail-" + Guid.NewGuid().ToString("N"))));
    }

    public async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private HttpClient Client()
    {
        var client = _factory!.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user@acme.test:user-demo")));
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Start_up_sends_five_demo_chats_per_demo_user_once_so_usage_figures_have_data()
    {
        _ = _factory!.Server; // starts the host
        async Task<long> DemoRecordsAsync()
        {
            await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
            await connection.OpenAsync(Ct);
            await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM radiant.usage_records WHERE request_id LIKE 'demo-%' AND outcome = 'completed' AND charge > 0", connection);
            return (long)(await count.ExecuteScalarAsync(Ct))!;
        }

        Assert.Equal(5 * 4, await DemoRecordsAsync());

        // The banner's analytics line answers with them: Acme's admin sees Acme's ten demo chats.
        var admin = _factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin@acme.test:admin-demo")));
        var dashboard = await admin.GetAsync("/api/admin/analytics/dashboard?range=7d", Ct);
        var body = await dashboard.Content.ReadAsStringAsync(Ct);
        Assert.True(dashboard.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("\"requests\":10", body, StringComparison.Ordinal);

        // A second start (the same database) finds the demo chats answered and sends nothing again.
        await using var again = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:Radiant", _connectionString)
            .UseSetting("Sample:MailDirectory", Path.Combine(Path.GetTempPath(), "radiant-sample-chat-mail-" + Guid.NewGuid().ToString("N"))));
        _ = again.Server;
        Assert.Equal(5 * 4, await DemoRecordsAsync());
    }

    [Fact]
    public async Task An_auto_routed_chat_is_answered_by_the_offline_client_names_the_model_and_is_charged()
    {
        var response = await Client().PostAsync("/api/thinktank/chat", Json(Body), Ct);

        var json = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json);
        var reply = JsonDocument.Parse(json).RootElement;
        var model = reply.GetProperty("model");
        var modelId = model.GetProperty("modelId").GetString();
        Assert.False(string.IsNullOrEmpty(modelId));
        Assert.Contains(model.GetProperty("rule").GetString(), new[] { "best_fit", "cheapest_fit", "mode_default" });
        Assert.Contains($"/{modelId}] Your prompt has 6 words.", reply.GetProperty("text").GetString(), StringComparison.Ordinal);
        var charge = reply.GetProperty("charge");
        Assert.True(charge.GetProperty("charge").GetDecimal() > 0, json);
        Assert.True(charge.GetProperty("inputTokens").GetInt32() > 0, json);
        Assert.True(charge.GetProperty("outputTokens").GetInt32() > 0, json);
        Assert.Equal(1, reply.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task A_streamed_chat_arrives_as_started_several_deltas_and_completed_with_the_charge()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/thinktank/chat?stream=true") { Content = Json(Body) };
        using var response = await Client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = ParseEvents(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("started", events[0].Name);
        Assert.Equal("completed", events[^1].Name);
        var deltas = events.Where(e => e.Name == "delta").ToList();
        Assert.True(deltas.Count >= 2, $"{deltas.Count} deltas");
        Assert.Equal(events.Count - 2, deltas.Count);

        var modelId = events[0].Data.GetProperty("model").GetProperty("modelId").GetString();
        var text = string.Concat(deltas.Select(d => d.Data.GetProperty("text").GetString()));
        Assert.StartsWith("[offline ", text, StringComparison.Ordinal);
        Assert.Contains($"/{modelId}] Your prompt has 6 words.", text, StringComparison.Ordinal);
        var completed = events[^1].Data;
        Assert.Equal(modelId, completed.GetProperty("model").GetProperty("modelId").GetString());
        Assert.True(completed.GetProperty("charge").GetProperty("charge").GetDecimal() > 0);
        Assert.True(completed.GetProperty("charge").GetProperty("outputTokens").GetInt32() > 0);
    }

    [Fact]
    public async Task The_offline_client_keeps_to_the_reply_budget()
    {
        var response = await Client().PostAsync(
            "/api/thinktank/chat", Json("""{"messages":[{"role":"user","content":"Say a lot"}],"modelId":"gpt-4o","maxOutputTokens":4}"""), Ct);

        var json = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json);
        var reply = JsonDocument.Parse(json).RootElement;
        Assert.Equal("[offline openai/gpt-4o] Your prompt", reply.GetProperty("text").GetString());
        Assert.Equal("requested", reply.GetProperty("model").GetProperty("rule").GetString());
        Assert.InRange(reply.GetProperty("charge").GetProperty("outputTokens").GetInt32(), 1, 4);
    }

    [Fact]
    public async Task An_estimate_names_the_model_auto_would_choose_and_the_charge_range()
    {
        var response = await Client().PostAsync("/api/thinktank/estimate", Json(Body), Ct);

        var json = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json);
        var estimate = JsonDocument.Parse(json).RootElement;
        Assert.True(estimate.GetProperty("inputTokens").GetInt32() > 0, json);
        Assert.False(string.IsNullOrEmpty(estimate.GetProperty("model").GetProperty("modelId").GetString()));
        Assert.False(string.IsNullOrEmpty(estimate.GetProperty("model").GetProperty("reason").GetString()));
        Assert.True(estimate.GetProperty("replyTokens").GetInt32() > 0, json);
        var minimum = estimate.GetProperty("minimumCharge").GetDecimal();
        var maximum = estimate.GetProperty("maximumCharge").GetDecimal();
        Assert.True(minimum > 0, json);
        Assert.True(maximum > minimum, json);
    }

    [Fact]
    public void The_banner_shows_an_auto_routed_streaming_chat_and_an_estimate()
    {
        var banner = Radiant.Sample.Host.SampleBanner.Build([Url], "ConnectionStrings:Radiant", "/srv/sample/.data/mail");

        Assert.Contains(
            $"curl -N -u user@acme.test:user-demo -H 'Content-Type: application/json' -d '{Body}' '{Url}/api/thinktank/chat?stream=true'",
            banner, StringComparison.Ordinal);
        Assert.Contains(
            $"curl -u user@acme.test:user-demo -H 'Content-Type: application/json' -d '{Body}' {Url}/api/thinktank/estimate",
            banner, StringComparison.Ordinal);
    }

    /// <summary>Server-sent events: blocks separated by a blank line, each an <c>event:</c> and a <c>data:</c> line.</summary>
    private static List<(string Name, JsonElement Data)> ParseEvents(string stream)
    {
        var events = new List<(string, JsonElement)>();
        foreach (var block in stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var name = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            var data = lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
            events.Add((name, JsonDocument.Parse(data).RootElement.Clone()));
        }

        return events;
    }
}
