using Radiant.Errors;
using Radiant.Pricing;
using Radiant.Routing;
using static Radiant.Tests.Routing.RoutingWorld;

namespace Radiant.Tests.Routing;

/// <summary>
/// Each rule of the router with its case, on snapshots built in memory. Figures: the tenant pays list prices plus the
/// default 40 % markup with a $0.001 minimum; a 1,000-token prompt with the default 4,096-token reply budget costs up
/// to $0.186032 on the flagship, $0.090216 on the balanced model, $0.002434 on the economy one (charges are rounded to micro-dollars) and the $0.001
/// minimum on the novel one.
/// </summary>
public sealed class RouterRulesTests
{
    [Fact]
    public void Without_preferences_the_best_ranked_fitting_model_is_chosen()
    {
        var world = new RoutingWorld();

        var decision = world.Route();

        Assert.Equal((Flagship, "provider-a", RoutingRule.BestFit), (decision.ModelId, decision.ProviderId, decision.Rule));
        Assert.Equal(0.186032m, decision.EstimatedCharge);
        Assert.Equal(4_096, decision.ReplyTokens);
        Assert.Equal([Balanced, Economy, Novel], decision.Fallbacks.Select(f => f.ModelId));
        var embedder = Assert.Single(decision.Exclusions);
        Assert.Equal((Embedder, RoutingExclusionReason.NoReply), (embedder.ModelId, embedder.Reason));
    }

    [Fact]
    public void The_users_per_mode_override_decides_first()
    {
        var world = new RoutingWorld();

        var decision = world.Route(with: r => r with { DomainMode = "code", UserModeOverrideModelId = Economy, ModeDefaultModelId = Balanced });

        // The override is the user's own choice for the mode: the code mode's capability does not second-guess it.
        Assert.Equal((Economy, RoutingRule.UserModeOverride), (decision.ModelId, decision.Rule));
        Assert.Null(decision.SkippedOverride);
        Assert.Equal(0.002434m, decision.EstimatedCharge);
        Assert.DoesNotContain(decision.Exclusions, e => e.ModelId == Economy);
    }

    [Fact]
    public void An_override_that_cannot_take_the_message_falls_through_to_the_mode_default_and_says_why()
    {
        var world = new RoutingWorld();

        var decision = world.Route(with: r => r with { Attachments = RoutingAttachments.Image, UserModeOverrideModelId = Balanced, ModeDefaultModelId = Flagship });

        Assert.Equal((Flagship, RoutingRule.ModeDefault), (decision.ModelId, decision.Rule));
        var skipped = Assert.IsType<RoutingExclusion>(decision.SkippedOverride);
        Assert.Equal((Balanced, RoutingExclusionReason.MissingCapability, RoutingCapabilities.Vision), (skipped.ModelId, skipped.Reason, skipped.MissingCapabilities));
        Assert.Equal("'balanced-code' lacks vision.", skipped.Message);
    }

    [Fact]
    public void The_mode_default_decides_when_the_user_has_no_override()
    {
        var world = new RoutingWorld();

        var decision = world.Route(with: r => r with { DomainMode = "legal", UserModeOverrideModelId = RoutingRules.Auto, ModeDefaultModelId = Balanced });

        Assert.Equal((Balanced, RoutingRule.ModeDefault), (decision.ModelId, decision.Rule));
        Assert.Null(decision.SkippedOverride);
        Assert.Equal(0.090216m, decision.EstimatedCharge);
    }

    [Fact]
    public void A_mode_default_the_tenant_switched_off_or_that_does_not_exist_falls_through_to_the_automatic_choice()
    {
        var world = new RoutingWorld(catalog => catalog.SetEnabled(Tenant, Balanced, false));

        var disabled = world.Route(with: r => r with { ModeDefaultModelId = Balanced });
        var unknown = world.Route(with: r => r with { UserModeOverrideModelId = "gpt-99", ModeDefaultModelId = "no-such-model" });

        Assert.Equal((Flagship, RoutingRule.BestFit), (disabled.ModelId, disabled.Rule));
        Assert.Equal(RoutingExclusionReason.Disabled, disabled.SkippedModeDefault?.Reason);
        Assert.Contains(disabled.Exclusions, e => e.ModelId == Balanced && e.Reason == RoutingExclusionReason.Disabled);
        Assert.Equal(RoutingExclusionReason.UnknownModel, unknown.SkippedOverride?.Reason);
        Assert.Equal(RoutingExclusionReason.UnknownModel, unknown.SkippedModeDefault?.Reason);
        Assert.Equal("'no-such-model' is not in the model catalogue.", unknown.SkippedModeDefault?.Message);
    }

