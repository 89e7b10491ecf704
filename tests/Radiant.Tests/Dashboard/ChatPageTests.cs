using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The Think Tank chat page in Chromium as the Acme user: the model selector and its favourites, the estimate before
/// sending, a streamed reply and its charge, Stop, and the router's reason when the cost limit leaves no model. Every
/// test puts the user's model preferences back as they were (other dashboard tests chat as this user).
/// </summary>
[Collection(DashboardTests.Name)]
public sealed class ChatPageTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task Favouriting_a_model_lists_it_under_favourites_and_unfavouriting_removes_it()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("chat");
        var page = session.Page;

        // The first model of the first category that is not a favourite yet.
        var row = page.Locator("tr[data-model-id]:has(button[aria-pressed='false'])").First;
        var modelId = await row.GetAttributeAsync("data-model-id") ?? throw new InvalidOperationException("No model row.");
        var name = await row.Locator("label strong").InnerTextAsync();
        var favourites = page.GetByRole(AriaRole.Table, new() { Name = "Favourites", Exact = true });
        var toggle = page.GetByRole(AriaRole.Button, new() { Name = $"Add {name} to favourites", Exact = true });
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");

        await toggle.ClickAsync();

        await Expect(favourites.Locator($"tr[data-model-id='{modelId}']")).ToHaveCountAsync(1);
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Added {name} to favourites." })).ToBeVisibleAsync();
        Assert.Contains(modelId, (await saved.CurrentAsync())["favoriteModels"]!.AsArray().Select(n => n!.GetValue<string>()));
        // The row moved to the favourites table; keyboard focus moved with its button.
        Assert.Equal(modelId, await page.EvaluateAsync<string?>("() => document.activeElement?.closest('[data-model-id]')?.dataset.modelId"));
        await session.ScreenshotAsync("chat-favourite-added");

        // Un-favourite by keyboard: the focused toggle, Enter.
        await page.Keyboard.PressAsync("Enter");

        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(favourites.Locator($"tr[data-model-id='{modelId}']")).ToHaveCountAsync(0);
        await Expect(page.Locator($"tr[data-model-id='{modelId}']")).ToHaveCountAsync(1);
        Assert.DoesNotContain(modelId, (await saved.CurrentAsync())["favoriteModels"]!.AsArray().Select(n => n!.GetValue<string>()));
        await session.ScreenshotAsync("chat-favourite-removed");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Every_model_option_shows_the_price_the_user_pays()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await session.OpenAsync("chat");

        var models = await GetJsonAsync(session, "/api/thinktank/models");
        Assert.NotEmpty(models.AsArray());
        foreach (var model in models.AsArray())
        {
            var id = model!["id"]!.GetValue<string>();
            var row = session.Page.Locator($"[data-model-id='{id}']");
            await Expect(row.Locator(".price-input")).ToHaveTextAsync(Price(model["userInputPricePer1M"]!.GetValue<decimal>()));
            await Expect(row.Locator(".price-output")).ToHaveTextAsync(Price(model["userOutputPricePer1M"]!.GetValue<decimal>()));
        }

        session.AssertNoErrors();
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
    }

    [Fact]
    public async Task The_estimate_shows_the_model_auto_would_choose_and_why_before_sending()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("chat");
        var page = session.Page;
        await Expect(page.Locator("[data-model-id='auto'] input[type=radio]")).ToBeCheckedAsync();

        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByLabel("Message", new() { Exact = true }).FillAsync("Compare row-level security with views"),
            r => r.Url.Contains("/api/thinktank/estimate", StringComparison.Ordinal) && r.Ok);
        var request = JsonNode.Parse(response.Request.PostData!)!;
        var estimate = JsonNode.Parse(await response.TextAsync())!;

        Assert.Null(request["modelId"]);
        var section = page.GetByRole(AriaRole.Region, new() { Name = "Before you send" });
        var modelId = estimate["model"]!["modelId"]!.GetValue<string>();
        await Expect(section.Locator(".card").Nth(0)).ToContainTextAsync(await DisplayNameAsync(page, modelId));
        await Expect(section.Locator(".card").Nth(0)).ToContainTextAsync(RuleWords(estimate["model"]!["rule"]!.GetValue<string>()));
        await Expect(section.Locator(".estimate-reason")).ToHaveTextAsync("Why: " + estimate["model"]!["reason"]!.GetValue<string>());
        await Expect(section.Locator(".card").Nth(1)).ToContainTextAsync(Number(estimate["inputTokens"]!.GetValue<int>()));
        await Expect(section.Locator(".card").Nth(2)).ToContainTextAsync(
            $"{Money(estimate["minimumCharge"]!.GetValue<decimal>())} – {Money(estimate["maximumCharge"]!.GetValue<decimal>())}");
        // Nothing was sent.
        await Expect(page.GetByText("No messages yet.")).ToBeVisibleAsync();
        await session.ScreenshotAsync("chat-estimate");
        session.AssertNoErrors();
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
    }

    [Fact]
    public async Task A_model_picked_with_the_keyboard_is_the_one_estimated_and_sent()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("chat");
        var page = session.Page;
        await page.GetByLabel("Message", new() { Exact = true }).FillAsync("Which model are you?");

        // Arrow keys move through the radio group from Auto to the next model.
        await page.Locator("[data-model-id='auto'] input[type=radio]").FocusAsync();
        var estimated = await page.RunAndWaitForResponseAsync(
            () => page.Keyboard.PressAsync("ArrowDown"),
            r => r.Url.Contains("/api/thinktank/estimate", StringComparison.Ordinal) && r.Ok
                 && JsonNode.Parse(r.Request.PostData!)!["modelId"] is not null);
        var picked = await page.EvaluateAsync<string>("() => document.querySelector('input[name=model]:checked').value");
        Assert.NotEqual("auto", picked);
        Assert.Equal(picked, JsonNode.Parse(estimated.Request.PostData!)!["modelId"]!.GetValue<string>());
        var section = page.GetByRole(AriaRole.Region, new() { Name = "Before you send" });
        await Expect(section.Locator(".card").Nth(0)).ToContainTextAsync(await DisplayNameAsync(page, picked));
        await Expect(section.Locator(".card").Nth(0)).ToContainTextAsync(RuleWords("requested"));

        var sent = await page.RunAndWaitForResponseAsync(
            () => page.GetByLabel("Message", new() { Exact = true }).PressAsync("Enter"),
            r => r.Url.Contains("/api/thinktank/chat", StringComparison.Ordinal));
        Assert.Equal(picked, JsonNode.Parse(sent.Request.PostData!)!["modelId"]!.GetValue<string>());
        var reply = page.Locator(".chat-log li.assistant").Last;
        await Expect(reply).ToHaveAttributeAsync("data-status", "done");
        await Expect(reply.Locator(".message-charge")).ToContainTextAsync($"{await DisplayNameAsync(page, picked)} ({RuleWords("requested")})");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_message_streams_its_reply_and_shows_its_charge_and_the_next_one_carries_the_conversation()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("chat");
        var page = session.Page;
        // Every text the reply shows on its way, to see it grow delta by delta.
        await page.EvaluateAsync("""
            () => {
              window.replyTexts = [];
              new MutationObserver(() => {
                const text = document.querySelector('.chat-log li.assistant:last-child .reply-text')?.textContent;
                if (text && window.replyTexts[window.replyTexts.length - 1] !== text) window.replyTexts.push(text);
              }).observe(document.getElementById('page'), { subtree: true, childList: true, characterData: true });
            }
            """);
        var message = page.GetByLabel("Message", new() { Exact = true });
        await message.FillAsync("Explain row-level security in one paragraph");

        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync(),
            r => r.Url.Contains("/api/thinktank/chat?stream=true", StringComparison.Ordinal));
        var reply = page.Locator(".chat-log li.assistant").Last;
        await Expect(reply).ToHaveAttributeAsync("data-status", "done");
        var events = ServerSentEvents(await response.TextAsync());

        var deltas = events.Where(e => e.Name == "delta").Select(e => e.Data["text"]!.GetValue<string>()).ToList();
        Assert.True(deltas.Count > 1, "The sample streams its reply in several deltas.");
        var completed = events.Single(e => e.Name == "completed").Data;
        var text = string.Concat(deltas);
        await Expect(reply.Locator(".reply-text")).ToHaveTextAsync(text);
        var modelId = completed["model"]!["modelId"]!.GetValue<string>();
        var charge = completed["charge"]!;
        var chargeLine = reply.Locator(".message-charge");
        await Expect(chargeLine).ToContainTextAsync($"Charge {Money(charge["charge"]!.GetValue<decimal>())}");
        await Expect(chargeLine).ToContainTextAsync($"{await DisplayNameAsync(page, modelId)} ({RuleWords(completed["model"]!["rule"]!.GetValue<string>())})");
        await Expect(chargeLine).ToContainTextAsync($"{Number(charge["inputTokens"]!.GetValue<int>())} in / {Number(charge["outputTokens"]!.GetValue<int>())} out tokens");
        await Expect(page.Locator(".chat-log li.user")).ToHaveTextAsync("You: Explain row-level security in one paragraph");
        await Expect(message).ToHaveValueAsync("");
        var seen = await page.EvaluateAsync<string[]>("() => window.replyTexts");
        Assert.True(seen.Count(t => t.Length < text.Length && text.StartsWith(t, StringComparison.Ordinal)) > 1,
            $"The reply grew in steps as its deltas arrived; seen: {string.Join(" | ", seen)}");
        await session.ScreenshotAsync("chat-streamed-reply");

        // The next message goes with the conversation so far.
        await message.FillAsync("And in two sentences?");
        var next = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync(),
            r => r.Url.Contains("/api/thinktank/chat?stream=true", StringComparison.Ordinal));
        var messages = JsonNode.Parse(next.Request.PostData!)!["messages"]!.AsArray();
        Assert.Equal(
            ["user: Explain row-level security in one paragraph", $"assistant: {text}", "user: And in two sentences?"],
            messages.Select(m => $"{m!["role"]}: {m["content"]}"));
        await Expect(page.Locator(".chat-log li.assistant[data-status='done']")).ToHaveCountAsync(2);
        await Expect(page.Locator(".chat-log li.assistant").Last.Locator(".message-charge")).ToContainTextAsync("Charge $");
        await session.ScreenshotAsync("chat-conversation");
        session.AssertNoErrors();
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
    }

    [Fact]
    public async Task Stop_aborts_a_streaming_reply()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("chat");
        var page = session.Page;
        await page.GetByLabel("Message", new() { Exact = true }).FillAsync("Write a long story about a lighthouse keeper and the sea");

        await page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        var reply = page.Locator(".chat-log li.assistant").Last;
        await Expect(reply).ToHaveAttributeAsync("data-status", "streaming");
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();

        await Expect(reply).ToHaveAttributeAsync("data-status", "stopped");
        await Expect(reply).ToContainTextAsync("Stopped.");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true })).ToBeEnabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true })).ToHaveCountAsync(0);
        await session.ScreenshotAsync("chat-stopped");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_persona_focus_mode_and_domain_mode_picked_on_the_page_go_with_the_message()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        var api = session.Context.APIRequest;
        var name = "Chat test " + Guid.NewGuid().ToString("N")[..8];
        var created = await api.PostAsync("/api/personas", new APIRequestContextOptions
        {
            DataObject = new { name, systemPrompt = "You answer in haiku.", traits = new[] { "terse" } },
        });
        Assert.True(created.Ok, $"Creating a persona: {created.Status}");
        var personaId = JsonNode.Parse(await created.TextAsync())!["id"]!.GetValue<string>();
        try
        {
            await session.OpenAsync("chat");
            var page = session.Page;
            var focus = page.GetByLabel("Focus mode");
            // A focus mode only goes with a persona.
            await Expect(focus).ToBeDisabledAsync();
            await page.GetByLabel("Persona").SelectOptionAsync(new SelectOptionValue { Label = name });
            await Expect(focus).ToBeEnabledAsync();
            var focusModes = (await GetJsonAsync(session, "/api/focus-modes")).AsArray();
            var focusMode = focusModes[0]!["name"]!.GetValue<string>();
            await focus.SelectOptionAsync(focusMode);
            await page.GetByLabel("Domain mode").SelectOptionAsync("code");

            var estimated = await page.RunAndWaitForResponseAsync(
                () => page.GetByLabel("Message", new() { Exact = true }).FillAsync("Write a function that reverses a list"),
                r => r.Url.Contains("/api/thinktank/estimate", StringComparison.Ordinal) && r.Ok);
            var sent = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync(),
                r => r.Url.Contains("/api/thinktank/chat", StringComparison.Ordinal));

            foreach (var request in new[] { estimated.Request, sent.Request })
            {
                var body = JsonNode.Parse(request.PostData!)!;
                Assert.Equal(personaId, body["personaId"]!.GetValue<string>());
                Assert.Equal(focusMode, body["focusMode"]!.GetValue<string>());
                Assert.Equal("code", body["domainMode"]!.GetValue<string>());
            }

            await Expect(page.Locator(".chat-log li.assistant").Last).ToHaveAttributeAsync("data-status", "done");
            await session.ScreenshotAsync("chat-persona-focus-domain");
            session.AssertNoErrors();
            Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
        }
        finally
        {
            var deleted = await api.DeleteAsync($"/api/personas/{personaId}");
            Assert.True(deleted.Ok, $"Deleting the persona: {deleted.Status}");
        }
    }

    [Fact]
    public async Task A_cost_limit_below_every_model_shows_the_routers_reason_and_exclusions()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("chat");
        var page = session.Page;

        // A millionth of a dollar: below the minimum charge of any message.
        await page.GetByLabel("Most a message may cost (USD)").FillAsync("0.000001");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save limit" }).ClickAsync();
        await Expect(page.GetByText("Cost limit saved: $0.000001 per message.")).ToBeVisibleAsync();
        Assert.Equal(0.000001m, (await saved.CurrentAsync())["maxCostPerMessage"]!.GetValue<decimal>());

        var estimate = await page.RunAndWaitForResponseAsync(
            () => page.GetByLabel("Message", new() { Exact = true }).FillAsync("Summarise the plot of Hamlet"),
            r => r.Url.Contains("/api/thinktank/estimate", StringComparison.Ordinal));
        Assert.Equal(422, estimate.Status);
        var problem = JsonNode.Parse(await estimate.TextAsync())!;
        Assert.Equal("over_cost_limit", problem["reason"]!.GetValue<string>());
        var section = page.GetByRole(AriaRole.Region, new() { Name = "Before you send" });
        await Expect(section.Locator(".no-model-fits .error-banner")).ToContainTextAsync(problem["detail"]!.GetValue<string>());
        await Expect(section.Locator(".no-model-fits .error-banner")).ToContainTextAsync("Raise or clear your cost limit");
        var exclusions = problem["exclusions"]!.AsArray();
        var overLimit = exclusions.Count(x => x!["reason"]!.GetValue<string>() == "over_cost_limit");
        var summary = section.Locator(".no-model-fits summary");
        await Expect(summary).ToContainTextAsync($"{exclusions.Count} models left out");
        await Expect(summary).ToContainTextAsync($"{overLimit} over your cost limit");
        await summary.ClickAsync();
        var first = exclusions[0]!;
        await Expect(section.GetByRole(AriaRole.Table, new() { Name = "Models the router left out" }))
            .ToContainTextAsync(first["message"]!.GetValue<string>());
        await session.ScreenshotAsync("chat-no-model-fits-estimate");

        // Sending anyway: the same answer, announced, and the draft is kept.
        var sent = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync(),
            r => r.Url.Contains("/api/thinktank/chat", StringComparison.Ordinal));
        Assert.Equal(422, sent.Status);
        var sendProblem = JsonNode.Parse(await sent.TextAsync())!;
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Send a message" });
        await Expect(form.GetByRole(AriaRole.Alert)).ToContainTextAsync(sendProblem["detail"]!.GetValue<string>());
        await Expect(page.GetByLabel("Message", new() { Exact = true })).ToHaveValueAsync("Summarise the plot of Hamlet");
        await Expect(page.GetByText("No messages yet.")).ToBeVisibleAsync();
        await session.ScreenshotAsync("chat-no-model-fits-send");
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());

        // Clearing the limit on the page lets the router choose again.
        await page.GetByLabel("Most a message may cost (USD)").FillAsync("");
        var again = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Save limit" }).ClickAsync(),
            r => r.Url.Contains("/api/thinktank/estimate", StringComparison.Ordinal));
        Assert.True(again.Ok);
        await Expect(page.GetByText("No cost limit.")).ToBeVisibleAsync();
        await Expect(section.Locator(".estimate-reason")).ToBeVisibleAsync();
        await Expect(page.Locator(".no-model-fits")).ToHaveCountAsync(0);
    }

    /// <summary>Dollars as the page's money() writes them: cents from a dollar up, up to six decimals below.</summary>
    internal static string Money(decimal value) =>
        "$" + (Math.Abs(value) >= 1 || value == 0
            ? value.ToString("#,##0.00", CultureInfo.InvariantCulture)
            : value.ToString("0.00####", CultureInfo.InvariantCulture));

    /// <summary>A price per 1M tokens as the page writes it: exact, with at least cents.</summary>
    internal static string Price(decimal value) => "$" + value.ToString("#,##0.00####", CultureInfo.InvariantCulture);

    internal static string Number(int value) => value.ToString("#,##0", CultureInfo.InvariantCulture);

    /// <summary>The words the page uses for a model choice rule.</summary>
    internal static string RuleWords(string rule) => rule switch
    {
        "requested" => "you picked it",
        "user_default" => "your default model",
        "user_mode_override" => "your model for this domain mode",
        "mode_default" => "the domain mode's default",
        "best_fit" => "best fit",
        "cheapest_fit" => "cheapest fit",
        _ => rule,
    };

    private static async Task<string> DisplayNameAsync(IPage page, string modelId) =>
        await page.Locator($"tr[data-model-id='{modelId}'] label strong").InnerTextAsync();

    internal static async Task<JsonNode> GetJsonAsync(DashboardSession session, string path)
    {
        var response = await session.Context.APIRequest.GetAsync(path);
        Assert.True(response.Ok, $"GET {path}: {response.Status}");
        return JsonNode.Parse(await response.TextAsync())!;
    }

    private static List<(string Name, JsonNode Data)> ServerSentEvents(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (
                Name: lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..],
                Data: JsonNode.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])!))
            .ToList();
}

