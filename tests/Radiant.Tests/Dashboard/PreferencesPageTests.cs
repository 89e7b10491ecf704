using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The model preferences page in Chromium as the Acme user: the API's field errors next to the fields, and what is
/// saved is what the API keeps and what the chat page starts from. Every test puts the preferences back as they were.
/// </summary>
[Collection(DashboardTests.Name)]
public sealed class PreferencesPageTests(DashboardFixture dashboard)
{
    private const string CostLimit = "Cost limit per message (USD)";

    [Fact]
    public async Task A_bad_cost_limit_shows_the_APIs_field_error_next_to_the_field()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("preferences");
        var page = session.Page;
        var field = page.GetByLabel(CostLimit);

        // A negative limit, and then one that is not a number at all (sent as typed: the API says what is wrong).
        foreach (var typed in new[] { "-1", "ten cents" })
        {
            await field.FillAsync(typed);
            var response = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Save preferences" }).ClickAsync(),
                r => r.Url.Contains("/api/thinktank/preferences/models", StringComparison.Ordinal) && r.Request.Method == "PUT");
            Assert.Equal(400, response.Status);
            var message = JsonNode.Parse(await response.TextAsync())!["errors"]!["maxCostPerMessage"]![0]!.GetValue<string>();

            await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
            var describedBy = await field.GetAttributeAsync("aria-describedby") ?? "";
            var errorId = describedBy.Split(' ').Single(id => id.EndsWith("-error", StringComparison.Ordinal));
            await Expect(page.Locator($"[id='{errorId}']")).ToHaveTextAsync(message);
            // Next to the field: in the same field wrapper as its label and input.
            await Expect(page.Locator(".field", new() { Has = field }).Locator(".field-error")).ToHaveTextAsync(message);
            await session.ScreenshotAsync($"preferences-field-error-{(typed == "-1" ? "negative" : "not-a-number")}");
        }

        Assert.True(JsonNode.DeepEquals(saved.Original["maxCostPerMessage"], (await saved.CurrentAsync())["maxCostPerMessage"]));
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
    }

    [Fact]
    public async Task Saved_preferences_are_kept_and_the_chat_page_starts_from_them()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await using var saved = await SavedPreferences.ReadAsync(session);
        await session.OpenAsync("preferences");
        var page = session.Page;
        var models = (await ChatPageTests.GetJsonAsync(session, "/api/thinktank/models")).AsArray();
        var defaultModel = models[1]!;
        var defaultId = defaultModel["id"]!.GetValue<string>();
        var overrideId = models[^1]!["id"]!.GetValue<string>();
        var favouriteId = models[2]!["id"]!.GetValue<string>();
        var favouriteName = models[2]!["displayName"]!.GetValue<string>();

        await page.GetByLabel("Selection mode").SelectOptionAsync("manual");
        await page.GetByLabel("Default model").SelectOptionAsync(defaultId);
        await page.GetByLabel(CostLimit).FillAsync("0.25");
        await page.GetByLabel("Prefer cheaper models when the router picks").CheckAsync();
        await page.GetByLabel("Code", new() { Exact = true }).SelectOptionAsync(overrideId);
        await page.GetByLabel("Add a favourite").SelectOptionAsync(favouriteId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save preferences" }).ClickAsync();
        await Expect(page.GetByText("Saved your model preferences.")).ToBeVisibleAsync();
        await session.ScreenshotAsync("preferences-saved");

        var current = await saved.CurrentAsync();
        Assert.Equal("manual", current["selectionMode"]!.GetValue<string>());
        Assert.Equal(defaultId, current["defaultModelId"]!.GetValue<string>());
        Assert.Equal(0.25m, current["maxCostPerMessage"]!.GetValue<decimal>());
        Assert.True(current["preferCostOptimization"]!.GetValue<bool>());
        Assert.Equal(overrideId, current["domainModeModelOverrides"]!["code"]!.GetValue<string>());
        Assert.Contains(favouriteId, current["favoriteModels"]!.AsArray().Select(n => n!.GetValue<string>()));

        // A fresh load shows what was saved.
        await session.OpenAsync("preferences");
        await Expect(page.GetByLabel("Selection mode")).ToHaveValueAsync("manual");
        await Expect(page.GetByLabel("Default model")).ToHaveValueAsync(defaultId);
        await Expect(page.GetByLabel(CostLimit)).ToHaveValueAsync("0.25");
        await Expect(page.GetByLabel("Code", new() { Exact = true })).ToHaveValueAsync(overrideId);
        await Expect(page.Locator($"ul.favourites li[data-model-id='{favouriteId}']")).ToHaveCountAsync(1);

        // Manual selection: the chat page starts on the default model; the limit is the one saved.
        await session.OpenAsync("chat");
        await Expect(page.Locator($"tr[data-model-id='{defaultId}'] input[type=radio]")).ToBeCheckedAsync();
        await Expect(page.GetByLabel("Most a message may cost (USD)")).ToHaveValueAsync("0.25");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Favourites", Exact = true }).Locator($"tr[data-model-id='{favouriteId}']")).ToHaveCountAsync(1);

        // Removing the favourite on the preferences page sends only that change.
        await session.OpenAsync("preferences");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Remove {favouriteName} from favourites", Exact = true }).ClickAsync();
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Save preferences" }).ClickAsync(),
            r => r.Url.Contains("/api/thinktank/preferences/models", StringComparison.Ordinal) && r.Request.Method == "PUT");
        Assert.True(response.Ok);
        var body = JsonNode.Parse(response.Request.PostData!)!.AsObject();
        Assert.Equal(["favoriteModels"], body.Select(p => p.Key));
        Assert.DoesNotContain(favouriteId, (await saved.CurrentAsync())["favoriteModels"]!.AsArray().Select(n => n!.GetValue<string>()));
        session.AssertNoErrors();
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
    }
}
