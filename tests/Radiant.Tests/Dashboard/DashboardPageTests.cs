using System.Net;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// Every page of the dashboard in Chromium against the sample host: it loads with no console error, is screenshotted
/// as a test artefact and has no serious or critical accessibility violation (axe-core); admin pages are the admins'.
/// </summary>
[Collection(DashboardTests.Name)]
public sealed class DashboardPageTests(DashboardFixture dashboard)
{
    public static TheoryData<string> Pages { get; } =
    [
        "chat", "preferences", "personas", "schedules", "team",
        "admin/analytics", "admin/users", "admin/domain-modes", "admin/pricing", "admin/models",
    ];

    public static TheoryData<string> AdminPages { get; } =
        ["admin/analytics", "admin/users", "admin/domain-modes", "admin/pricing", "admin/models"];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Each_page_loads_without_console_errors_and_passes_axe(string path)
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();

        var response = await session.OpenAsync(path);

        Assert.Equal((int)HttpStatusCode.OK, response?.Status);
        await session.ScreenshotAsync("page-" + path);
        session.AssertNoErrors();
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
    }

    [Theory]
    [MemberData(nameof(AdminPages))]
    public async Task A_plain_user_cannot_open_an_admin_page(string path)
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();

        var response = await session.Page.GotoAsync($"/radiant/{path}");

        Assert.Equal((int)HttpStatusCode.Forbidden, response?.Status);
    }

    [Fact]
    public async Task A_plain_user_sees_no_admin_navigation()
    {
        await using var session = await dashboard.SignInAsAcmeUserAsync();
        await session.OpenAsync("chat");

        Assert.Equal(0, await session.Page.Locator("nav.sidebar a[href^='admin/']").CountAsync());
        Assert.True(await session.Page.Locator("nav.sidebar a[href='personas']").IsVisibleAsync());
    }
}