    [Fact]
    public void A_tenants_switch_applies_to_that_tenant_only()
    {
        var world = new RoutingWorld(catalog => catalog.SetEnabled(Tenant, Flagship, false));

        var mine = world.Router.Route(new RoutingRequest(Tenant, 1_000));
        var theirs = world.Router.Route(new RoutingRequest(OtherTenant, 1_000));

        Assert.Equal(Balanced, mine.ModelId);
        Assert.Equal(Flagship, theirs.ModelId);
    }

    [Fact]
    public void An_image_needs_vision_and_the_code_mode_needs_code()
    {
        var world = new RoutingWorld();

        var image = world.Route(with: r => r with { Attachments = RoutingAttachments.Image });
        var code = world.Route(with: r => r with { DomainMode = "Code", MaxCostPerMessage = 0.10m });

        Assert.Equal(Flagship, image.ModelId);
        Assert.Empty(image.Fallbacks);
        Assert.All(
            image.Exclusions.Where(e => e.ModelId != Embedder),
            e => Assert.Equal((RoutingExclusionReason.MissingCapability, RoutingCapabilities.Vision), (e.Reason, e.MissingCapabilities)));

        // The economy model is cheaper but writes no code; the flagship is over the limit.
        Assert.Equal(Balanced, code.ModelId);
        Assert.Contains(code.Exclusions, e => e.ModelId == Economy && e.MissingCapabilities == RoutingCapabilities.Code);
        Assert.Contains(code.Exclusions, e => e.ModelId == Flagship && e.Reason == RoutingExclusionReason.OverCostLimit);
    }

    [Fact]
    public void A_model_whose_window_cannot_hold_the_prompt_and_its_reply_is_excluded_with_the_figures()
    {
        var world = new RoutingWorld();

        var decision = world.Route(14_000, r => r with { PreferCostOptimization = true, UserModeOverrideModelId = Economy });

        Assert.Equal((Novel, RoutingRule.CheapestFit), (decision.ModelId, decision.Rule));
        var economy = Assert.Single(decision.Exclusions, e => e.ModelId == Economy);
        Assert.Equal(RoutingExclusionReason.ContextWindowTooSmall, economy.Reason);
        Assert.Equal((14_000, 4_096, 16_000), (economy.PromptTokens, economy.ReplyTokens, economy.ContextWindow));
        Assert.Equal("'economy-text' holds 16,000 tokens; the prompt and its reply need 18,096 (14,000 + 4,096).", economy.Message);
        Assert.Equal(economy, decision.SkippedOverride);

        // A smaller reply budget fits.
        Assert.Equal(Economy, world.Route(14_000, r => r with { MaxOutputTokens = 2_000, UserModeOverrideModelId = Economy }).ModelId);
    }

    [Fact]
    public void The_cost_limit_excludes_models_whose_worst_case_charge_is_over_it()
    {
        var world = new RoutingWorld();

        var decision = world.Route(with: r => r with { MaxCostPerMessage = 0.10m });

        Assert.Equal((Balanced, RoutingRule.BestFit), (decision.ModelId, decision.Rule));
        var flagship = Assert.Single(decision.Exclusions, e => e.ModelId == Flagship);
        Assert.Equal((RoutingExclusionReason.OverCostLimit, 0.186032m, 0.10m), (flagship.Reason, flagship.EstimatedCharge, flagship.CostLimit));
        Assert.Equal("'flagship-vision' would cost up to $0.186032, over the limit of $0.1 per message.", flagship.Message);

        // A charge exactly at the limit is within it.
        Assert.Equal(Flagship, world.Route(with: r => r with { MaxCostPerMessage = 0.186032m }).ModelId);
    }

    [Fact]
    public void With_cost_optimisation_the_cheapest_fitting_model_is_chosen_and_the_fallbacks_are_cheapest_first()
    {
        var world = new RoutingWorld();

        var decision = world.Route(with: r => r with { PreferCostOptimization = true });

        Assert.Equal((Novel, RoutingRule.CheapestFit, 0.001m), (decision.ModelId, decision.Rule, decision.EstimatedCharge));
        Assert.Equal([Economy, Balanced, Flagship], decision.Fallbacks.Select(f => f.ModelId));
        Assert.Equal([0.002434m, 0.090216m, 0.186032m], decision.Fallbacks.Select(f => f.EstimatedCharge));
    }

