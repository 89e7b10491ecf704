using System.ClientModel;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Hosting;
using Radiant.Postgres.Scheduling;
using Radiant.Pricing;
using Radiant.Scheduling;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>A run row as stored, read as the database owner (all tenants, lease columns included).</summary>
public sealed record RunRecord(
    Guid TenantId,
    Guid Id,
    Guid ScheduleId,
    DateTimeOffset ScheduledFor,
    string Trigger,
    string Status,
    string? LeaseOwner,
    int Claims,
    int Attempts,
    string? Output,
    int? InputTokens,
    int? OutputTokens,
    decimal? Cost,
    string? Error,
    string? DeliveryStatus,
    int DeliveryAttempts,
    string? DeliveryError,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset CreatedAt)
{
    public bool IsFinished => Status is "completed" or "failed";

    public override string ToString() =>
        $"{Status} for {ScheduledFor:HH:mm:ss.fff} (claims {Claims}, attempts {Attempts}, owner {LeaseOwner ?? "-"}, error {Error ?? "-"})";
}

/// <summary>Keeps what the hosts of a scenario log (warnings and up), to explain a failure.</summary>
public sealed class CollectedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public override string ToString() => string.Join(Environment.NewLine, _lines);

    private sealed class Logger(CollectedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log._lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
            }
        }
    }
}

/// <summary>A worker host: Radiant on the scenario's database with the scheduler worker and a chat client, started.</summary>
public sealed class WorkerInstance : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private List<IHostedService>? _started;

    private WorkerInstance(string workerId, ServiceProvider services)
    {
        WorkerId = workerId;
        _services = services;
    }

    public string WorkerId { get; }

    public IServiceProvider Services => _services;

    public IPricingEngine Pricing => _services.GetRequiredService<IPricingEngine>();

    internal static async Task<WorkerInstance> StartAsync(string connectionString, string workerId, IChatClient chat, CollectedLog log,
        Action<SchedulerWorkerOptions>? configure, Action<IRadiantBuilder>? radiant)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(log));
        var builder = services.AddRadiant()
            .UseTestPostgres(connectionString)
            .AddScheduler()
            .AddSchedulerWorker(o =>
            {
                o.WorkerId = workerId;
                o.LeaseDuration = TimeSpan.FromSeconds(2);
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
                o.PollInterval = TimeSpan.FromSeconds(1);
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
                o.WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(20);
                o.AllowPrivateWebhookAddresses = true; // the test receivers listen on loopback
                // The documented extension point: the OpenAI SDK reports HTTP failures as ClientResultException.
                o.IsTransientFailure = e => SchedulerWorkerOptions.IsTransientByDefault(e) || e is ClientResultException { Status: 429 or >= 500 };
                configure?.Invoke(o);
            });
        radiant?.Invoke(builder);
        services.AddKeyedChatClient("openai", chat);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var instance = new WorkerInstance(workerId, provider) { _started = [] };
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(TestContext.Current.CancellationToken);
            instance._started.Add(hosted);
        }

        return instance;
    }

    /// <summary>Stops the worker (and the host's other services) as a host shutdown does; idempotent.</summary>
    public async Task StopAsync()
    {
        var started = Interlocked.Exchange(ref _started, null);
        if (started is null)
        {
            return;
        }

        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}

/// <summary>
/// One test's world: a fresh database migrated and synced by a service host (schedule CRUD, no worker), plus the
/// worker hosts, peers and receivers the test starts, all stopped on dispose. A database per test keeps every count
/// exact: no other test's worker can take a run, and no other test's schedule can come due.
/// </summary>
public sealed class SchedulerScenario : IAsyncDisposable
{
    public const string Model = "gpt-4o";

    private const string Channel = "radiant_schedules";

    private readonly ConcurrentStack<IAsyncDisposable> _owned = new();
    private ServiceProvider? _services;

