using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The acceptance's cross-page flow: an admin changes the tenant's markup on the pricing page and a user of that tenant
/// sees the new price in the chat page's model selector. Acme's pricing is this test's alone (the pricing page's own
/// tests change Globex); it puts the markup back whatever happens.
/// </summary>
[Collection(DashboardTests.Name)]
public sealed class MarkupToModelSelectorTests(DashboardFixture dashboard)
{
    private const string Model = "gpt-4o";

    [Fact]
    public async Task An_admin_lowers_the_markup_and_the_user_sees_the_new_price_in_the_model_selector()
    {
        await using var admin = await dashboard.SignInAsAcmeAdminAsync();
        await using var user = await dashboard.SignInAsAcmeUserAsync();
        var config = await GetAsync(admin, "admin@acme.test:admin-demo", "/api/admin/pricing/config");
        var original = config.GetProperty("externalDefaultMarkup").GetDecimal();
        var pricing = (await GetAsync(admin, "admin@acme.test:admin-demo", "/api/admin/pricing/models")).EnumerateArray()
            .Single(m => m.GetProperty("modelId").GetString() == Model);
        Assert.False(pricing.GetProperty("hasOverride").GetBoolean(), "the model's price must follow the default markup");
        var baseInput = pricing.GetProperty("baseInputPricePer1M").GetDecimal();

        // A reduction applies at once (a rise would wait for the grace period): 15 points below the current markup.
        var lowered = Math.Max(0m, original - 0.15m);
        var expected = "$" + Math.Round(baseInput * (1 + lowered), 6, MidpointRounding.AwayFromZero).ToString("#,##0.00####", CultureInfo.InvariantCulture);
        var price = user.Page.Locator($"[data-model-id='{Model}'] .price-input");
        await user.OpenAsync("chat");
        var before = await price.InnerTextAsync();
        Assert.NotEqual(expected, before);

        try
        {
            await admin.OpenAsync("admin/pricing");
            await admin.Page.GetByLabel("External default markup (%)").FillAsync((lowered * 100).ToString("0.##", CultureInfo.InvariantCulture));
            await admin.Page.GetByRole(AriaRole.Button, new() { Name = "Save configuration" }).ClickAsync();
            await admin.Page.Locator(".notice").WaitForAsync();
            await admin.ScreenshotAsync("markup-lowered-by-admin");
            admin.AssertNoErrors();

            // The user's next page shows the price the engine now quotes (each instance reloads on the change's NOTIFY).
            var deadline = DateTime.UtcNow.AddSeconds(10);
            string now;
            do
            {
                await user.OpenAsync("chat");
                now = await price.InnerTextAsync();
            }
            while (now != expected && DateTime.UtcNow < deadline);

            Assert.Equal(expected, now);
            await user.Page.Locator($"[data-model-id='{Model}']").ScrollIntoViewIfNeededAsync();
            await user.ScreenshotAsync("markup-seen-by-user");
            user.AssertNoErrors();
        }
        finally
        {
            await SendAsync(admin, "admin@acme.test:admin-demo", "PUT", "/api/admin/pricing/config",
                JsonSerializer.Serialize(new { externalDefaultMarkup = original }));
        }
    }

    private static Dictionary<string, string> Headers(string credentials) => new()
    {
        ["Authorization"] = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)),
        ["Accept"] = "application/json",
        ["Content-Type"] = "application/json",
    };

    private static async Task<JsonElement> GetAsync(DashboardSession session, string credentials, string path)
    {
        var response = await session.Context.APIRequest.GetAsync(path, new() { Headers = Headers(credentials) });
        Assert.True(response.Ok, $"GET {path}: {response.Status}");
        return JsonDocument.Parse(await response.TextAsync()).RootElement.Clone();
    }

    private static async Task SendAsync(DashboardSession session, string credentials, string method, string path, string json)
    {
        var response = await session.Context.APIRequest.FetchAsync(path, new() { Method = method, Headers = Headers(credentials), Data = json });
        Assert.True(response.Ok, $"{method} {path}: {response.Status} {await response.TextAsync()}");
    }
}
