using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The domain modes page (section 29.3) through Chromium, as Globex's admin (Acme's modes belong to the chat tests).
/// Every test puts back the modes it changed.
/// </summary>
[Collection(DashboardTests.Name)]
public sealed class DomainModeTests
{
    private const string Route = "/api/admin/thinktank/domain-modes";
    private readonly DashboardFixture _dashboard;

    public DomainModeTests(DashboardFixture dashboard)
    {
        _dashboard = dashboard;
        GlobexAdmin.UseDashboardTimeouts();
    }

    [Fact]
    public async Task Changing_a_mode_temperature_and_saving_stores_it()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var original = await GlobexAdmin.GetAsync(session, Route);
        var before = Temperature(original, "creative");
        var after = before == 1.3m ? 1.1m : 1.3m;
        try
        {
            await session.OpenAsync("admin/domain-modes");
            var temperature = Mode(session.Page, "Creative").GetByLabel("Temperature");
            await Expect(temperature).ToHaveValueAsync(Text(before));

            await temperature.FillAsync(Text(after));
            await Expect(session.Page.GetByText("1 mode changed, not saved yet.")).ToBeVisibleAsync();
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

            await Expect(session.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved Creative." })).ToBeVisibleAsync();
            await session.ScreenshotAsync("domain-modes-saved");
            var stored = await GlobexAdmin.GetAsync(session, Route);
            Assert.Equal(after, Temperature(stored, "creative"));
            // Only the changed mode was sent: the others keep their values.
            Assert.Equal(Temperature(original, "code"), Temperature(stored, "code"));

            await session.OpenAsync("admin/domain-modes");
            await Expect(Mode(session.Page, "Creative").GetByLabel("Temperature")).ToHaveValueAsync(Text(after));
            session.AssertNoErrors();
            Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
        }
        finally
        {
            await GlobexAdmin.SendAsync(session, "PUT", Route, new JsonObject
            {
                ["modes"] = new JsonObject { ["creative"] = new JsonObject { ["temperature"] = before } },
            }.ToJsonString());
        }
    }

    [Fact]
    public async Task A_temperature_of_5_shows_the_error_next_to_that_mode_temperature_field()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var original = await GlobexAdmin.GetTextAsync(session, Route);
        await session.OpenAsync("admin/domain-modes");
        var code = Mode(session.Page, "Code").GetByLabel("Temperature");

        await code.FillAsync("5");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        await Expect(code).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(await PricingTests.FieldErrorAsync(session.Page, code)).ToContainTextAsync("'modes.code.temperature' must be between 0 and 2");
        Assert.Null(await Mode(session.Page, "General").GetByLabel("Temperature").GetAttributeAsync("aria-invalid"));
        await session.ScreenshotAsync("domain-modes-bad-temperature");
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
        Assert.Equal(original, await GlobexAdmin.GetTextAsync(session, Route));
    }

    private static ILocator Mode(IPage page, string name) =>
        page.GetByRole(AriaRole.Region, new() { Name = name, Exact = true });

    private static decimal Temperature(JsonElement modes, string mode) =>
        modes.EnumerateArray().Single(m => m.GetProperty("mode").GetString() == mode).GetProperty("temperature").GetDecimal();

    /// <summary>A temperature (at most 2 decimals) as the page shows it, like JavaScript's String(number): 1.30 → "1.3".</summary>
    private static string Text(decimal value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