    private SchedulerScenario(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public CollectedLog Log { get; } = new();

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not started.");

    public IScheduleService Schedules => Services.GetRequiredService<IScheduleService>();

    public IPricingEngine Pricing => Services.GetRequiredService<IPricingEngine>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<SchedulerScenario> StartAsync(PostgresServer server, string name)
    {
        var scenario = new SchedulerScenario(await server.CreateDatabaseAsync("wk_" + name, Ct));
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(scenario.Log));
        services.AddRadiant().UseTestPostgres(scenario.ConnectionString).AddScheduler();
        scenario._services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        foreach (var hosted in scenario._services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(Ct);
        }

        return scenario;
    }

    /// <summary>Provisions a user (in a new tenant unless one is given) and returns them as a schedule caller.</summary>
    public async Task<RadiantCaller> NewUserAsync(Guid? tenantId = null)
    {
        var user = new RadiantCaller(tenantId ?? Guid.NewGuid(), Guid.NewGuid());
        await Services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(
            new UserProfile(user, $"{user.UserId:N}@example.test", "Worker Test User", "Worker Test Tenant"), Ct);
        return user;
    }

    public async Task<ChatPeer> StartPeerAsync(string name)
    {
        var peer = await ChatPeer.StartAsync(name);
        _owned.Push(peer);
        return peer;
    }

    public async Task<WebhookReceiver> StartWebhookReceiverAsync()
    {
        var receiver = await WebhookReceiver.StartAsync();
        _owned.Push(receiver);
        return receiver;
    }

    public SmtpCapture StartSmtp()
    {
        var smtp = SmtpCapture.Start();
        _owned.Push(smtp);
        return smtp;
    }

    /// <summary>Starts a worker host calling <paramref name="peer"/> through the real OpenAI client, with short test timings.</summary>
    public async Task<WorkerInstance> StartWorkerAsync(
        string workerId, ChatPeer peer, Action<SchedulerWorkerOptions>? configure = null, Action<IRadiantBuilder>? radiant = null)
    {
        var worker = await WorkerInstance.StartAsync(ConnectionString, workerId, peer.CreateChatClient(), Log, configure, radiant);
        _owned.Push(worker);
        return worker;
    }

