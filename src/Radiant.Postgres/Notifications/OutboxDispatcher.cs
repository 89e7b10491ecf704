using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Radiant.Errors;
using Radiant.Postgres.Health;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;
using Radiant.Teams;

namespace Radiant.Postgres.Notifications;

/// <summary>
/// Delivers the outbox to the host's notifiers, on every instance: claims due rows across tenants (SKIP LOCKED, and a
/// lease made by pushing <c>available_at</c> forward, so a dispatcher that dies mid-delivery leaves them to another),
/// calls the notifier, deletes the row on success and schedules a retry with doubling delay on failure. Delivery is at
/// least once. Woken by the outbox channel as a change commits; polls every few seconds as a safety net. While the
/// database is unavailable it tries again with <see cref="OutageBackoff"/>.
/// </summary>
internal sealed partial class OutboxDispatcher : BackgroundService
{
    private const int BatchSize = 50;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromHours(1);

    private readonly RadiantDb _db;
    private readonly IServiceProvider _services;
    private readonly RadiantPostgresOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly WorkerHealth _health;
    private readonly ResiliencePipeline _retry;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly string _claim;
    private readonly string _done;
    private readonly string _retryDue;

    public OutboxDispatcher(
        RadiantDb db,
        RadiantListener listener,
        IServiceProvider services,
        WorkerHealth health,
        IOptions<RadiantPostgresOptions> options,
        TimeProvider time,
        ILogger<OutboxDispatcher> logger)
    {
        _db = db;
        _health = health;
        _services = services;
        _options = options.Value;
        _time = time;
        _logger = logger;
        listener.Subscribe(RadiantChannels.Outbox(db), _ => _wake.Writer.TryWrite(true), () => _wake.Writer.TryWrite(true));
        _claim = db.Sql(
            """
            WITH due AS (
                SELECT tenant_id, id FROM {schema}.outbox
                WHERE available_at <= now()
                ORDER BY available_at
                LIMIT @Limit
                FOR UPDATE SKIP LOCKED
            )
            UPDATE {schema}.outbox o SET attempts = o.attempts + 1, available_at = now() + @Lease
            FROM due WHERE o.tenant_id = due.tenant_id AND o.id = due.id
            RETURNING o.tenant_id AS TenantId, o.id AS Id, o.topic AS Topic, o.payload::text AS Payload, o.attempts AS Attempts
            """);
        _done = db.Sql("DELETE FROM {schema}.outbox WHERE tenant_id = @TenantId AND id = @Id");
        _retryDue = db.Sql("UPDATE {schema}.outbox SET available_at = now() + @Delay, last_error = @Error WHERE tenant_id = @TenantId AND id = @Id");
        _retry = OutageBackoff.Create(time, (e, delay) => LogClaimFailed(e, delay));
    }

    /// <summary>Registers the outbox and its dispatcher once, for the features that notify the host.</summary>
    public static void Register(IServiceCollection services)
    {
        services.TryAddSingleton<Outbox>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboxDispatcher>());
        RadiantListener.Register(services);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var health = _health.Track("outbox dispatcher", PollInterval);
        while (!stoppingToken.IsCancellationRequested)
        {
            var delivered = 0;
            try
            {
                delivered = await _retry.ExecuteAsync(
                    async ct =>
                    {
                        try
                        {
                            return await DispatchBatchAsync(ct);
                        }
                        catch (Exception e) when (DatabaseUnavailable.IsOutage(e))
                        {
                            health.Failed(e);
                            throw;
                        }
                    },
                    stoppingToken);
                health.Completed();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (InvalidOperationException e)
            {
                health.Failed(e);
                LogDispatchFailed(e);
            }

            if (delivered < BatchSize)
            {
                await WaitForWakeAsync(stoppingToken);
            }
        }
    }

