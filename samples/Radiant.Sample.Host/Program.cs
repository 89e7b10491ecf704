using Microsoft.AspNetCore.HttpLogging;
using Microsoft.Extensions.AI;
using Radiant.Sample.Host;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

// ConnectionStrings:Radiant, or a local cluster under ./.data that the sample starts itself.
var (connectionString, localPostgres) = await SamplePostgres.ResolveAsync(builder.Configuration, builder.Environment.ContentRootPath);

builder.Services.AddAuthentication(DemoBasicAuthentication.SchemeName)
    .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, DemoBasicAuthentication>(DemoBasicAuthentication.SchemeName, null);

// One superuser login for everything is a development shortcut: SQL injected into a request could RESET ROLE and
// reach every tenant, so Radiant refuses it unless told otherwise (the README shows the production setup).
builder.Services.AddRadiant()
    .UsePostgres(connectionString, o => o.AllowPrivilegedLogin = true)
    .AddFocusModes()
    .AddPersonas()
    .AddPricing()
    .AddTeams()
    .AddScheduler()
    .AddSchedulerWorker()
    .AddModelSelection()
    .AddChat()
    .AddAnalytics()
    .AddThinkTankUsers()
    .AddHttpApi();

// Chat messages and scheduled prompts call the chat client registered under the model's provider id. The sample
// registers its offline client (it streams its reply and reports token usage) for every provider of the built-in
// catalogue, so the whole flow runs without network, whichever model the router picks.
// Sample:OfflineChunkDelayMs paces its stream (default 40 ms per three words).
var chunkDelay = builder.Configuration.GetValue<int?>("Sample:OfflineChunkDelayMs") is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
foreach (var provider in Radiant.Registry.BuiltInCatalog.Catalog.Providers)
{
    builder.Services.AddKeyedChatClient(provider.Id, new OfflineChatClient(provider.Id, chunkDelay));
}

// Email output of scheduled prompts goes to .eml files in a folder (no SMTP server needed).
var mailDirectory = Path.GetFullPath(builder.Configuration["Sample:MailDirectory"] ?? Path.Combine(builder.Environment.ContentRootPath, ".data", "mail"));
builder.Services.AddSingleton<Radiant.Scheduling.IEmailSender>(sp => new FileEmailSender(mailDirectory, sp.GetService<TimeProvider>() ?? TimeProvider.System));

builder.Services.AddHostedService<DemoSeeder>();
builder.Services.AddOpenApi();

// One line per request at Information (method, path, status, duration); appsettings.json keeps the framework's own
// per-request lines (routing, endpoint, hosting: five more) at Warning.
builder.Services.AddHttpLogging(o =>
{
    o.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;
    o.CombineLogs = true;
});

var app = builder.Build();

app.UseHttpLogging();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapRadiant();
// The embedded dashboard: the Think Tank pages for every user, the admin back office for admins.
app.MapRadiantDashboard("/radiant");
app.MapHealthChecks("/health");
app.MapOpenApi();
app.MapScalarApiReference();
app.MapGet("/", () => Results.Redirect("/scalar/v1")).ExcludeFromDescription();

app.Lifetime.ApplicationStarted.Register(() => SampleBanner.Print(app.Urls, localPostgres, mailDirectory));
if (localPostgres is not null)
{
    app.Lifetime.ApplicationStopped.Register(() => localPostgres.DisposeAsync().AsTask().GetAwaiter().GetResult());
}

await app.RunAsync();

/// <summary>Entry point, visible to integration tests through <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