    /// <summary>
    /// Creates a once schedule through the service (its instant an hour ahead, as creation requires a future one),
    /// then moves its instant to now by SQL and wakes the workers: due at once. Returns the schedule and its due instant.
    /// </summary>
    /// <remarks><paramref name="beforeDue"/> sees the created schedule (its webhook secret, shown once) before any worker can run it.</remarks>
    public async Task<(ScheduledPrompt Schedule, DateTimeOffset DueAt)> CreateDueOnceAsync(
        RadiantCaller caller, string name, string prompt, Func<ScheduleCreate, ScheduleCreate>? adjust = null, Action<ScheduledPrompt>? beforeDue = null)
    {
        var create = new ScheduleCreate(name, prompt, Model, ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) };
        var schedule = await Schedules.CreateAsync(caller, adjust?.Invoke(create) ?? create, Ct);
        beforeDue?.Invoke(schedule);
        var due = await ScalarAsync<DateTimeOffset>(
            "UPDATE radiant.scheduled_prompts SET run_at = now(), next_run = now() WHERE id = @id RETURNING next_run", ("id", schedule.Id));
        await NotifyWorkersAsync();
        return (schedule, due);
    }

    /// <summary>Sets a schedule's next run by SQL (<paramref name="at"/> is a SQL expression) and wakes the workers; returns it.</summary>
    public async Task<DateTimeOffset> MakeDueAsync(Guid scheduleId, string at = "now()")
    {
        var due = await ScalarAsync<DateTimeOffset>(
            $"UPDATE radiant.scheduled_prompts SET next_run = {at} WHERE id = @id RETURNING next_run", ("id", scheduleId));
        await NotifyWorkersAsync();
        return due;
    }

    /// <summary>What Radiant's own writes do after a change: NOTIFY the workers' channel.</summary>
    public Task NotifyWorkersAsync() => ExecuteAsync($"SELECT pg_notify('{Channel}', '')");

    /// <summary>Runs a statement as the database owner (superuser in tests: no RLS) and commits.</summary>
    public async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = Command(sql, connection, parameters);
        return await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>A scalar as the database owner.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = Command(sql, connection, parameters);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct), $"no row from: {sql}");
        return reader.GetFieldValue<T>(0);
    }

    /// <summary>Rows as the database owner, read column by column.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = Command(sql, connection, parameters);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    /// <summary>Every run row (of one schedule, or all), oldest occurrence first.</summary>
    public Task<List<RunRecord>> RunsAsync(Guid? scheduleId = null) => QueryAsync(
        $"""
        SELECT tenant_id, id, prompt_id, scheduled_for, run_trigger, status, lease_owner, claims, attempts, output, input_tokens,
               output_tokens, cost, error_message, delivery_status, delivery_attempts, delivery_error, started_at, completed_at, created_at
        FROM radiant.scheduled_prompt_runs
        {(scheduleId is null ? "" : "WHERE prompt_id = @schedule")}
        ORDER BY scheduled_for, created_at
        """,
        r => new RunRecord(
            r.GetGuid(0),
            r.GetGuid(1),
            r.GetGuid(2),
            r.GetFieldValue<DateTimeOffset>(3),
            r.GetString(4),
            r.GetString(5),
            r.IsDBNull(6) ? null : r.GetString(6),
            r.GetInt32(7),
            r.GetInt32(8),
            r.IsDBNull(9) ? null : r.GetString(9),
            r.IsDBNull(10) ? null : r.GetInt32(10),
            r.IsDBNull(11) ? null : r.GetInt32(11),
            r.IsDBNull(12) ? null : r.GetDecimal(12),
            r.IsDBNull(13) ? null : r.GetString(13),
            r.IsDBNull(14) ? null : r.GetString(14),
            r.GetInt32(15),
            r.IsDBNull(16) ? null : r.GetString(16),
            r.IsDBNull(17) ? null : r.GetFieldValue<DateTimeOffset>(17),
            r.IsDBNull(18) ? null : r.GetFieldValue<DateTimeOffset>(18),
            r.GetFieldValue<DateTimeOffset>(19)),
        scheduleId is { } id ? [("schedule", id)] : []);

    /// <summary>Waits until the schedule has exactly one run and it is finished (completed or failed), and returns it.</summary>
    public async Task<RunRecord> FinishedRunAsync(Guid scheduleId, TimeSpan? deadline = null)
    {
        var runs = await Poll.ForAsync(() => RunsAsync(scheduleId), r => r.Count > 0 && r.All(x => x.IsFinished), $"the run of schedule {scheduleId} to finish", deadline);
        Assert.Single(runs);
        return runs[0];
    }

    public async ValueTask DisposeAsync()
    {
        while (_owned.TryPop(out var owned))
        {
            await owned.DisposeAsync();
        }

        if (_services is not null)
        {
            foreach (var hosted in _services.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await _services.DisposeAsync();
        }
    }

    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection, (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}

/// <summary>The scheduler worker in a process of its own (tests/Radiant.Tests.WorkerHost), so a test can kill it.</summary>
public sealed class ChildWorker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ChildWorker(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Where the build put the worker host (the test project builds it first; see Radiant.Tests.csproj).</summary>
    public static string HostPath => typeof(ChildWorker).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "WorkerHostPath").Value!;

    public static ChildWorker Start(string connectionString, Uri chatEndpoint, TimeSpan lease, string workerId)
    {
        Assert.True(File.Exists(HostPath), $"The worker host was not built at {HostPath}.");
        var start = new ProcessStartInfo(DotnetExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostPath);
        start.ArgumentList.Add(TestLogins.ServiceConnectionString(connectionString));
        start.ArgumentList.Add(TestLogins.OwnerConnectionString(connectionString));
        start.ArgumentList.Add(chatEndpoint.ToString());
        start.ArgumentList.Add(lease.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(workerId);
        var process = new Process { StartInfo = start };
        var child = new ChildWorker(process);
        process.OutputDataReceived += (_, e) => child.Record(e.Data);
        process.ErrorDataReceived += (_, e) => child.Record(e.Data);
        Assert.True(process.Start(), "the worker host process did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Kills the process tree at once (no shutdown, no hand-back: a crash) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync(CancellationToken.None);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static string DotnetExecutable()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