    private async Task<int> DispatchBatchAsync(CancellationToken stoppingToken)
    {
        var claimed = await _db.InScopeAsync(
            RadiantScope.Outbox,
            async (connection, transaction) => (await connection.QueryAsync<Row>(new CommandDefinition(
                _claim, new { Limit = BatchSize, Lease }, transaction, cancellationToken: stoppingToken))).ToList(),
            stoppingToken);
        foreach (var row in claimed)
        {
            await DeliverAsync(row, stoppingToken);
        }

        return claimed.Count;
    }

    private async Task DeliverAsync(Row row, CancellationToken stoppingToken)
    {
        try
        {
            switch (DbEnum.Parse<OutboxTopic>(row.Topic))
            {
                case OutboxTopic.PriceChange:
                    var change = JsonSerializer.Deserialize(row.Payload, OutboxJsonContext.Default.PriceChangeNotification)!;
                    await _services.GetRequiredService<IPriceChangeNotifier>().NotifyAsync(change, stoppingToken);
                    break;
                case OutboxTopic.TeamUsageWarning:
                    var warning = JsonSerializer.Deserialize(row.Payload, OutboxJsonContext.Default.TeamUsageWarning)!;
                    await _services.GetRequiredService<ITeamUsageNotifier>().NotifyAsync(warning, stoppingToken);
                    break;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw; // The lease runs out and another dispatcher (or this one, next start) delivers it.
        }
        catch (Exception e)
        {
            await SettleAsync(row, e, stoppingToken);
            return;
        }

        await SettleAsync(row, null, stoppingToken);
    }

    private async Task SettleAsync(Row row, Exception? failure, CancellationToken stoppingToken)
    {
        if (failure is null)
        {
            await ExecuteAsync(_done, new { row.TenantId, row.Id }, stoppingToken);
            return;
        }

        var givingUp = row.Attempts >= _options.NotificationMaxAttempts;
        var delay = givingUp
            ? TimeSpan.FromDays(36_500) // kept, with its error, for an operator; never claimed again
            : TimeSpan.FromTicks(Math.Min(_options.NotificationRetryDelay.Ticks * (1L << Math.Min(row.Attempts - 1, 30)), MaxRetryDelay.Ticks));
        if (givingUp)
        {
            LogGaveUp(failure, row.Topic, row.TenantId, row.Attempts);
        }
        else
        {
            LogNotifierFailed(failure, row.Topic, row.TenantId, row.Attempts, delay);
        }

        await ExecuteAsync(_retryDue, new { row.TenantId, row.Id, Delay = delay, Error = Truncate(failure.GetType().Name + ": " + failure.Message) }, stoppingToken);
    }

    private Task<int> ExecuteAsync(string sql, object args, CancellationToken stoppingToken) =>
        _db.InScopeAsync(
            RadiantScope.Outbox,
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(sql, args, transaction, cancellationToken: stoppingToken)),
            stoppingToken);

    private async Task WaitForWakeAsync(CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(PollInterval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The poll interval: look again (a retry may have come due).
        }
    }

    private static string Truncate(string text)
    {
        var clean = TextRules.Clean(text)!;
        return clean.Length <= 2000 ? clean : clean[..2000];
    }

    private sealed class Row
    {
        public Guid TenantId { get; init; }
        public Guid Id { get; init; }
        public string Topic { get; init; } = "";
        public string Payload { get; init; } = "";
        public int Attempts { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatching notifications from the outbox failed; trying again in {Delay}")]
    private partial void LogClaimFailed(Exception? exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatching notifications from the outbox failed; trying again shortly")]
    private partial void LogDispatchFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Topic} notifier failed for tenant {TenantId} (attempt {Attempt}); delivering again in {Delay}")]
    private partial void LogNotifierFailed(Exception exception, string topic, Guid tenantId, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up delivering a {Topic} notification of tenant {TenantId} after {Attempts} attempts; it stays in the outbox with its error")]
    private partial void LogGaveUp(Exception exception, string topic, Guid tenantId, int attempts);
}
