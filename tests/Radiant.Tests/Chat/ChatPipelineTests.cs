using Microsoft.Extensions.DependencyInjection;
using Radiant.Chat;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Pricing;
using Radiant.Teams;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Chat;

public sealed class ChatPipelineTests(ChatFixture chat) : IClassFixture<ChatFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IPricingEngine Pricing => chat.Services.GetRequiredService<IPricingEngine>();

    private IModelPreferenceService Preferences => chat.Services.GetRequiredService<IModelPreferenceService>();

    [Fact]
    public async Task A_message_to_a_named_model_is_answered_charged_at_the_engines_price_for_the_providers_usage_and_recorded_once()
    {
        var user = await chat.NewUserAsync();
        var content = $"named-{Guid.NewGuid():N}";
        chat.Peer.Script = r => r.Prompt.Contains(content, StringComparison.Ordinal) ? new PeerReply.Answer("Hello there.", PromptTokens: 120, CompletionTokens: 45) : new PeerReply.Answer();

        var response = await chat.Chat.GetResponseAsync(user, ChatFixture.Ask(content, "gpt-4o") with { RequestId = "req-named-1" }, Ct);

        Assert.Equal("Hello there.", response.Text);
        Assert.Equal(("gpt-4o", "openai", ModelChoiceRule.Requested), (response.Model.ModelId, response.Model.ProviderId, response.Model.Rule));
        Assert.Equal((120, 45), (response.Charge.InputTokens, response.Charge.OutputTokens));
        var expected = Pricing.Current.Quote(user.TenantId, "gpt-4o", 120, 45, DateTimeOffset.UtcNow).Charge;
        Assert.Equal(expected, response.Charge.Charge);
        Assert.True(expected > 0);
        var record = Assert.Single(await chat.UsageRecordsAsync(user.TenantId));
        Assert.Equal(("req-named-1", 1, "completed", "requested"), (record.RequestId, (int)record.Attempt, record.Outcome, record.RoutingRule));
        Assert.Equal((120, 45, expected, response.Charge.PricingVersion), (record.InputTokens, record.OutputTokens, record.Charge, record.PricingVersion));
        Assert.InRange(record.PricingVersion, 1, Pricing.Current.Version);
        Assert.Equal("gpt-4o", (await Preferences.GetAsync(user, Ct)).RecentModels[0]);
    }

    [Fact]
    public async Task A_streamed_reply_arrives_in_deltas_that_make_the_whole_text_and_ends_with_its_charge()
    {
        var user = await chat.NewUserAsync();
        var content = $"stream-{Guid.NewGuid():N}";
        chat.Peer.Script = r => r.Prompt.Contains(content, StringComparison.Ordinal) ? new PeerReply.Answer("one two three four five", 30, 5) : new PeerReply.Answer();

        var updates = new List<RadiantChatUpdate>();
        await foreach (var update in chat.Chat.GetStreamingResponseAsync(user, ChatFixture.Ask(content, "gpt-4o-mini"), Ct))
        {
            updates.Add(update);
        }

        Assert.Equal(RadiantChatUpdateKind.Started, updates[0].Kind);
        Assert.Equal("gpt-4o-mini", updates[0].Model!.ModelId);
        var deltas = updates.Where(u => u.Kind == RadiantChatUpdateKind.Delta).ToList();
        Assert.Equal(5, deltas.Count);
        Assert.Equal("one two three four five", string.Concat(deltas.Select(d => d.Text)));
        var completed = updates[^1];
        Assert.Equal(RadiantChatUpdateKind.Completed, completed.Kind);
        Assert.Equal((30, 5), (completed.Charge!.InputTokens, completed.Charge.OutputTokens));
        Assert.Equal(Pricing.Current.Quote(user.TenantId, "gpt-4o-mini", 30, 5, DateTimeOffset.UtcNow).Charge, completed.Charge.Charge);
        var record = Assert.Single(await chat.UsageRecordsAsync(user.TenantId));
        Assert.Equal("completed", record.Outcome);
        Assert.NotNull(record.FirstTokenMs);
    }

    [Fact]
    public async Task Without_a_model_the_router_chooses_and_the_estimate_names_the_same_model_with_its_charge_range()
    {
        var user = await chat.NewUserAsync();
        var request = ChatFixture.Ask($"auto-{Guid.NewGuid():N} write a function") with { DomainMode = DomainMode.Code, MaxOutputTokens = 200 };
        chat.Peer.Script = _ => new PeerReply.Answer("done", 40, 10);

        var estimate = await chat.Chat.EstimateAsync(user, request, Ct);
        var response = await chat.Chat.GetResponseAsync(user, request, Ct);

        Assert.Equal(ModelChoiceRule.BestFit, response.Model.Rule);
        Assert.Equal(estimate.Model.ModelId, response.Model.ModelId);
        Assert.Equal(200, estimate.ReplyTokens);
        Assert.True(estimate.MinimumCharge < estimate.MaximumCharge);
        Assert.Equal(Pricing.Current.Quote(user.TenantId, estimate.Model.ModelId, estimate.InputTokens, 200, DateTimeOffset.UtcNow).Charge, estimate.MaximumCharge);
        Assert.Contains(response.Model.ModelId, response.Model.Reason, StringComparison.Ordinal);
        Assert.Equal("code", Assert.Single(await chat.UsageRecordsAsync(user.TenantId)).DomainMode);
    }

    [Fact]
    public async Task A_provider_error_charges_nothing_and_releases_the_team_reservation()
    {
        var (user, team) = await NewTeamAsync(100_000);
        var content = $"fails-{Guid.NewGuid():N}";
        chat.Peer.Script = r => r.Prompt.Contains(content, StringComparison.Ordinal) ? new PeerReply.Fail(400, "bad request from the model") : new PeerReply.Answer();

        var error = await Assert.ThrowsAsync<ChatProviderException>(() => chat.Chat.GetResponseAsync(user, ChatFixture.Ask(content, "gpt-4o") with { TeamId = team }, Ct));

        Assert.False(error.Transient);
        var stats = await chat.Teams.GetStatsAsync(user, team, Ct);
        Assert.Equal(0, stats.TokensUsed);
        // Nothing is held either: the whole pool can be reserved again.
        var hold = await chat.Teams.ReserveAsync(user, team, new TeamReservationRequest(100_000, 100_000), Ct);
        Assert.Equal(100_000, hold.TokensHeld);
        await chat.Teams.ReleaseAsync(user, team, hold.Id, Ct);
        var record = Assert.Single(await chat.UsageRecordsAsync(user.TenantId));
        Assert.Equal(("failed", 0m), (record.Outcome, record.Charge));
        Assert.Contains("400", record.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_cancelled_midway_charges_the_prompt_and_the_reply_received_so_far()
    {
        var (user, team) = await NewTeamAsync(1_000_000);
        var content = $"cancel-{Guid.NewGuid():N}";
        var words = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"word{i}"));
        chat.Peer.Script = r => r.Prompt.Contains(content, StringComparison.Ordinal) ? new PeerReply.Answer(words, 500, 400) : new PeerReply.Answer();
        chat.Peer.ChunkDelay = TimeSpan.FromMilliseconds(50);
        try
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var received = new List<string>();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var update in chat.Chat.GetStreamingResponseAsync(user, ChatFixture.Ask(content, "gpt-4o") with { TeamId = team }, cancel.Token))
                {
                    if (update.Kind == RadiantChatUpdateKind.Delta)
                    {
                        received.Add(update.Text!);
                        if (received.Count == 3)
                        {
                            await cancel.CancelAsync();
                        }
                    }
                }
            });

            var record = Assert.Single(await chat.UsageRecordsAsync(user.TenantId));
            Assert.Equal("cancelled", record.Outcome);
            // No usage came from the provider: the prompt is counted, and the reply's tokens received (3 words, or a few more in flight).
            Assert.InRange(record.OutputTokens, 3, 20);
            Assert.True(record.InputTokens > 0);
            Assert.Equal(Pricing.Current.Quote(user.TenantId, "gpt-4o", record.InputTokens, record.OutputTokens, DateTimeOffset.UtcNow).Charge, record.Charge);
            var stats = await chat.Teams.GetStatsAsync(user, team, Ct);
            Assert.Equal(record.InputTokens + record.OutputTokens, stats.TokensUsed);
        }
        finally
        {
            chat.Peer.ChunkDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_transient_503_before_any_output_falls_back_to_the_next_ranked_model_and_records_both_attempts()
    {
        var user = await chat.NewUserAsync();
        var request = ChatFixture.Ask($"fallback-{Guid.NewGuid():N}");
        var first = (await chat.Chat.EstimateAsync(user, request, Ct)).Model.ModelId;
        chat.Peer.Script = r => r.Model == first && r.Prompt.Contains(request.Messages[0].Content, StringComparison.Ordinal)
            ? new PeerReply.Fail(503, "overloaded")
            : new PeerReply.Answer("from the fallback", 20, 4);

        var response = await chat.Chat.GetResponseAsync(user, request, Ct);

        Assert.Equal("from the fallback", response.Text);
        Assert.Equal(ModelChoiceRule.Fallback, response.Model.Rule);
        Assert.NotEqual(first, response.Model.ModelId);
        Assert.Equal(2, response.Attempts);
        var records = await chat.UsageRecordsAsync(user.TenantId);
        Assert.Equal([("failed", first, 0m), ("completed", response.Model.ModelId, response.Charge.Charge)], records.Select(r => (r.Outcome, r.ModelId, r.Charge)));
    }

    [Fact]
    public async Task Fifty_concurrent_chats_against_a_team_budget_for_twenty_never_overspend_and_each_accepted_one_is_recorded_once()
    {
        // Each chat may hold its prompt plus 100 reply tokens; the provider reports 1 prompt token and a reply of 60 (or
        // the smaller limit a shrunk hold sets), so what each uses fits what it held and is charged in full.
        var probe = await chat.NewUserAsync();
        var input = (await chat.Chat.EstimateAsync(probe, ChatFixture.Ask("budget 00") with { MaxOutputTokens = 100 }, Ct)).InputTokens;
        var (owner, team) = await NewTeamAsync(20L * (input + 100));
        chat.Peer.Script = _ => new PeerReply.Answer("ok", 1, 60);
        chat.Peer.Latency = TimeSpan.FromMilliseconds(20);
        try
        {
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
            {
                try
                {
                    var response = await chat.Chat.GetResponseAsync(owner, ChatFixture.Ask($"budget {i:00}", "gpt-4o-mini") with { TeamId = team, MaxOutputTokens = 100 }, Ct);
                    return (Accepted: true, response.Charge.InputTokens + response.Charge.OutputTokens);
                }
                catch (RadiantLimitExceededException e) when (e.Limit == "team_pool")
                {
                    return (Accepted: false, 0);
                }
            }));

            var accepted = outcomes.Count(o => o.Accepted);
            var stats = await chat.Teams.GetStatsAsync(owner, team, Ct);
            Assert.True(stats.TokensUsed <= stats.TotalTokensMonthly, $"used {stats.TokensUsed} of {stats.TotalTokensMonthly}");
            Assert.InRange(accepted, 20, 49);
            Assert.Equal(outcomes.Sum(o => o.Item2), stats.TokensUsed);
            var records = await chat.UsageRecordsAsync(owner.TenantId);
            Assert.Equal(accepted, records.Count(r => r.Outcome == "completed"));
            Assert.Equal(records.Count, records.Select(r => r.RequestId).Distinct().Count());
        }
        finally
        {
            chat.Peer.Latency = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_request_id_already_answered_is_refused_and_charged_once()
    {
        var user = await chat.NewUserAsync();
        chat.Peer.Script = _ => new PeerReply.Answer("once", 10, 2);
        var before = chat.Peer.RequestCount;
        var request = ChatFixture.Ask("idempotent", "gpt-4o-mini") with { RequestId = "client-retry-7" };

        await chat.Chat.GetResponseAsync(user, request, Ct);
        await Assert.ThrowsAsync<RadiantConflictException>(() => chat.Chat.GetResponseAsync(user, request, Ct));

        Assert.Equal(before + 1, chat.Peer.RequestCount);
        Assert.Single(await chat.UsageRecordsAsync(user.TenantId, "client-retry-7"));
        // Another tenant's request ids are its own.
        var other = await chat.NewUserAsync();
        await chat.Chat.GetResponseAsync(other, request, Ct);
    }

    [Fact]
    public async Task The_users_maximum_cost_per_message_shrinks_the_reply_budget_and_refuses_a_prompt_it_cannot_cover()
    {
        var user = await chat.NewUserAsync();
        var request = ChatFixture.Ask("cost limited", "gpt-4o") with { MaxOutputTokens = 10_000 };
        var input = (await chat.Chat.EstimateAsync(user, request, Ct)).InputTokens;
        var snapshot = Pricing.Current;
        var limit = snapshot.Quote(user.TenantId, "gpt-4o", input, 500, DateTimeOffset.UtcNow).Charge;
        await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { MaxCostPerMessage = limit }, Ct);

        var estimate = await chat.Chat.EstimateAsync(user, request, Ct);

        Assert.InRange(estimate.ReplyTokens, 500, 599);
        Assert.True(estimate.MaximumCharge <= limit);
        Assert.True(snapshot.Quote(user.TenantId, "gpt-4o", input, estimate.ReplyTokens + 1, DateTimeOffset.UtcNow).Charge > limit);
        chat.Peer.Script = _ => new PeerReply.Answer("short", 10, 2);
        var sent = chat.Peer.MaxTokens.Count;
        await chat.Chat.GetResponseAsync(user, request, Ct);
        Assert.Equal(estimate.ReplyTokens, chat.Peer.MaxTokens.Skip(sent).Single());

        await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { MaxCostPerMessage = 0m }, Ct);
        var refused = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => chat.Chat.GetResponseAsync(user, request, Ct));
        Assert.Equal("max_cost_per_message", refused.Limit);
    }

    [Fact]
    public async Task A_model_the_user_may_not_pick_and_a_bad_request_are_refused_before_anything_is_sent()
    {
        var user = await chat.NewUserAsync();
        var before = chat.Peer.RequestCount;

        var unknown = await Assert.ThrowsAsync<RadiantValidationException>(() => chat.Chat.GetResponseAsync(user, ChatFixture.Ask("hi", "no-such-model"), Ct));
        var empty = await Assert.ThrowsAsync<RadiantValidationException>(() => chat.Chat.GetResponseAsync(user, new RadiantChatRequest([]), Ct));
        var last = await Assert.ThrowsAsync<RadiantValidationException>(() => chat.Chat.GetResponseAsync(
            user, new RadiantChatRequest([new RadiantChatMessage(ChatMessageRole.User, "q"), new RadiantChatMessage(ChatMessageRole.Assistant, "a")]), Ct));

        Assert.Contains("modelId", unknown.Errors.Keys);
        Assert.Contains("messages", empty.Errors.Keys);
        Assert.Contains("messages", last.Errors.Keys);
        Assert.Equal(before, chat.Peer.RequestCount);
        Assert.Empty(await chat.UsageRecordsAsync(user.TenantId));
    }

    private async Task<(Radiant.Tenancy.RadiantCaller Owner, Guid Team)> NewTeamAsync(long pool)
    {
        var owner = await chat.NewUserAsync();
        var plan = await chat.Teams.CreateAsync(owner, new TeamCreate("Chat team", TeamPlanType.Team, 10, pool), Ct);
        return (owner, plan.Id);
    }
}
