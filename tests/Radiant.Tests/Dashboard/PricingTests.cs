using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The model pricing page (section 31.4) through Chromium, as Globex's admin: pricing is per tenant and Acme's belongs
/// to other tests. Every test puts back the configuration it changed.
/// </summary>
[Collection(DashboardTests.Name)]
public sealed class PricingTests
{
    private readonly DashboardFixture _dashboard;

    public PricingTests(DashboardFixture dashboard)
    {
        _dashboard = dashboard;
        GlobexAdmin.UseDashboardTimeouts();
    }

    [Fact]
    public async Task Changing_the_external_markup_saves_it_and_the_models_tab_shows_the_new_prices()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var original = await GlobexAdmin.GetTextAsync(session, "/api/admin/pricing/config");
        try
        {
            var before = JsonDocument.Parse(original).RootElement.GetProperty("externalDefaultMarkup").GetDecimal();
            var markup = before + 0.15m;
            var model = (await PricedModel.EligibleAsync(session, markup))[0];
            await session.OpenAsync("admin/pricing");

            var field = session.Page.GetByLabel("External default markup");
            await Expect(field).ToHaveValueAsync(Percent(before));
            await field.FillAsync(Percent(markup));
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "Save configuration" }).ClickAsync();

            await Expect(Status(session.Page, "Pricing configuration saved")).ToBeVisibleAsync();
            await session.ScreenshotAsync("pricing-markup-saved");
            Assert.Equal(markup, (await GlobexAdmin.GetAsync(session, "/api/admin/pricing/config")).GetProperty("externalDefaultMarkup").GetDecimal());

            await session.Page.GetByRole(AriaRole.Tab, new() { Name = "Individual models" }).ClickAsync();
            var row = Row(session.Page, model.Id);
            await Expect(row.Locator("td").Nth(MarkupColumn)).ToHaveTextAsync(Percent(markup) + " %");
            await Expect(row.Locator("td").Nth(UserPriceColumn)).ToHaveTextAsync(
                $"{Usd(PricedModel.UserPrice(model.BaseInput, markup))} / {Usd(PricedModel.UserPrice(model.BaseOutput, markup))}");
            await session.ScreenshotAsync("pricing-models-after-markup");
            session.AssertNoErrors();
            Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
        }
        finally
        {
            await GlobexAdmin.SendAsync(session, "PUT", "/api/admin/pricing/config", original);
        }
    }

    [Fact]
    public async Task A_bad_markup_shows_the_field_error_next_to_the_markup_field_and_changes_nothing()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var original = await GlobexAdmin.GetTextAsync(session, "/api/admin/pricing/config");
        var before = JsonDocument.Parse(original).RootElement.GetProperty("externalDefaultMarkup").GetDecimal();
        await session.OpenAsync("admin/pricing");
        var field = session.Page.GetByLabel("External default markup");
        var save = session.Page.GetByRole(AriaRole.Button, new() { Name = "Save configuration" });

        await field.FillAsync("-5");
        await save.ClickAsync();
        await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(await FieldErrorAsync(session.Page, field)).ToContainTextAsync("'externalDefaultMarkup' is a fraction");
        await session.ScreenshotAsync("pricing-markup-negative");

        // Text is sent as typed: the server says what is wrong with it, next to the same field.
        await field.FillAsync("abc");
        await save.ClickAsync();
        await Expect(await FieldErrorAsync(session.Page, field)).ToContainTextAsync("must be a number");
        Assert.Null(await session.Page.GetByLabel("Self-hosted default markup").GetAttributeAsync("aria-invalid"));
        await session.ScreenshotAsync("pricing-markup-text");
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());

        Assert.Equal(original, await GlobexAdmin.GetTextAsync(session, "/api/admin/pricing/config"));
        await session.OpenAsync("admin/pricing");
        await Expect(session.Page.GetByLabel("External default markup")).ToHaveValueAsync(Percent(before));
    }

    [Fact]
    public async Task An_override_that_raises_the_price_shows_as_pending_with_its_effective_time_and_can_be_cleared()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var config = await GlobexAdmin.GetAsync(session, "/api/admin/pricing/config");
        var grace = config.GetProperty("priceIncreaseGracePeriodHours").GetInt32();
        var model = (await PricedModel.EligibleAsync(session, null))[^1];
        await session.OpenAsync("admin/pricing");
        await session.Page.GetByRole(AriaRole.Tab, new() { Name = "Individual models" }).ClickAsync();

        await session.Page.GetByRole(AriaRole.Button, new() { Name = $"Edit the price of {model.Name}", Exact = true }).ClickAsync();
        var form = session.Page.GetByRole(AriaRole.Form, new() { Name = $"Override for {model.Name}", Exact = true });
        await form.GetByLabel("Markup override (%)").FillAsync(Percent(model.Markup + 0.5m));
        await Expect(form.GetByRole(AriaRole.Group, new() { Name = "Preview" })).ToContainTextAsync("price rise");
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
        await form.GetByRole(AriaRole.Button, new() { Name = "Save override" }).ClickAsync();

        var saved = DateTimeOffset.UtcNow;
        await Expect(Status(session.Page, $"The override of {model.Name} is pending")).ToBeVisibleAsync();
        var row = Row(session.Page, model.Id);
        var cell = row.Locator("td").Nth(OverrideColumn);
        await Expect(cell).ToContainTextAsync("Pending");
        await Expect(cell).ToContainTextAsync($"markup {Percent(model.Markup + 0.5m)} %");
        var effective = DateTimeOffset.Parse((await cell.Locator("time").First.GetAttributeAsync("datetime"))!, CultureInfo.InvariantCulture);
        Assert.InRange(effective, saved.AddHours(grace).AddMinutes(-10), saved.AddHours(grace).AddMinutes(1));
        // Until then the current price holds.
        await Expect(row.Locator("td").Nth(MarkupColumn)).ToHaveTextAsync(Percent(model.Markup) + " %");
        await session.ScreenshotAsync("pricing-override-pending");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Clear the override of {model.Name}" }).ClickAsync();
        await Expect(Status(session.Page, $"The override of {model.Name} is cleared")).ToBeVisibleAsync();
        await Expect(row.Locator("td").Nth(OverrideColumn)).ToHaveTextAsync("Default");
        var stored = (await PricedModel.AllAsync(session)).Single(m => m.Id == model.Id);
        Assert.False(stored.HasAnyOverride);
        await session.ScreenshotAsync("pricing-override-cleared");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task An_override_that_lowers_the_price_applies_at_once_and_clearing_it_waits_for_the_grace_period()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var config = await GlobexAdmin.GetAsync(session, "/api/admin/pricing/config");
        var grace = config.GetProperty("priceIncreaseGracePeriodHours").GetInt32();
        var model = (await PricedModel.EligibleAsync(session, null))[^2];
        var input = Math.Round(model.BaseInput / 2, 2);
        await session.OpenAsync("admin/pricing");
        await session.Page.GetByRole(AriaRole.Tab, new() { Name = "Individual models" }).ClickAsync();

        await session.Page.GetByRole(AriaRole.Button, new() { Name = $"Edit the price of {model.Name}", Exact = true }).ClickAsync();
        var form = session.Page.GetByRole(AriaRole.Form, new() { Name = $"Override for {model.Name}", Exact = true });
        await form.GetByLabel("Input price override").FillAsync(input.ToString(CultureInfo.InvariantCulture));
        await form.GetByRole(AriaRole.Button, new() { Name = "Save override" }).ClickAsync();

        await Expect(Status(session.Page, $"The override of {model.Name} applies now")).ToBeVisibleAsync();
        var row = Row(session.Page, model.Id);
        await Expect(row.Locator("td").Nth(OverrideColumn)).ToContainTextAsync($"Custom input {Usd(input)}");
        await Expect(row.Locator("td").Nth(UserPriceColumn)).ToHaveTextAsync(
            $"{Usd(PricedModel.UserPrice(input, model.Markup))} / {Usd(PricedModel.UserPrice(model.BaseOutput, model.Markup))}");
        await session.ScreenshotAsync("pricing-override-applied");

        // Clearing raises the price again, so the lower price holds through the grace period.
        await row.GetByRole(AriaRole.Button, new() { Name = $"Edit the price of {model.Name}" }).ClickAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Clear override" }).ClickAsync();
        var cleared = DateTimeOffset.UtcNow;
        await Expect(Status(session.Page, $"{model.Name} returns to the default price")).ToBeVisibleAsync();
        var cell = row.Locator("td").Nth(OverrideColumn);
        await Expect(cell).ToContainTextAsync("ends");
        var ends = DateTimeOffset.Parse((await cell.Locator("time").First.GetAttributeAsync("datetime"))!, CultureInfo.InvariantCulture);
        Assert.InRange(ends, cleared.AddHours(grace).AddMinutes(-10), cleared.AddHours(grace).AddMinutes(1));
        await session.ScreenshotAsync("pricing-override-ends");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_bad_override_shows_the_field_errors_next_to_the_override_fields_and_changes_nothing()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var model = (await PricedModel.EligibleAsync(session, null))[0];
        await session.OpenAsync("admin/pricing");
        await session.Page.GetByRole(AriaRole.Tab, new() { Name = "Individual models" }).ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = $"Edit the price of {model.Name}", Exact = true }).ClickAsync();
        var form = session.Page.GetByRole(AriaRole.Form, new() { Name = $"Override for {model.Name}", Exact = true });
        var markup = form.GetByLabel("Markup override (%)");
        var input = form.GetByLabel("Input price override");
        var save = form.GetByRole(AriaRole.Button, new() { Name = "Save override" });
        // The editor takes the focus when it opens, above the table.
        await Expect(markup).ToBeFocusedAsync();

        // Nothing to override: the API names the markup field.
        await save.ClickAsync();
        await Expect(await FieldErrorAsync(session.Page, markup)).ToContainTextAsync("Give at least one of");

        await markup.FillAsync("-10");
        await input.FillAsync("cheap");
        await save.ClickAsync();
        await Expect(await FieldErrorAsync(session.Page, input)).ToContainTextAsync("'inputPricePer1M' must be a number");
        await session.ScreenshotAsync("pricing-override-errors");
        Assert.Empty(await session.SeriousAccessibilityViolationsAsync());

        await markup.FillAsync("-10");
        await input.FillAsync("");
        await save.ClickAsync();
        await Expect(await FieldErrorAsync(session.Page, markup)).ToContainTextAsync("'markup' is a fraction");
        Assert.Null(await input.GetAttributeAsync("aria-invalid"));
        // The focus goes to the field to correct.
        await Expect(markup).ToBeFocusedAsync();

        Assert.False((await PricedModel.AllAsync(session)).Single(m => m.Id == model.Id).HasAnyOverride);
        await form.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(form).ToHaveCountAsync(0);
        await Expect(session.Page.GetByRole(AriaRole.Button, new() { Name = $"Edit the price of {model.Name}", Exact = true })).ToBeFocusedAsync();
    }

    [Fact]
    public async Task A_bulk_update_is_previewed_runs_and_reports_its_result_and_the_history_lists_the_changes()
    {
        await using var session = await GlobexAdmin.SignInAsync(_dashboard);
        var original = await GlobexAdmin.GetTextAsync(session, "/api/admin/pricing/config");
        try
        {
            var before = JsonDocument.Parse(original).RootElement.GetProperty("externalDefaultMarkup").GetDecimal();
            var markup = before + 0.07m;
            var models = await PricedModel.AllAsync(session);
            var external = models.Where(m => !m.SelfHosted).ToList();
            var changing = external.Where(m => !m.HasMarkupOverride && m.Markup != markup).ToList();
            await session.OpenAsync("admin/pricing");
            await session.Page.GetByRole(AriaRole.Tab, new() { Name = "Bulk operations" }).ClickAsync();
            var field = session.Page.GetByLabel("New default markup (%)");
            var preview = session.Page.GetByRole(AriaRole.Button, new() { Name = "Preview" });

            // A markup the server refuses: its error comes back next to the field and nothing changes.
            await field.FillAsync("-5");
            await preview.ClickAsync();
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "Apply to" }).ClickAsync();
            await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
            await Expect(await FieldErrorAsync(session.Page, field)).ToContainTextAsync("'markup' is a fraction");
            Assert.Equal(original, await GlobexAdmin.GetTextAsync(session, "/api/admin/pricing/config"));

            await field.FillAsync(Percent(markup));
            await preview.ClickAsync();
            var confirm = session.Page.GetByRole(AriaRole.Region, new() { Name = "Confirm the bulk update" });
            await Expect(confirm).ToContainTextAsync($"{changing.Count} of {external.Count} models change price");
            await session.ScreenshotAsync("pricing-bulk-preview");
            Assert.Empty(await session.SeriousAccessibilityViolationsAsync());
            await confirm.GetByRole(AriaRole.Button, new() { Name = $"Apply to {changing.Count} model" }).ClickAsync();

            await Expect(Status(session.Page, $"{changing.Count} {(changing.Count == 1 ? "model" : "models")} changed price")).ToBeVisibleAsync();
            await session.ScreenshotAsync("pricing-bulk-result");
            Assert.Equal(markup, (await GlobexAdmin.GetAsync(session, "/api/admin/pricing/config")).GetProperty("externalDefaultMarkup").GetDecimal());

            await session.Page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
            var table = session.Page.GetByRole(AriaRole.Table, new() { Name = "Price changes, newest first" });
            var bulkRows = table.Locator("tbody tr").Filter(new() { HasText = "Bulk update" });
            await Expect(bulkRows).ToHaveCountAsync(Math.Min(changing.Count, HistoryPageSize));
            await Expect(table.Locator("tbody tr").First).ToContainTextAsync($"{Percent(before)} % to {Percent(markup)} %");
            await session.ScreenshotAsync("pricing-history");
            Assert.Empty(await session.SeriousAccessibilityViolationsAsync());

            // One model's history: its newest change is this bulk update.
            var one = changing[^1];
            await session.Page.GetByLabel("Model", new() { Exact = true }).SelectOptionAsync(one.Id);
            await session.SettledAsync();
            var first = table.Locator("tbody tr").First;
            await Expect(first).ToContainTextAsync(one.Id);
            await Expect(first).ToContainTextAsync("Bulk update");
            await Expect(first).ToContainTextAsync($"{Percent(before)} % to {Percent(markup)} %");
            await session.ScreenshotAsync("pricing-history-one-model");
            // The refused bulk update logs its 400 (the response and Chromium's console line); nothing else may fail.
            Assert.DoesNotContain(session.Errors, e => !e.Contains("400", StringComparison.Ordinal));
        }
        finally
        {
            await GlobexAdmin.SendAsync(session, "PUT", "/api/admin/pricing/config", original);
        }
    }

    private const int MarkupColumn = 3;
    private const int UserPriceColumn = 4;
    private const int OverrideColumn = 5;
    private const int HistoryPageSize = 25;

    private static ILocator Row(IPage page, string modelId) =>
        page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByText(modelId, new() { Exact = true }) });

    private static ILocator Status(IPage page, string text) =>
        page.GetByRole(AriaRole.Status).Filter(new() { HasText = text });

    /// <summary>
    /// The error message of an invalid field: the element its aria-describedby names (lib.js puts it right under the
    /// field), so the message is both next to the field and announced with it.
    /// </summary>
    internal static async Task<ILocator> FieldErrorAsync(IPage page, ILocator field)
    {
        await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
        var ids = (await field.GetAttributeAsync("aria-describedby"))?.Split(' ') ?? [];
        var id = Assert.Single(ids, i => i.EndsWith("-error", StringComparison.Ordinal));
        return page.Locator($"[id='{id}']");
    }

    /// <summary>A fraction as the page types it: 0.55 → "55".</summary>
    internal static string Percent(decimal fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Dollars as lib.js's money() writes amounts of a dollar or more (half away from zero, like Intl).</summary>
    private static string Usd(decimal value)
    {
        Assert.True(value >= 1, $"The test formats only amounts of a dollar or more, not {value}.");
        return "$" + Math.Round(value, 2, MidpointRounding.AwayFromZero).ToString("#,##0.00", CultureInfo.InvariantCulture);
    }
}

