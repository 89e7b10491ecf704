using Microsoft.Playwright;

namespace Radiant.Tests.Dashboard;

/// <summary>The scheduled prompts page in Chromium: field errors from the API next to their field, run now with its run.</summary>
[Collection(DashboardTests.Name)]
public sealed class ScheduleTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task A_bad_cron_expression_is_shown_next_to_its_field_and_nothing_is_created()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await session.OpenAsync("schedules");
        var page = session.Page;
        var before = await page.Locator("table tbody tr").CountAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "New schedule" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Bad cron");
        await page.GetByLabel("Prompt").FillAsync("Say hello");
        await page.GetByLabel("Cron expression").FillAsync("every day at noon");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create schedule" }).ClickAsync();

        var cron = page.GetByLabel("Cron expression");
        await page.Locator("input[name=cronExpression][aria-invalid=true]").WaitForAsync();
        var describedBy = await cron.GetAttributeAsync("aria-describedby");
        Assert.NotNull(describedBy);
        var message = await page.Locator($"[id='{describedBy.Split(' ')[^1]}']").InnerTextAsync();
        Assert.Contains("cronExpression", message, StringComparison.OrdinalIgnoreCase);
        await session.ScreenshotAsync("schedules-bad-cron");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        Assert.Equal(before, await page.Locator("table tbody tr").CountAsync());
    }

    [Fact]
    public async Task Run_now_shows_progress_then_the_run_with_its_output_tokens_and_cost()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await session.OpenAsync("schedules");
        var page = session.Page;
        var name = "Digest " + Guid.NewGuid().ToString("N")[..6];

        await page.GetByRole(AriaRole.Button, new() { Name = "New schedule" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Prompt").FillAsync("Summarise today in three bullets");
        await page.GetByLabel("When").SelectOptionAsync("interval");
        await page.GetByLabel("Minutes between runs").FillAsync("120");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create schedule" }).ClickAsync();
        await page.GetByText($"Created {name}").WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = $"Run {name} now" }).ClickAsync();
        await page.GetByText($"Run of {name} completed").WaitForAsync(new() { Timeout = 30_000 });

        var run = page.Locator("table").Filter(new() { Has = page.Locator($"caption:has-text('Runs of {name}')") }).Locator("tbody tr").First;
        Assert.Contains("completed", await run.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("[offline ", await run.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("$", await run.InnerTextAsync(), StringComparison.Ordinal);
        await session.ScreenshotAsync("schedules-run-now");
        session.AssertNoErrors();

        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}" }).ClickAsync();
        await page.GetByText($"Deleted {name}").WaitForAsync();
    }
}
