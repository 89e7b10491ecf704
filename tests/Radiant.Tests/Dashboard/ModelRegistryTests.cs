using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Radiant.Tests.Dashboard;

/// <summary>The model registry page through Chromium, as Globex's admin; every test ends with the switches it found.</summary>
[Collection(DashboardTests.Name)]
public sealed class ModelRegistryTests
{
    private readonly DashboardFixture _dashboard;

    public ModelRegistryTests(DashboardFixture dashboard)
    {
        _dashboard = dashboard;
        GlobexAdmin.UseDashboardTimeouts();
    }

    [Fact]
    public async Task Toggling_a_model_Think_Tank_switch_off_and_on_again_saves_each_change()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var model = (await GlobexAdmin.GetAsync(session, "/api/admin/models")).EnumerateArray()
            .Last(m => m.GetProperty("isEnabled").GetBoolean() && m.GetProperty("thinkTankEnabled").GetBoolean());
        var id = model.GetProperty("definition").GetProperty("id").GetString()!;
        var name = model.GetProperty("definition").GetProperty("displayName").GetString()!;
        try
        {
            await session.OpenAsync("admin/models");
            var toggle = Switch(session.Page, name);
            await Expect(toggle).ToHaveAttributeAsync("aria-checked", "true");

            await toggle.ClickAsync();
            await Expect(toggle).ToHaveAttributeAsync("aria-checked", "false");
            await Expect(Status(session.Page, $"Saved: {name} is withdrawn from Think Tank.")).ToBeVisibleAsync();
            Assert.False(await ThinkTankEnabledAsync(session, id));
            await session.ScreenshotAsync("models-think-tank-off");

            // Saved, not just drawn: a fresh load shows it off. Then back on, by keyboard.
            await session.OpenAsync("admin/models");
            toggle = Switch(session.Page, name);
            await Expect(toggle).ToHaveAttributeAsync("aria-checked", "false");
            await toggle.FocusAsync();
            await session.Page.Keyboard.PressAsync("Space");
            await Expect(toggle).ToHaveAttributeAsync("aria-checked", "true");
            await Expect(Status(session.Page, $"Saved: {name} is offered in Think Tank.")).ToBeVisibleAsync();
            await Expect(toggle).ToBeFocusedAsync();
            Assert.True(await ThinkTankEnabledAsync(session, id));
            await session.ScreenshotAsync("models-think-tank-on");
            session.AssertNoErrors();
            Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
        }
        finally
        {
            if (!await ThinkTankEnabledAsync(session, id))
            {
                await GlobexAdmin.SendAsync(session, "PUT", $"/api/admin/models/{id}/thinktank", new JsonObject { ["enabled"] = true }.ToJsonString());
            }
        }
    }

    private static ILocator Switch(IPage page, string model) =>
        page.GetByRole(AriaRole.Switch, new() { Name = $"Think Tank: {model}", Exact = true });

    private static ILocator Status(IPage page, string text) =>
        page.GetByRole(AriaRole.Status).Filter(new() { HasText = text });

    private static async Task<bool> ThinkTankEnabledAsync(DashboardSession session, string id) =>
        (await GlobexAdmin.GetAsync(session, "/api/admin/models")).EnumerateArray()
            .Single(m => m.GetProperty("definition").GetProperty("id").GetString() == id)
            .GetProperty("thinkTankEnabled").GetBoolean();
}
