using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The admin analytics page (section 28) in Chromium: summary cards with growth, the usage and model charts drawn by
/// Chart.js, the performance table, and the range selector reloading all of it. Figures are compared with the API's
/// own answer at the same moment, never with fixed numbers (other dashboard tests add chats).
/// </summary>
[Collection(DashboardTests.Name)]
public sealed partial class AnalyticsPageTests(DashboardFixture dashboard)
{
    /// <summary>True when every canvas on the page has its Chart.js chart and has painted something.</summary>
    private const string ChartsDrawn = """
        (count) => {
          const canvases = [...document.querySelectorAll('canvas')];
          return canvases.length === count && canvases.every(canvas => {
            if (!window.Chart.getChart(canvas) || canvas.width === 0) return false;
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
            return false;
          });
        }
        """;

    [Fact]
    public async Task The_page_shows_the_cards_both_charts_and_the_performance_rows_of_the_demo_chats()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();

        await session.OpenAsync("admin/analytics");

        var cards = session.Page.GetByRole(AriaRole.List, new() { Name = "Summary" }).GetByRole(AriaRole.Listitem);
        await Expect(cards).ToHaveCountAsync(8);
        var requests = cards.Filter(new() { HasText = "Requests" });
        await Expect(requests).ToContainTextAsync(GrowthText());
        await session.Page.WaitForFunctionAsync(ChartsDrawn, 2);
        await Expect(session.Page.GetByRole(AriaRole.Img, new() { NameRegex = RequestsPerHour() })).ToBeVisibleAsync();
        await Expect(session.Page.GetByRole(AriaRole.Img, new() { NameString = "Share of requests by model:" })).ToBeVisibleAsync();

        // The performance table lists exactly the models the API reports for the range, and the demo chats made some.
        var expected = await ModelsFromApiAsync(session, "range=7d");
        Assert.NotEmpty(expected);
        var table = session.Page.GetByRole(AriaRole.Table, new() { Name = "Performance per model" });
        var rows = table.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(expected.Count);
        var shown = await rows.Locator("td:first-child").AllInnerTextsAsync();
        Assert.Equal(expected.Order(StringComparer.Ordinal), shown.Order(StringComparer.Ordinal));
        // The doughnut's figures are on the page as a table too.
        await Expect(session.Page.GetByRole(AriaRole.Table, new() { Name = "Requests and cost per model" }).Locator("tbody tr")).ToHaveCountAsync(expected.Count);

        await session.ScreenshotAsync("analytics-7d");
        session.AssertNoErrors();
        var violations = await session.SeriousAccessibilityViolationsAsync();
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task Changing_the_range_reloads_the_figures_and_redraws_the_charts_without_console_errors()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();
        await session.OpenAsync("admin/analytics");
        await session.Page.WaitForFunctionAsync(ChartsDrawn, 2);
        var range = session.Page.GetByLabel("Range", new() { Exact = true });
        var summary = session.Page.Locator("#range-summary");