/// <summary>A row of <c>GET /api/admin/pricing/models</c>.</summary>
internal sealed record PricedModel(
    string Id, string Name, bool SelfHosted, decimal BaseInput, decimal BaseOutput, decimal Markup, bool HasMarkupOverride, bool HasAnyOverride)
{
    public static decimal UserPrice(decimal basePrice, decimal markup) => Math.Round(basePrice * (1 + markup), 6, MidpointRounding.AwayFromZero);

    public static async Task<IReadOnlyList<PricedModel>> AllAsync(DashboardSession session)
    {
        var list = await GlobexAdmin.GetAsync(session, "/api/admin/pricing/models");
        return list.EnumerateArray().Select(m =>
        {
            var current = m.GetProperty("override");
            var pending = m.GetProperty("pendingOverride");
            return new PricedModel(
                m.GetProperty("modelId").GetString()!,
                m.GetProperty("displayName").GetString()!,
                m.GetProperty("providerId").GetString() == "self_hosted",
                m.GetProperty("baseInputPricePer1M").GetDecimal(),
                m.GetProperty("baseOutputPricePer1M").GetDecimal(),
                m.GetProperty("effectiveMarkup").GetDecimal(),
                current.ValueKind == JsonValueKind.Object && current.GetProperty("markup").ValueKind != JsonValueKind.Null,
                current.ValueKind == JsonValueKind.Object || pending.ValueKind == JsonValueKind.Object);
        }).ToList();
    }

    /// <summary>
    /// External models with no override whose user prices (at <paramref name="markup"/>, or their own) are a dollar or
    /// more and not a half cent, so the page's rounding of them to cents cannot differ from the test's.
    /// </summary>
    public static async Task<IReadOnlyList<PricedModel>> EligibleAsync(DashboardSession session, decimal? markup)
    {
        static bool Plain(decimal price) => price >= 1 && (price * 100) % 1 != 0.5m;
        var eligible = (await AllAsync(session))
            .Where(m => !m.SelfHosted && !m.HasAnyOverride && m.BaseInput >= 2 && m.BaseOutput >= 2)
            .Where(m => Plain(UserPrice(m.BaseInput, markup ?? m.Markup)) && Plain(UserPrice(m.BaseOutput, markup ?? m.Markup))
                && Plain(UserPrice(Math.Round(m.BaseInput / 2, 2), m.Markup)))
            .ToList();
        Assert.True(eligible.Count >= 2, "The sample's catalogue should have external models priced at $2 or more per 1M tokens.");
        return eligible;
    }
}

