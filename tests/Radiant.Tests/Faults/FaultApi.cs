using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Radiant.Hosting;
using Radiant.Tests.Http;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Faults;

/// <summary>
/// A host composed like a customer's — Radiant's packages, the header authentication of <see cref="RadiantApi"/>,
/// <c>/health</c> — served by Kestrel on a free loopback port, so requests cross a real socket (a client can abandon
/// one) and the server's own logging is what it would be in production.
/// </summary>
public sealed class FaultApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FaultApi(WebApplication app, RecordedLog log)
    {
        _app = app;
        Log = log;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        BaseAddress = new Uri(address);
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Everything the host logged, every level and category.</summary>
    public RecordedLog Log { get; }

    /// <summary>
    /// Starts the host on <paramref name="connectionString"/> with personas (which need no background connection; add
    /// other features with <paramref name="radiant"/>), migrating it as a host's start-up does.
    /// </summary>
    public static async Task<FaultApi> StartAsync(string connectionString, Action<IRadiantBuilder>? radiant = null, Action<Radiant.Postgres.Hosting.RadiantPostgresOptions>? postgres = null)
    {
        var log = new RecordedLog();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        // The test output also holds the sample host's appsettings.json (it comes with the project reference), whose
        // Microsoft.AspNetCore rule would hide the request log these tests read: their own rules win.
        builder.Logging.ClearProviders().AddProvider(log).SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Information).AddFilter("Radiant", LogLevel.Debug);
        builder.Services.AddAuthentication(RadiantApi.HeaderAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, RadiantApi.HeaderAuthentication>(RadiantApi.HeaderAuthentication.SchemeName, null);
        var radiantBuilder = builder.Services.AddRadiant().UseTestPostgres(connectionString, o => postgres?.Invoke(o)).AddPersonas().AddHttpApi();
        radiant?.Invoke(radiantBuilder);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRadiant();
        app.MapHealthChecks("/health");
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new FaultApi(app, log);
    }

    /// <summary>A client authenticated as <paramref name="caller"/>, with a timeout long enough for any answer a test waits for.</summary>
    public HttpClient As(RadiantApi.Caller caller)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.TenantHeader, caller.TenantId.ToString());
        client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.UserHeader, caller.UserId.ToString());
        if (caller.IsAdmin)
        {
            client.DefaultRequestHeaders.Add(RadiantApi.HeaderAuthentication.RoleHeader, "admin");
        }

        return client;
    }

    /// <summary>A client with no credentials (for <c>/health</c>).</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>Every log entry of a host: level, category, message and exception type.</summary>
public sealed class RecordedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>The entries at <paramref name="level"/> or above, one per line, to explain a failure.</summary>
    public string AtLeast(LogLevel level) => string.Join(Environment.NewLine, Entries.Where(e => e.Level >= level));

    public sealed record Entry(DateTimeOffset At, LogLevel Level, string Category, string Message, string? Exception)
    {
        public override string ToString() => $"{At:HH:mm:ss.fff} {Level} {Category}: {Message} {Exception}";
    }

    private sealed class Logger(RecordedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._entries.Enqueue(new Entry(DateTimeOffset.UtcNow, logLevel, category, formatter(state, exception), exception is null ? null : $"{exception.GetType().Name}: {exception.Message}"));
    }
}