        foreach (var (value, previous, unit) in new[] { ("24h", "previous 24 hours", "hour"), ("30d", "previous 30 days", "day (UTC)"), ("90d", "previous 90 days", "day (UTC)") })
        {
            var response = await session.Page.RunAndWaitForResponseAsync(
                () => range.SelectOptionAsync(value),
                r => r.Url.Contains("/api/admin/analytics/dashboard", StringComparison.Ordinal) && r.Url.Contains($"range={value}", StringComparison.Ordinal));
            Assert.True(response.Ok, $"{value}: {response.Status}");
            await Expect(summary).ToContainTextAsync(previous);
            await Expect(session.Page.GetByRole(AriaRole.Img, new() { NameString = $"Requests per {unit}:" })).ToBeVisibleAsync();
            await session.SettledAsync();
            await session.Page.WaitForFunctionAsync(ChartsDrawn, 2);

            // The old charts were destroyed, not left holding their canvases: two charts live, whatever the history.
            Assert.Equal(2, await session.Page.EvaluateAsync<int>("() => Object.keys(window.Chart.instances).length"));
            var rows = await session.Page.GetByRole(AriaRole.Table, new() { Name = "Performance per model" }).Locator("tbody tr td:first-child").AllInnerTextsAsync();
            var expected = await ModelsFromApiAsync(session, $"range={value}");
            Assert.Equal(expected.Count == 0 ? ["No model was called in this range."] : expected.Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));
        }

        // The range is in the address, so a reload shows the same one.
        Assert.EndsWith("?range=90d", session.Page.Url, StringComparison.Ordinal);
        await session.Page.ReloadAsync();
        await session.SettledAsync();
        await Expect(range).ToHaveValueAsync("90d");

        // The metric selector redraws the usage chart in place.
        await session.Page.GetByLabel("Show", new() { Exact = true }).SelectOptionAsync("tokens");
        await Expect(session.Page.GetByRole(AriaRole.Img, new() { NameString = "Tokens per day (UTC):" })).ToBeVisibleAsync();
        await session.Page.WaitForFunctionAsync(ChartsDrawn, 2);
        Assert.Equal(2, await session.Page.EvaluateAsync<int>("() => Object.keys(window.Chart.instances).length"));

        await session.ScreenshotAsync("analytics-90d-tokens");
        session.AssertNoErrors();
        var violations = await session.SeriousAccessibilityViolationsAsync();
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task Custom_dates_show_the_servers_field_error_next_to_the_date_and_then_the_figures()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();
        await session.OpenAsync("admin/analytics");
        var today = DateTime.UtcNow.Date;

        await session.Page.GetByLabel("Range", new() { Exact = true }).SelectOptionAsync("custom");
        await session.Page.GetByLabel("From", new() { Exact = true }).FillAsync(Day(today));
        var to = session.Page.GetByLabel("To (inclusive)");
        await to.FillAsync(Day(today.AddDays(-2)));
        await to.PressAsync("Enter");

        // The server refuses an end before the start; its message sits under the field it is about.
        await Expect(to).ToHaveAttributeAsync("aria-invalid", "true");
        var message = session.Page.Locator("#" + await to.GetAttributeAsync("aria-describedby"));
        await Expect(message).ToContainTextAsync("must be after from");
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The request is invalid.");
        await session.ScreenshotAsync("analytics-custom-error");

        await to.FillAsync(Day(today));
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();

        await Expect(to).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await Expect(session.Page.Locator("#range-summary")).ToContainTextAsync("the previous period of the same length");
        await session.SettledAsync();
        await session.Page.WaitForFunctionAsync(ChartsDrawn, 2);
        // Today, inclusive: the API's end is exclusive, so the page asked up to the next midnight.
        var expected = await ModelsFromApiAsync(session, $"from={Day(today)}&to={Day(today.AddDays(1))}");
        var rows = await session.Page.GetByRole(AriaRole.Table, new() { Name = "Performance per model" }).Locator("tbody tr td:first-child").AllInnerTextsAsync();
        Assert.Equal(expected.Count == 0 ? ["No model was called in this range."] : expected.Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));
        await session.ScreenshotAsync("analytics-custom");
    }

    [Fact]
    public async Task Without_the_chart_library_the_page_says_so_and_keeps_the_figures_in_its_tables()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();
        await session.Page.RouteAsync("**/vendor/chart.umd.min.js", route => route.AbortAsync());

        await session.OpenAsync("admin/analytics");

        await Expect(session.Page.GetByRole(AriaRole.Alert).First).ToContainTextAsync("The chart library could not be loaded");
        var expected = await ModelsFromApiAsync(session, "range=7d");
        await Expect(session.Page.GetByRole(AriaRole.Table, new() { Name = "Performance per model" }).Locator("tbody tr")).ToHaveCountAsync(expected.Count);
        await Expect(session.Page.GetByRole(AriaRole.Table, new() { Name = "Requests and cost per model" }).Locator("tbody tr")).ToHaveCountAsync(expected.Count);
        await Expect(session.Page.GetByRole(AriaRole.List, new() { Name = "Summary" }).GetByRole(AriaRole.Listitem)).ToHaveCountAsync(8);
        Assert.DoesNotContain(session.Errors, error => error.StartsWith("uncaught", StringComparison.Ordinal));
        await session.ScreenshotAsync("analytics-without-charts");
    }

    /// <summary>The model ids of the API's performance report for a query (<c>range=7d</c>), read now with the session's credentials.</summary>
    private static async Task<List<string>> ModelsFromApiAsync(DashboardSession session, string query)
    {
        var response = await session.Context.APIRequest.GetAsync($"/api/admin/analytics/models/performance?{query}");
        Assert.True(response.Ok, $"{response.Status}");
        using var json = JsonDocument.Parse(await response.TextAsync());
        return [.. json.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("modelId").GetString()!)];
    }

    private static string Day(DateTime date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("than the previous 7 days|No figures for the previous 7 days|No change on the previous 7 days")]
    private static partial Regex GrowthText();

    [GeneratedRegex("^Requests per hour: ")]
    private static partial Regex RequestsPerHour();
}