/// <summary>Globex's admin: the tenant the pricing, domain-mode and registry tests may change.</summary>
internal static class GlobexAdmin
{
    private const string Email = "admin@globex.test";
    private const string Password = "globex-admin";

    public static Task<DashboardSession> SignInAsync(DashboardFixture dashboard) => dashboard.SignInAsync(Email, Password);

    /// <summary>Auto-waiting assertions wait as long as the fixture's locators do (the machine is shared).</summary>
    public static void UseDashboardTimeouts() => SetDefaultExpectTimeout(15_000);

    public static async Task<string> GetTextAsync(DashboardSession session, string path)
    {
        var response = await session.Context.APIRequest.GetAsync(path, new() { Headers = Headers() });
        Assert.True(response.Ok, $"GET {path}: {response.Status}");
        return await response.TextAsync();
    }

    public static async Task<JsonElement> GetAsync(DashboardSession session, string path) =>
        JsonDocument.Parse(await GetTextAsync(session, path)).RootElement;

    /// <summary>Sends JSON straight to the API (to put back what a test changed), asserting success.</summary>
    public static async Task SendAsync(DashboardSession session, string method, string path, string json)
    {
        var headers = Headers();
        headers["Content-Type"] = "application/json";
        var response = await session.Context.APIRequest.FetchAsync(path, new() { Method = method, Headers = headers, Data = json });
        Assert.True(response.Ok, $"{method} {path}: {response.Status} {await response.TextAsync()}");
    }

    private static Dictionary<string, string> Headers() => new()
    {
        ["Authorization"] = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Email}:{Password}")),
        ["Accept"] = "application/json",
    };
}
