using Microsoft.Playwright;

namespace Radiant.Tests.Dashboard;

/// <summary>The team usage page in Chromium: a user starts a plan (field errors first) and sees its pool and members.</summary>
[Collection(DashboardTests.Name)]
public sealed class TeamUsageTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task A_user_starts_a_plan_after_fixing_a_field_error_and_sees_its_pool_and_members()
    {
        // Globex's user: Acme's users chat in other tests, and a plan would meter their chats.
        await using var session = await dashboard.SignInAsync("user@globex.test", "globex-demo");
        await session.OpenAsync("team");
        var page = session.Page;
        await page.GetByText("You are not in a family or team plan.").WaitForAsync();

        await page.GetByLabel("Name").FillAsync("Globex family");
        await page.GetByLabel("Members at most").FillAsync("five");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create plan" }).ClickAsync();
        await page.Locator("input[name=maxMembers][aria-invalid=true]").WaitForAsync();
        Assert.Contains("maxMembers", await page.Locator(".field-error").First.InnerTextAsync(), StringComparison.Ordinal);
        await session.ScreenshotAsync("team-field-error");

        await page.GetByLabel("Members at most").FillAsync("5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create plan" }).ClickAsync();
        await page.GetByText("Created Globex family.").WaitForAsync();

        var pool = page.Locator(".card").Filter(new() { HasText = "Monthly pool" });
        Assert.Contains("1,000,000", await pool.InnerTextAsync(), StringComparison.Ordinal);
        var members = page.Locator("table").Filter(new() { Has = page.Locator("caption:has-text('Members this period')") });
        Assert.Contains("Gus Globex", await members.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("owner", await members.InnerTextAsync(), StringComparison.Ordinal);
        await session.ScreenshotAsync("team-usage");
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
    }
}
