using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Dashboard;

/// <summary>
/// The sample host on a real port over a database of its own, and Debian's Chromium driven by Playwright: what every
/// dashboard test opens pages in. Shared by the dashboard collection (one host start, one browser).
/// </summary>
public sealed partial class DashboardFixture(PostgresServer server) : IAsyncLifetime
{
    /// <summary>Debian's Chromium (<c>apt-get install chromium</c>; <c>.ci/run</c> installs it when missing).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private WebApplicationFactory<Program>? _factory;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Where the sample listens, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    public string ConnectionString { get; private set; } = "";

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The fixture is not started.");

    public IServiceProvider Services => _factory!.Services;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The dashboard tests drive Debian's Chromium at {ChromiumPath}: install it with 'apt-get install -y chromium' (.ci/run does).");
        }

        ConnectionString = await server.CreateDatabaseAsync("dashboard", TestContext.Current.CancellationToken);
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:Radiant", ConnectionString)
            // A reply streams for about 2 s, so a test can watch it grow and stop it even on a loaded machine.
            .UseSetting("Sample:OfflineChunkDelayMs", "150")
            .UseSetting("Logging:LogLevel:Default", "Warning")
            // The sample sets the middleware's own category to Information, which a shorter prefix would not override.
            .UseSetting("Logging:LogLevel:Microsoft.AspNetCore.HttpLogging.HttpLoggingMiddleware", "Warning")
            .UseSetting("Sample:MailDirectory", Path.Combine(Path.GetTempPath(), "radiant-dashboard-mail-" + Guid.NewGuid().ToString("N"))));
        // A port of the system's choosing on loopback: test runs side by side never collide (Kestrel's default is 5000).
        _factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // The machine's network is closed: without these, Chromium's own background connections fail noisily.
            Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context signed in (HTTP Basic) as one of the sample's demo users.</summary>
    public async Task<DashboardSession> SignInAsync(string email, string password)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            HttpCredentials = new HttpCredentials { Username = email, Password = password },
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        return new DashboardSession(context, page);
    }

    public Task<DashboardSession> SignInAsAcmeAdminAsync() => SignInAsync("admin@acme.test", "admin-demo");

    public Task<DashboardSession> SignInAsAcmeUserAsync() => SignInAsync("user@acme.test", "user-demo");

    /// <summary>The folder the test run keeps its artefacts in: <c>TestResults/dashboard</c> at the repository root.</summary>
    public static string ArtefactDirectory { get; } = FindArtefactDirectory();

    private static string FindArtefactDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Radiant.Sdk.sln")))
        {
            directory = directory.Parent;
        }

        var path = Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "TestResults", "dashboard");
        Directory.CreateDirectory(path);
        return path;
    }

    [GeneratedRegex("[^a-z0-9-]+")]
    internal static partial Regex NotFileNameSafe();
}

/// <summary>One signed-in browser context and its page, recording every console error and uncaught exception.</summary>
public sealed class DashboardSession : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    internal DashboardSession(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add($"console: {message.Text} ({message.Location})");
                }
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                lock (_errors)
                {
                    _errors.Add($"response: {response.Status} {response.Request.Method} {response.Url}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add($"uncaught: {error}");
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Console errors, uncaught exceptions and 4xx/5xx responses so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Fails with every console error, uncaught exception and 4xx/5xx response so far, one per line.</summary>
    public void AssertNoErrors()
    {
        var errors = Errors;
        Assert.True(errors.Count == 0, "The page reported errors:\n" + string.Join("\n", errors));
    }

    /// <summary>Opens a dashboard page (e.g. <c>admin/pricing</c>) and waits until it has loaded its data.</summary>
    public async Task<IResponse?> OpenAsync(string path)
    {
        var response = await Page.GotoAsync($"/radiant/{path}", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
        if (response is { Ok: true })
        {
            await SettledAsync();
        }

        return response;
    }

    /// <summary>Waits until the page's module has rendered and no progress indicator is showing.</summary>
    public async Task SettledAsync()
    {
        await Page.WaitForFunctionAsync("() => !document.querySelector('#page > p[role=status]') && !document.querySelector('.busy')");
    }

    /// <summary>Keeps a full-page screenshot as a test artefact (<c>TestResults/dashboard/{name}.png</c>).</summary>
    public async Task ScreenshotAsync(string name)
    {
        var file = DashboardFixture.NotFileNameSafe().Replace(name.ToLowerInvariant(), "-");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ArtefactDirectory, file + ".png"), FullPage = true });
    }

    /// <summary>axe-core's serious and critical violations on the page as it is now, one line each.</summary>
    public async Task<IReadOnlyList<string>> SeriousAccessibilityViolationsAsync()
    {
        var result = await Page.RunAxe();
        return result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")
            .ToList();
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class DashboardTests : ICollectionFixture<DashboardFixture>
{
    public const string Name = "Dashboard";
}
