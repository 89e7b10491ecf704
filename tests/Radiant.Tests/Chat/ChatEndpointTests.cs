using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Radiant.Chat;
using Radiant.Registry;
using Radiant.Tests.Http;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Chat;

/// <summary>The chat routes through the real ASP.NET Core pipeline, with the provider a local OpenAI-compatible peer.</summary>
public sealed class ChatEndpointTests(PostgresServer server) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebApplication? _app;
    private ChatPeer? _peer;

    public async ValueTask InitializeAsync()
    {
        _peer = await ChatPeer.StartAsync("http-peer");
        var connectionString = await server.CreateDatabaseAsync("chat_http", Ct);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(RadiantApi.HeaderAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, RadiantApi.HeaderAuthentication>(RadiantApi.HeaderAuthentication.SchemeName, null);
        builder.Services.AddRadiant().UseTestPostgres(connectionString)
            .AddChat(o => o.IsTransientFailure = e => RadiantChatOptions.IsTransientByDefault(e) || e is ClientResultException { Status: >= 500 })
            .AddHttpApi();
        foreach (var provider in BuiltInCatalog.Catalog.Providers)
        {
            builder.Services.AddKeyedChatClient(provider.Id, _ => _peer.CreateChatClient());
        }

        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapRadiant();
        await _app.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_peer is not null)
        {
            await _peer.DisposeAsync();
        }
    }

    private HttpClient As(RadiantApi.Caller caller)
    {
        var client = _app!.GetTestClient();
        client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.TenantHeader, caller.TenantId.ToString());
        client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.UserHeader, caller.UserId.ToString());
        return client;
    }

    [Fact]
    public async Task An_auto_routed_chat_answers_with_the_model_why_and_the_charge()
    {
        _peer!.Script = _ => new PeerReply.Answer("routed answer", 25, 5);
        using var client = As(RadiantApi.NewUser());

        var response = await client.PostAsJsonAsync("/api/thinktank/chat", new { messages = new[] { new { role = "user", content = "hello" } }, modelId = (string?)null }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("routed answer", body.GetProperty("text").GetString());
        Assert.Equal("best_fit", body.GetProperty("model").GetProperty("rule").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("model").GetProperty("modelId").GetString()));
        Assert.True(body.GetProperty("charge").GetProperty("charge").GetDecimal() > 0);
        Assert.Equal(32, body.GetProperty("requestId").GetString()!.Length);
    }

    [Fact]
    public async Task A_streamed_chat_is_server_sent_events_started_deltas_and_completed()
    {
        _peer!.Script = _ => new PeerReply.Answer("alpha beta gamma", 25, 3);
        using var client = As(RadiantApi.NewUser());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/thinktank/chat?stream=true")
        {
            Content = JsonContent.Create(new { messages = new[] { new { role = "user", content = "stream please" } }, modelId = "gpt-4o" }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync(Ct))
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('\n'))
            .Select(lines => (Name: lines[0]["event: ".Length..], Data: JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement))
            .ToList();
        Assert.Equal(["started", "delta", "delta", "delta", "completed"], events.Select(e => e.Name));
        Assert.Equal("gpt-4o", events[0].Data.GetProperty("model").GetProperty("modelId").GetString());
        Assert.Equal("alpha beta gamma", string.Concat(events.Where(e => e.Name == "delta").Select(e => e.Data.GetProperty("text").GetString())));
        Assert.Equal(3, events[^1].Data.GetProperty("charge").GetProperty("outputTokens").GetInt32());
    }

    [Fact]
    public async Task A_refusal_before_the_stream_starts_is_a_problem_response_not_an_event()
    {
        using var client = As(RadiantApi.NewUser());

        var response = await client.PostAsJsonAsync("/api/thinktank/chat?stream=true", new { messages = new[] { new { role = "user", content = "x" } }, modelId = "no-such-model" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.True(body.GetProperty("errors").TryGetProperty("modelId", out _));
    }

    [Fact]
    public async Task A_provider_failure_is_502_and_a_failure_mid_stream_is_an_error_event()
    {
        _peer!.Script = _ => new PeerReply.Fail(400, "refused by the model");
        using var client = As(RadiantApi.NewUser());

        var plain = await client.PostAsJsonAsync("/api/thinktank/chat", new { messages = new[] { new { role = "user", content = "x" } }, modelId = "gpt-4o" }, Ct);
        var streamed = await client.PostAsJsonAsync("/api/thinktank/chat?stream=true", new { messages = new[] { new { role = "user", content = "y" } }, modelId = "gpt-4o" }, Ct);

        Assert.Equal(HttpStatusCode.BadGateway, plain.StatusCode);
        Assert.False(JsonDocument.Parse(await plain.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("transient").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        var text = await streamed.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("event: started\n", text, StringComparison.Ordinal);
        Assert.Contains("event: error\ndata: {\"title\":\"The model provider failed.\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_estimate_names_the_model_auto_would_choose_and_the_charge_range_without_calling_the_provider()
    {
        var before = _peer!.RequestCount;
        using var client = As(RadiantApi.NewUser());

        var response = await client.PostAsJsonAsync("/api/thinktank/estimate", new { messages = new[] { new { role = "user", content = "how much?" } }, maxOutputTokens = 300 }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.True(body.GetProperty("inputTokens").GetInt32() > 0);
        Assert.Equal(300, body.GetProperty("replyTokens").GetInt32());
        Assert.True(body.GetProperty("minimumCharge").GetDecimal() < body.GetProperty("maximumCharge").GetDecimal());
        Assert.Equal("best_fit", body.GetProperty("model").GetProperty("rule").GetString());
        Assert.Equal(before, _peer.RequestCount);
    }

    [Fact]
    public async Task A_message_no_model_fits_is_422_with_the_reason_and_each_model_excluded()
    {
        using var client = As(RadiantApi.NewUser());

        // A cost limit of zero excludes every model.
        var limited = await client.PutAsJsonAsync("/api/thinktank/preferences/models", new { maxCostPerMessage = 0 }, Ct);
        Assert.Equal(HttpStatusCode.OK, limited.StatusCode);
        var response = await client.PostAsJsonAsync("/api/thinktank/estimate", new { messages = new[] { new { role = "user", content = "too dear" } } }, Ct);

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("over_cost_limit", body.GetProperty("reason").GetString());
        Assert.True(body.GetProperty("exclusions").GetArrayLength() > 0);
    }
}