/// <summary>
/// The signed-in user's model preferences as a test found them; disposing puts every editable field back, so a test
/// that changes them (through the page) leaves them as they were even when it fails.
/// </summary>
internal sealed class SavedPreferences : IAsyncDisposable
{
    private const string Path = "/api/thinktank/preferences/models";

    private static readonly string[] Editable =
    [
        "selectionMode", "defaultModelId", "favoriteModels", "showStandardModels", "showNovelModels", "showSelfHostedModels",
        "showCostPerMessage", "maxCostPerMessage", "preferCostOptimization", "domainModeModelOverrides",
    ];

    private readonly DashboardSession _session;

    private SavedPreferences(DashboardSession session, JsonNode original)
    {
        _session = session;
        Original = original;
    }

    public JsonNode Original { get; }

    public static async Task<SavedPreferences> ReadAsync(DashboardSession session) =>
        new(session, await ChatPageTests.GetJsonAsync(session, Path));

    public Task<JsonNode> CurrentAsync() => ChatPageTests.GetJsonAsync(_session, Path);

    public async ValueTask DisposeAsync()
    {
        var body = new JsonObject();
        foreach (var key in Editable)
        {
            body[key] = Original[key]?.DeepClone();
        }

        var response = await _session.Context.APIRequest.PutAsync(Path, new APIRequestContextOptions
        {
            DataString = body.ToJsonString(),
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" },
        });
        Assert.True(response.Ok, $"Restoring the preferences: {response.Status} {await response.TextAsync()}");
        var restored = JsonNode.Parse(await response.TextAsync())!;
        foreach (var key in Editable)
        {
            Assert.True(JsonNode.DeepEquals(Original[key], restored[key]), $"'{key}' is back as it was.");
        }
    }
}