    [Fact]
    public void An_unhealthy_model_is_skipped_until_its_break_is_over_and_the_decision_says_so()
    {
        var world = new RoutingWorld();
        world.Trip(Flagship);

        var skipped = world.Route();

        Assert.Equal(Balanced, skipped.ModelId);
        var flagship = Assert.Single(skipped.Exclusions, e => e.ModelId == Flagship);
        Assert.Equal((RoutingExclusionReason.Unhealthy, 5, 5), (flagship.Reason, flagship.RecentFailures, flagship.RecentCalls));
        Assert.Equal(world.Time.GetUtcNow().AddSeconds(30), flagship.UnhealthyUntil);
        Assert.Equal("'flagship-vision' failed 5 of its last 5 calls; it is skipped until 2026-03-01T12:00:30Z.", flagship.Message);
        Assert.Equal(ModelHealthState.Unhealthy, world.Health.GetReport(Flagship).State);

        // The break is over: tried again, and the first outcome decides.
        world.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(ModelHealthState.Recovering, world.Health.GetReport(Flagship).State);
        Assert.Equal(Flagship, world.Route().ModelId);
        world.Health.Record(Flagship, ModelCallOutcome.Success, TimeSpan.FromMilliseconds(150));
        var report = world.Health.GetReport(Flagship);
        Assert.Equal((ModelHealthState.Healthy, 1, 0, (DateTimeOffset?)null), (report.State, report.RecentCalls, report.RecentFailures, report.UnhealthyUntil));
        Assert.Equal(Flagship, world.Route().ModelId);
    }

    [Fact]
    public void A_model_that_fails_again_while_recovering_is_skipped_for_another_break()
    {
        var world = new RoutingWorld();
        world.Trip(Flagship);
        world.Time.Advance(TimeSpan.FromSeconds(31));

        world.Health.Record(Flagship, ModelCallOutcome.Timeout, TimeSpan.FromSeconds(30));

        var decision = world.Route();
        Assert.Equal(Balanced, decision.ModelId);
        Assert.Equal(world.Time.GetUtcNow().AddSeconds(30), Assert.Single(decision.Exclusions, e => e.ModelId == Flagship).UnhealthyUntil);
    }

    [Fact]
    public void A_model_failing_half_of_its_calls_or_too_few_is_still_healthy()
    {
        var world = new RoutingWorld();
        world.Trip(Flagship, failures: 4);
        Assert.Equal(Flagship, world.Route().ModelId);

        for (var i = 0; i < 4; i++)
        {
            world.Health.Record(Balanced, ModelCallOutcome.Success, TimeSpan.FromMilliseconds(100));
        }

        world.Trip(Balanced, failures: 4);
        Assert.Equal(Balanced, world.Route(with: r => r with { ModeDefaultModelId = Balanced }).ModelId);
        Assert.Equal(0.5, world.Health.GetReport(Balanced).FailureRatio);
    }

    [Fact]
    public void Failures_older_than_the_sampling_period_are_forgotten()
    {
        var world = new RoutingWorld();
        world.Trip(Flagship, failures: 4);
        world.Time.Advance(TimeSpan.FromMinutes(6));

        world.Trip(Flagship, failures: 1);

        Assert.Equal(Flagship, world.Route().ModelId);
        Assert.Equal(1, world.Health.GetReport(Flagship).RecentCalls);
    }

    [Fact]
    public void Nothing_fits_names_the_check_that_left_nothing_and_lists_every_model()
    {
        var world = new RoutingWorld();

        var cost = Assert.Throws<NoModelFitsException>(() => world.Route(with: r => r with { MaxCostPerMessage = 0.0005m }));
        world.Trip(Flagship);
        var unhealthy = Assert.Throws<NoModelFitsException>(() => world.Route(with: r => r with { Attachments = RoutingAttachments.Image, UserModeOverrideModelId = Economy }));
        var context = Assert.Throws<NoModelFitsException>(() => world.Route(300_000));

        Assert.Equal(RoutingExclusionReason.OverCostLimit, cost.Reason);
        Assert.Equal(
            "No model fits this message: the cost limit $0.0005 excludes all 4 models that fit the context (the cheapest would cost up to $0.001).",
            cost.Message);
        Assert.Equal([Flagship, Balanced, Economy, Novel, Embedder], cost.Exclusions.Select(e => e.ModelId));

        Assert.Equal(RoutingExclusionReason.Unhealthy, unhealthy.Reason);
        Assert.StartsWith("No model fits this message: the one model that fits is failing right now, skipped until it recovers: flagship-vision.", unhealthy.Message);
        Assert.EndsWith("The user's override for this mode could not be used either: 'economy-text' lacks vision.", unhealthy.Message);
        Assert.Equal(RoutingExclusionReason.MissingCapability, unhealthy.SkippedOverride?.Reason);

        Assert.Equal(RoutingExclusionReason.ContextWindowTooSmall, context.Reason);
        Assert.Contains("can hold the prompt (300,000 tokens) plus its reply budget (4 models checked; the largest holds 200,000 tokens)", context.Message);
    }

