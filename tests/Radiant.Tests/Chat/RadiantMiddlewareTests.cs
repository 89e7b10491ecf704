using Microsoft.Extensions.AI;
using Radiant.Chat;
using Radiant.Errors;
using Radiant.Teams;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Chat;

/// <summary><c>chatClient.AsBuilder().UseRadiant()</c>: a host's own client chain, metered by Radiant.</summary>
public sealed class RadiantMiddlewareTests(ChatFixture chat) : IClassFixture<ChatFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IChatClient Client() => chat.Peer.CreateChatClient().AsBuilder().UseRadiant().Build(chat.Services);

    [Fact]
    public async Task A_call_through_the_middleware_is_reserved_on_the_team_charged_and_recorded_and_its_options_reach_the_provider()
    {
        var owner = await chat.NewUserAsync();
        var team = (await chat.Teams.CreateAsync(owner, new TeamCreate("Middleware", TeamPlanType.Team, 5, 100_000), Ct)).Id;
        chat.Peer.Script = _ => new PeerReply.Answer("through the middleware", 50, 20);
        var sent = chat.Peer.MaxTokens.Count;

        var response = await Client().GetResponseAsync(
            "hello",
            new ChatOptions { ModelId = "gpt-4o-mini", MaxOutputTokens = 64 }.WithRadiant(new RadiantChatContext(owner) { TeamId = team, RequestId = "mw-1" }),
            Ct);

        Assert.Equal("through the middleware", response.Text);
        Assert.Equal(64, chat.Peer.MaxTokens.Skip(sent).First());
        var record = Assert.Single(await chat.UsageRecordsAsync(owner.TenantId, "mw-1"));
        Assert.Equal(("completed", "gpt-4o-mini", 50, 20), (record.Outcome, record.ModelId, record.InputTokens, record.OutputTokens));
        Assert.True(record.Charge > 0);
        Assert.Equal(70, (await chat.Teams.GetStatsAsync(owner, team, Ct)).TokensUsed);
    }

    [Fact]
    public async Task A_tool_loop_inside_the_middleware_is_one_message_reserved_once_and_charged_for_every_round()
    {
        var owner = await chat.NewUserAsync();
        var team = (await chat.Teams.CreateAsync(owner, new TeamCreate("Tools", TeamPlanType.Team, 5, 100_000), Ct)).Id;
        var first = chat.Peer.RequestCount + 1;
        // Round 1 asks for the tool; round 2 answers with what the tool returned.
        chat.Peer.Script = r => r.Number == first
            ? new PeerReply.ToolCall("get_city_weather", """{"city":"Paris"}""", PromptTokens: 40, CompletionTokens: 10)
            : new PeerReply.Answer($"It is {r.Prompt} there.", PromptTokens: 60, CompletionTokens: 15);
        var calls = new List<string>();
        var weather = AIFunctionFactory.Create((string city) => { calls.Add(city); return "sunny"; }, "get_city_weather", "The weather in a city.");
        var client = chat.Peer.CreateChatClient().AsBuilder().UseRadiant().UseFunctionInvocation().Build(chat.Services);

        var response = await client.GetResponseAsync(
            "What is the weather in Paris?",
            new ChatOptions { ModelId = "gpt-4o-mini", Tools = [weather] }.WithRadiant(new RadiantChatContext(owner) { TeamId = team, RequestId = "mw-tools" }),
            Ct);

        Assert.Equal("It is \"sunny\" there.", response.Text); // the tool's result, as JSON, in the second round's prompt
        Assert.Equal(["Paris"], calls);
        Assert.Equal(first + 1, chat.Peer.RequestCount);
        // One record for the message, with the usage of both rounds; the team is charged for both.
        var record = Assert.Single(await chat.UsageRecordsAsync(owner.TenantId, "mw-tools"));
        Assert.Equal(("completed", 100, 25), (record.Outcome, record.InputTokens, record.OutputTokens));
        Assert.Equal(125, (await chat.Teams.GetStatsAsync(owner, team, Ct)).TokensUsed);
    }

    [Fact]
    public async Task A_streamed_call_passes_every_update_through_and_is_recorded_with_its_usage()
    {
        var user = await chat.NewUserAsync();
        chat.Peer.Script = _ => new PeerReply.Answer("a b c", 9, 3);

        var text = "";
        await foreach (var update in Client().GetStreamingResponseAsync("stream", new ChatOptions { ModelId = "gpt-4o" }.WithRadiant(new RadiantChatContext(user) { RequestId = "mw-stream" }), Ct))
        {
            text += update.Text;
        }

        Assert.Equal("a b c", text);
        var record = Assert.Single(await chat.UsageRecordsAsync(user.TenantId, "mw-stream"));
        Assert.Equal(("completed", 9, 3), (record.Outcome, record.InputTokens, record.OutputTokens));
    }

    [Fact]
    public async Task A_call_without_its_context_or_model_fails_before_the_provider_and_a_repeated_request_id_is_refused()
    {
        var user = await chat.NewUserAsync();
        chat.Peer.Script = _ => new PeerReply.Answer("once", 5, 1);
        var before = chat.Peer.RequestCount;

        await Assert.ThrowsAsync<InvalidOperationException>(() => Client().GetResponseAsync("no context", new ChatOptions { ModelId = "gpt-4o" }, Ct));
        var noModel = await Assert.ThrowsAsync<RadiantValidationException>(() => Client().GetResponseAsync("no model", new ChatOptions().WithRadiant(new RadiantChatContext(user)), Ct));
        Assert.Contains("modelId", noModel.Errors.Keys);
        Assert.Equal(before, chat.Peer.RequestCount);

        var options = new ChatOptions { ModelId = "gpt-4o" }.WithRadiant(new RadiantChatContext(user) { RequestId = "mw-twice" });
        await Client().GetResponseAsync("first", options, Ct);
        await Assert.ThrowsAsync<RadiantConflictException>(() => Client().GetResponseAsync("again", options, Ct));
        Assert.Equal(before + 1, chat.Peer.RequestCount);
    }
}
