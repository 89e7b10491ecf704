using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Sample;

/// <summary>The sample host, as a newcomer uses it: demo credentials over HTTP Basic.</summary>
public sealed class SampleHostTests(PostgresServer server) : IAsyncLifetime
{
    private readonly string _mailDirectory = Path.Combine(Path.GetTempPath(), "radiant-sample-mail-" + Guid.NewGuid().ToString("N"));
    private WebApplicationFactory<Program>? _factory;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("sample", Ct);
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:Radiant", connectionString)
            .UseSetting("Sample:MailDirectory", _mailDirectory));
    }

    public async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (Directory.Exists(_mailDirectory))
        {
            Directory.Delete(_mailDirectory, recursive: true);
        }
    }

    private HttpClient Client(string? email = null, string? password = null)
    {
        var client = _factory!.CreateClient();
        if (email is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{password}")));
        }

        return client;
    }

    [Fact]
    public async Task A_demo_user_creates_lists_and_updates_a_persona()
    {
        var client = Client("user@acme.test", "user-demo");

        var created = await client.PostAsJsonAsync("/api/personas", new { name = "Sage", systemPrompt = "You are wise." }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetGuid();

        var list = JsonDocument.Parse(await client.GetStringAsync("/api/personas", Ct)).RootElement;
        Assert.Contains(list.GetProperty("items").EnumerateArray(), p => p.GetProperty("id").GetGuid() == id);

        var updated = await client.PutAsync($"/api/personas/{id}", new StringContent("""{"isPublic":true}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.True(JsonDocument.Parse(await updated.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("isPublic").GetBoolean());

        // Public inside Acme, invisible to Globex.
        Assert.Equal(HttpStatusCode.OK, (await Client("admin@acme.test", "admin-demo").GetAsync($"/api/personas/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client("user@globex.test", "globex-demo").GetAsync($"/api/personas/{id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Credentials_and_roles_are_enforced()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client().GetAsync("/api/personas", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client("user@acme.test", "wrong").GetAsync("/api/personas", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client("user@acme.test", "user-demo").GetAsync("/api/admin/focus-modes", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client("admin@acme.test", "admin-demo").GetAsync("/api/admin/focus-modes", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_demo_user_lists_the_models_they_may_pick_and_an_admin_reads_the_domain_modes()
    {
        var models = JsonDocument.Parse(await Client("user@acme.test", "user-demo").GetStringAsync("/api/thinktank/models", Ct)).RootElement;
        var modes = JsonDocument.Parse(await Client("admin@acme.test", "admin-demo").GetStringAsync("/api/admin/thinktank/domain-modes", Ct)).RootElement;

        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("id").GetString() == "gpt-4o" && m.GetProperty("userInputPricePer1M").GetDecimal() > 0);
        Assert.Equal(7, modes.GetArrayLength());
    }

    [Fact]
    public async Task A_demo_admin_lists_exports_and_counts_the_tenants_think_tank_users()
    {
        var admin = Client("admin@acme.test", "admin-demo");
        await Client("user@acme.test", "user-demo").GetStringAsync("/api/personas", Ct);

        var users = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/thinktank/users?sort=email", Ct)).RootElement;
        var stats = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/thinktank/users/stats", Ct)).RootElement;
        var csv = await admin.GetStringAsync("/api/admin/thinktank/users/export", Ct);

        Assert.Contains(users.GetProperty("items").EnumerateArray(), u => u.GetProperty("email").GetString() == "user@acme.test");
        Assert.True(stats.GetProperty("totalUsers").GetInt64() >= 2);
        Assert.Contains("user@acme.test", csv, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client("user@acme.test", "user-demo").GetAsync("/api/admin/thinktank/users", Ct)).StatusCode);
    }

    [Fact]
    public async Task Each_demo_tenant_has_a_seeded_admin_who_administers_only_that_tenant()
    {
        var acme = Client("admin@acme.test", "admin-demo");
        var globex = Client("admin@globex.test", "globex-admin");

        Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/api/admin/focus-modes", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await globex.GetAsync("/api/admin/focus-modes", Ct)).StatusCode);
        var created = await globex.PostAsJsonAsync("/api/admin/focus-modes", new { name = "globex_only", displayName = "Globex only", systemPrompt = "p" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Contains("globex_only", await globex.GetStringAsync("/api/admin/focus-modes", Ct), StringComparison.Ordinal);
        Assert.DoesNotContain("globex_only", await acme.GetStringAsync("/api/admin/focus-modes", Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client("user@globex.test", "globex-demo").GetAsync("/api/admin/focus-modes", Ct)).StatusCode);
    }

    [Fact]
    public void The_banner_prints_every_demo_credential_and_an_admin_call_per_tenant()
    {
        var banner = Radiant.Sample.Host.SampleBanner.Build(["http://localhost:5000"], "ConnectionStrings:Radiant", "/srv/sample/.data/mail");

        foreach (var (email, password) in new[] { ("admin@acme.test", "admin-demo"), ("user@acme.test", "user-demo"), ("admin@globex.test", "globex-admin"), ("user@globex.test", "globex-demo") })
        {
            Assert.Contains(email, banner, StringComparison.Ordinal);
            Assert.Contains(password, banner, StringComparison.Ordinal);
        }

        Assert.Contains("curl -u admin@acme.test:admin-demo http://localhost:5000/api/admin/focus-modes", banner, StringComparison.Ordinal);
        Assert.Contains("curl -u admin@globex.test:globex-admin http://localhost:5000/api/admin/focus-modes", banner, StringComparison.Ordinal);
        Assert.Contains("curl -u user@acme.test:user-demo http://localhost:5000/api/thinktank/models", banner, StringComparison.Ordinal);
        Assert.Contains(".eml file to /srv/sample/.data/mail", banner, StringComparison.Ordinal);
        Assert.Contains("Dashboard:      http://localhost:5000/radiant", banner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sample_maps_the_dashboard_where_its_banner_says()
    {
        var client = _factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user@acme.test:user-demo")));
        var response = await client.GetAsync("/radiant", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/radiant/chat", response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await Client("user@acme.test", "user-demo").GetAsync("/radiant/chat", Ct)).StatusCode);
    }

    [Fact]
    public async Task An_email_schedule_run_now_writes_the_message_as_an_eml_file_to_the_mail_folder()
    {
        var client = Client("user@acme.test", "user-demo");
        var created = await client.PostAsJsonAsync("/api/schedules", new
        {
            name = "Mailed digest",
            prompt = "Summarise the day for me",
            model = "gpt-4o",
            type = "once",
            runAt = DateTimeOffset.UtcNow.AddHours(1),
            notificationEmail = "user@acme.test",
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/schedules/{id}/run-now", null, Ct)).StatusCode);

        var files = await Radiant.Tests.Scheduling.Worker.Poll.ForAsync(
            () => Task.FromResult(Directory.Exists(_mailDirectory) ? Directory.GetFiles(_mailDirectory, "*.eml") : []),
            f => f.Length > 0,
            "a .eml file in the mail folder");
        using var message = await MimeKit.MimeMessage.LoadAsync(Assert.Single(files), Ct);
        Assert.Equal("user@acme.test", Assert.Single(message.To.Mailboxes).Address);
        Assert.Contains("Mailed digest", message.Subject, StringComparison.Ordinal);
        Assert.Contains("[offline openai/gpt-4o]", message.TextBody, StringComparison.Ordinal);
        var run = await Radiant.Tests.Scheduling.Worker.Poll.ForAsync(
            async () => JsonDocument.Parse(await client.GetStringAsync($"/api/schedules/{id}/runs", Ct)).RootElement.GetProperty("items")[0],
            r => r.GetProperty("deliveryStatus").ValueKind == JsonValueKind.String,
            "the run's delivery to be recorded");
        Assert.Equal("delivered", run.GetProperty("deliveryStatus").GetString());
    }

    [Fact]
    public async Task At_information_level_the_sample_logs_one_line_per_request()
    {
        var log = new Radiant.Tests.Faults.RecordedLog();
        await using var factory = _factory!.WithWebHostBuilder(web => web.ConfigureLogging(b => b.AddProvider(log)));
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user@acme.test:user-demo")));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/personas", Ct)).StatusCode); // started and seeded
        var before = log.Entries.Count;

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/focus-modes", Ct)).StatusCode);
        }

        var lines = await Radiant.Tests.Scheduling.Worker.Poll.ForAsync(
            () => Task.FromResult(log.Entries.Skip(before).Where(e => e.Level >= LogLevel.Information).ToList()),
            l => l.Count(e => e.Message.Contains("/api/focus-modes", StringComparison.Ordinal)) == 5,
            "five request lines");
        Assert.All(lines, e => Assert.Equal("Microsoft.AspNetCore.HttpLogging.HttpLoggingMiddleware", e.Category));
        Assert.Equal(5, lines.Count);
        Assert.Contains("StatusCode: 200", lines[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_openapi_and_the_api_reference_are_served()
    {
        var client = Client();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Ct)).StatusCode);
        Assert.Contains("/api/personas", await client.GetStringAsync("/openapi/v1.json", Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/scalar/v1", Ct)).StatusCode);
    }
}