    [Fact]
    public void An_empty_catalogue_fits_nothing()
    {
        var router = ModelRouting.CreateRouter(() => RoutingCatalog.Empty, () => new PricingSnapshotBuilder().AddTenant(Tenant).Build());

        var e = Assert.Throws<NoModelFitsException>(() => router.Route(new RoutingRequest(Tenant, 10)));

        Assert.Null(e.Reason);
        Assert.Equal("No model fits this message: the routing catalogue has no models.", e.Message);
    }

    [Fact]
    public void Every_model_is_the_choice_a_fallback_or_an_exclusion_exactly_once()
    {
        var world = new RoutingWorld(catalog => catalog.SetEnabled(Tenant, Economy, false));
        world.Trip(Novel);

        var decision = world.Route(20_000, r => r with { MaxCostPerMessage = 0.20m, ModeDefaultModelId = Balanced });

        var all = new[] { decision.ModelId }.Concat(decision.Fallbacks.Select(f => f.ModelId)).Concat(decision.Exclusions.Select(e => e.ModelId));
        Assert.Equal(world.Catalog.Models.Select(m => m.Id).Order(), all.Order());
        Assert.Equal(
            [(Flagship, RoutingExclusionReason.OverCostLimit), (Economy, RoutingExclusionReason.Disabled), (Novel, RoutingExclusionReason.Unhealthy), (Embedder, RoutingExclusionReason.NoReply)],
            decision.Exclusions.Select(e => (e.ModelId, e.Reason)));
    }

    [Fact]
    public void The_estimated_charge_is_the_pricing_engines_quote_for_the_prompt_and_the_whole_reply_budget()
    {
        var world = new RoutingWorld();
        foreach (var tenant in new[] { Tenant, OtherTenant })
        {
            foreach (var (input, reply) in new[] { (0, (int?)null), (1, 1), (12_345, 777), (100_000, 20_000) })
            {
                var decision = world.Router.Route(new RoutingRequest(tenant, input) { MaxOutputTokens = reply, PreferCostOptimization = input % 2 == 0 });
                foreach (var candidate in decision.Fallbacks.Prepend(decision.Chosen))
                {
                    Assert.Equal(world.Quote(candidate.ModelId, input, candidate.ReplyTokens, tenant), candidate.EstimatedCharge);
                    Assert.Equal(Math.Min(reply ?? RoutingRules.DefaultReplyTokens, world.Catalog.Models.Single(m => m.Id == candidate.ModelId).MaxOutputTokens), candidate.ReplyTokens);
                }
            }
        }
    }

    [Fact]
    public void A_new_snapshot_is_used_by_the_next_decision()
    {
        var world = new RoutingWorld();
        var prices = world.Prices;
        var router = ModelRouting.CreateRouter(() => world.Catalog, () => prices);
        Assert.Equal(0.186032m, router.Route(new RoutingRequest(Tenant, 1_000)).EstimatedCharge);

        prices = new PricingSnapshotBuilder().AddModel(Flagship, 1m, 3m).AddTenant(Tenant).Build(2);

        var decision = router.Route(new RoutingRequest(Tenant, 1_000));
        Assert.Equal(0.018603m, decision.EstimatedCharge);
        Assert.All(decision.Exclusions, e => Assert.Equal(RoutingExclusionReason.NotPriced, e.Reason));
    }

    [Fact]
    public void A_tenant_the_snapshot_does_not_know_and_out_of_range_requests_are_refused()
    {
        var world = new RoutingWorld();

        Assert.Throws<PricingException>(() => world.Router.Route(new RoutingRequest(Guid.NewGuid(), 10)));
        var bad = Assert.Throws<RadiantValidationException>(() => world.Route(-1, r => r with { MaxOutputTokens = 0, MaxCostPerMessage = -1m }));
        Assert.Equal(["inputTokens", "maxCostPerMessage", "maxOutputTokens"], bad.Errors.Keys.Order());
    }

    [Fact]
    public void Catalogue_entries_become_capabilities_and_rank()
    {
        var catalog = RoutingCatalog.FromCatalog(Radiant.Registry.BuiltInCatalog.Catalog);

        Assert.True(catalog.TryGetModel("gpt-4o", out var gpt4o));
        Assert.Equal(RoutingCapabilities.Vision | RoutingCapabilities.Audio | RoutingCapabilities.Reasoning, gpt4o.Capabilities);
        Assert.True(catalog.TryGetModel("codestral-latest", out var codestral));
        Assert.Equal(RoutingCapabilities.Code, codestral.Capabilities);
        Assert.False(catalog.IsEnabled(Tenant, "grok-2")); // not offered in Think Tank by default
        Assert.Equal("claude-4-opus", catalog.Models[0].Id);
        Assert.All(catalog.Models.SkipWhile(m => !m.IsNovel), m => Assert.True(m.IsNovel));
    }
}
