using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The Think Tank users page (section 29.2) in Chromium: stats, search and filters, keyset paging, suspend and
/// reactivate with their results and refusals, and the CSV export. Suspension happens only in the Globex tenant (the
/// other dashboard tests chat as Acme users) and is always undone.
/// </summary>
[Collection(DashboardTests.Name)]
public sealed class UsersPageTests(DashboardFixture dashboard)
{
    private const string GlobexAdmin = "admin@globex.test";
    private const string GlobexUser = "user@globex.test";

    /// <summary>The header row as ThinkTankUserCsv writes it.</summary>
    private const string CsvHeader =
        "User ID,Email,Display Name,Tier,Status,Requests,Failed Requests,Input Tokens,Output Tokens,Total Tokens,Spend (USD),Last Active (UTC),Created (UTC),Status Changed (UTC),Status Changed By";

    [Fact]
    public async Task The_page_shows_the_stats_and_typing_a_search_or_choosing_a_filter_narrows_the_list()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();
        await session.OpenAsync("admin/users");

        // The cards show what /stats answers now.
        using var stats = await GetJsonAsync(session, "/api/admin/thinktank/users/stats");
        var cards = session.Page.GetByRole(AriaRole.List, new() { Name = "User stats" }).GetByRole(AriaRole.Listitem);
        await Expect(cards).ToHaveCountAsync(5);
        await Expect(cards.Filter(new() { HasText = "Total users" }).Locator(".card-value"))
            .ToHaveTextAsync(stats.RootElement.GetProperty("totalUsers").GetInt64().ToString("N0", System.Globalization.CultureInfo.GetCultureInfo("en-US")));
        await Expect(cards.Filter(new() { HasText = "Suspended" }).Locator(".card-value"))
            .ToHaveTextAsync(stats.RootElement.GetProperty("suspendedUsers").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));

        var emails = EmailCells(session);
        await Expect(emails.Filter(new() { HasText = "admin@acme.test" })).ToHaveCountAsync(1);
        await Expect(emails.Filter(new() { HasText = "user@acme.test" })).ToHaveCountAsync(1);
        await session.ScreenshotAsync("users-all");

        // Typed like a person types: the list follows once they pause, and only prefix matches stay.
        await session.Page.GetByLabel("Search").PressSequentiallyAsync("user@", new() { Delay = 40 });
        await Expect(emails).ToHaveCountAsync(1);
        await Expect(emails).ToContainTextAsync("user@acme.test");
        Assert.Contains("search=user%40", session.Page.Url, StringComparison.Ordinal);
        await session.ScreenshotAsync("users-search");

        // Nobody matching the search is suspended (Acme users are never suspended by these tests).
        var status = session.Page.GetByLabel("Status", new() { Exact = true });
        await status.SelectOptionAsync("suspended");
        await Expect(Rows(session)).ToHaveTextAsync(["No user matches these filters."]);
        await status.SelectOptionAsync("active");
        await Expect(emails).ToContainTextAsync(["user@acme.test"]);

        // A tier filter shows only that tier (possibly nobody: the demo users have none).
        await session.Page.GetByLabel("Tier", new() { Exact = true }).SelectOptionAsync("pro");
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("tier=pro"));
        await session.SettledAsync();
        await Expect(session.Page.Locator(".busy")).ToHaveCountAsync(0);
        var tiers = await session.Page.GetByRole(AriaRole.Table, new() { Name = "Think Tank users" }).Locator("tbody tr td:nth-child(3)").AllInnerTextsAsync();
        Assert.All(tiers, tier => Assert.Equal("pro", tier));
        if (tiers.Count == 0)
        {
            await Expect(Rows(session)).ToHaveTextAsync(["No user matches these filters."]);
        }

        await session.ScreenshotAsync("users-filtered");
        session.AssertNoErrors();
        var violations = await session.SeriousAccessibilityViolationsAsync();
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task A_filter_the_server_refuses_shows_its_message_next_to_the_filter_until_it_is_changed()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();

        // An address edited by hand: the page passes the tier on and the server is the one to judge it.
        await session.OpenAsync("admin/users?tier=gold");

        var tier = session.Page.GetByLabel("Tier", new() { Exact = true });
        await Expect(tier).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(session.Page.Locator("#" + await tier.GetAttributeAsync("aria-describedby"))).ToContainTextAsync("'tier' must be one of");
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The request is invalid.");
        await Expect(session.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" })).ToHaveCountAsync(0);
        await session.ScreenshotAsync("users-bad-filter");
        Assert.All(session.Errors, error => Assert.Contains("400", error, StringComparison.Ordinal));

        await tier.SelectOptionAsync("team");
        await tier.SelectOptionAsync("");

        await Expect(tier).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await Expect(EmailCells(session).Filter(new() { HasText = "admin@acme.test" })).ToHaveCountAsync(1);
        await Expect(session.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" })).ToBeVisibleAsync();
        Assert.DoesNotContain("tier=", session.Page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_small_limit_the_list_pages_with_next_and_previous()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();

        // The page takes its filters from its address; a limit of one makes pages of the two demo users.
        await session.OpenAsync("admin/users?limit=1");
        var pager = session.Page.GetByRole(AriaRole.Navigation, new() { Name = "User pages" });
        var next = pager.GetByRole(AriaRole.Button, new() { Name = "Next" });
        var previous = pager.GetByRole(AriaRole.Button, new() { Name = "Previous" });
        var emails = EmailCells(session);
        await Expect(emails).ToHaveCountAsync(1);
        await Expect(pager).ToContainTextAsync("Page 1");
        await Expect(previous).ToBeDisabledAsync();
        var first = await emails.InnerTextAsync();
        Assert.Contains("admin@acme.test", first, StringComparison.Ordinal);

        // By keyboard: Next is a real button, so Enter on it turns the page.
        await next.FocusAsync();
        await session.Page.Keyboard.PressAsync("Enter");
        await Expect(pager).ToContainTextAsync("Page 2");
        await Expect(emails).ToHaveCountAsync(1);
        await Expect(emails).Not.ToContainTextAsync("admin@acme.test");
        await session.SettledAsync();
        await session.ScreenshotAsync("users-page-2");

        await previous.ClickAsync();
        await Expect(pager).ToContainTextAsync("Page 1");
        await Expect(emails).ToContainTextAsync("admin@acme.test");

        // Another order starts again at page 1 (a cursor belongs to its sort).
        await next.ClickAsync();
        await Expect(pager).ToContainTextAsync("Page 2");
        await session.Page.GetByLabel("Order").SelectOptionAsync("desc");
        await Expect(pager).ToContainTextAsync("Page 1");
        await Expect(emails).Not.ToContainTextAsync("admin@acme.test");

        session.AssertNoErrors();
    }

    [Fact]
    public async Task Suspending_then_reactivating_a_globex_user_shows_each_result_in_the_row_and_the_stats()
    {
        await using var session = await dashboard.SignInAsync(GlobexAdmin, "globex-admin");
        session.Page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        try
        {
            await session.OpenAsync("admin/users");
            var suspendedCard = session.Page.GetByRole(AriaRole.List, new() { Name = "User stats" })
                .GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Suspended" }).Locator(".card-value");
            var before = int.Parse(await suspendedCard.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
            var row = session.Page.GetByRole(AriaRole.Table, new() { Name = "Think Tank users" }).Locator("tbody tr").Filter(new() { HasText = GlobexUser });

            await session.Page.GetByRole(AriaRole.Button, new() { Name = $"Suspend {GlobexUser}", Exact = true }).ClickAsync();

            await Expect(session.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Suspended {GlobexUser}." })).ToBeVisibleAsync();
            await Expect(row.Locator("td:nth-child(4)")).ToHaveTextAsync("Suspended");
            await Expect(suspendedCard).ToHaveTextAsync((before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var reactivate = session.Page.GetByRole(AriaRole.Button, new() { Name = $"Reactivate {GlobexUser}", Exact = true });
            await Expect(reactivate).ToBeEnabledAsync();
            await session.ScreenshotAsync("users-suspended");

            // Reactivation by keyboard: the focused button is still the row's action.
            await reactivate.FocusAsync();
            await session.Page.Keyboard.PressAsync("Enter");

            await Expect(session.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Reactivated {GlobexUser}." })).ToBeVisibleAsync();
            await Expect(row.Locator("td:nth-child(4)")).ToHaveTextAsync("Active");
            await Expect(suspendedCard).ToHaveTextAsync(before.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await session.ScreenshotAsync("users-reactivated");
            session.AssertNoErrors();
        }
        finally
        {
            // Whatever happened above, the Globex user leaves this test active (reactivating an active user changes nothing).
            using var list = await GetJsonAsync(session, $"/api/admin/thinktank/users?search={Uri.EscapeDataString(GlobexUser)}");
            foreach (var user in list.RootElement.GetProperty("items").EnumerateArray())
            {
                var response = await session.Context.APIRequest.PostAsync($"/api/admin/thinktank/users/{user.GetProperty("userId").GetString()}/reactivate");
                Assert.True(response.Ok, $"reactivate: {response.Status}");
            }
        }
    }

    [Fact]
    public async Task Suspending_yourself_is_refused_and_the_reason_is_shown_in_a_banner()
    {
        await using var session = await dashboard.SignInAsync(GlobexAdmin, "globex-admin");
        session.Page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await session.OpenAsync("admin/users");
        var row = session.Page.GetByRole(AriaRole.Table, new() { Name = "Think Tank users" }).Locator("tbody tr").Filter(new() { HasText = GlobexAdmin });

        await session.Page.GetByRole(AriaRole.Button, new() { Name = $"Suspend {GlobexAdmin}", Exact = true }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("You cannot suspend your own account");
        await Expect(row.Locator("td:nth-child(4)")).ToHaveTextAsync("Active");
        await Expect(session.Page.GetByRole(AriaRole.Button, new() { Name = $"Suspend {GlobexAdmin}", Exact = true })).ToBeEnabledAsync();
        await session.ScreenshotAsync("users-suspend-refused");
        // The only console error is Chromium's report of the 409 this test provoked.
        Assert.All(session.Errors, error => Assert.Contains("409", error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_csv_export_downloads_the_listed_users_under_the_header_row_with_the_current_filters()
    {
        await using var session = await dashboard.SignInAsAcmeAdminAsync();
        await session.OpenAsync("admin/users");
        var listed = await EmailCells(session).Locator("strong").AllInnerTextsAsync();
        Assert.NotEmpty(listed);

        var all = await DownloadAsync(session);

        Assert.Equal(listed.Order(StringComparer.Ordinal), all.Select(r => r[1]).Order(StringComparer.Ordinal));
        await session.ScreenshotAsync("users-export");

        // The export follows the search on screen.
        await session.Page.GetByLabel("Search").FillAsync("admin@");
        await Expect(EmailCells(session)).ToHaveCountAsync(1);
        await Expect(session.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" })).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("search=admin%40"));

        var filtered = await DownloadAsync(session);

        var only = Assert.Single(filtered);
        Assert.Equal("admin@acme.test", only[1]);
        Assert.Equal("active", only[4]);
        session.AssertNoErrors();
    }

    /// <summary>Clicks Export CSV and reads the file: UTF-8 with a byte-order mark, the header row, then one row per user.</summary>
    private static async Task<List<string[]>> DownloadAsync(DashboardSession session)
    {
        var download = await session.Page.RunAndWaitForDownloadAsync(() => session.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        Assert.StartsWith("thinktank-users-", download.SuggestedFilename, StringComparison.Ordinal);
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(await download.PathAsync(), TestContext.Current.CancellationToken);
        Assert.True(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble), "The file starts with a UTF-8 byte-order mark.");
        var lines = Encoding.UTF8.GetString(bytes.AsSpan(Encoding.UTF8.Preamble.Length))
            .Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(CsvHeader, lines[0]);
        // The demo users' fields hold no comma or quote, so a split is a faithful parse here.
        return [.. lines.Skip(1).Select(line => line.Split(','))];
    }

    private static ILocator Rows(DashboardSession session) =>
        session.Page.GetByRole(AriaRole.Table, new() { Name = "Think Tank users" }).Locator("tbody tr");

    private static ILocator EmailCells(DashboardSession session) => Rows(session).Locator("td:first-child:has(strong)");

    private static async Task<JsonDocument> GetJsonAsync(DashboardSession session, string path)
    {
        var response = await session.Context.APIRequest.GetAsync(path);
        Assert.True(response.Ok, $"{path}: {response.Status}");
        return JsonDocument.Parse(await response.TextAsync());
    }
}
