using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;
using Radiant.Postgres.Health;
using Radiant.Postgres.Hosting;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// One LISTEN connection per host for every channel Radiant uses (price changes, schedule changes, the outbox).
/// Subscribers are told of each notification, and — after every (re)connect — that they are listening again, so they
/// catch up on whatever they may have missed. A lost connection is reopened at once, then with Polly's exponential
/// backoff and jitter (100 ms doubling to at most 500 ms, so listening resumes within about half a second of the database
/// coming back) while the database stays away; the backoff starts over once connected. Reports to
/// <see cref="WorkerHealth"/>: a host that cannot listen for longer than its allowance is Degraded.
/// </summary>
internal sealed partial class RadiantListener : BackgroundService
{
    private readonly RadiantDataSources _dataSources;
    private readonly ILogger<RadiantListener> _logger;
    private readonly ConcurrentDictionary<string, ConcurrentBag<Subscription>> _subscriptions = new(StringComparer.Ordinal);
    private readonly ResiliencePipeline _reconnect;
    private readonly WorkerHealth _health;
    private volatile CancellationTokenSource? _channelsChanged;
    private WorkerHealthReporter? _reporter;

    public RadiantListener(RadiantDataSources dataSources, WorkerHealth health, TimeProvider time, ILogger<RadiantListener> logger)
    {
        _dataSources = dataSources;
        _health = health;
        _logger = logger;
        _reconnect = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = OutageBackoff.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    !args.Context.CancellationToken.IsCancellationRequested
                    && args.Outcome.Exception is NpgsqlException or TimeoutException or SocketException or IOException or InvalidOperationException),
                OnRetry = args =>
                {
                    _reporter?.Failed(args.Outcome.Exception);
                    LogReconnecting(args.Outcome.Exception, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Registers the listener once, for the features that need it.</summary>
    public static void Register(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(RadiantListener)))
        {
            return;
        }

        services.AddSingleton<RadiantListener>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<RadiantListener>());
    }

    /// <summary>
    /// Calls <paramref name="onNotification"/> with the payload of each notification on <paramref name="channel"/>,
    /// and <paramref name="onListening"/> whenever listening (re)starts. Both run on the listener's loop: keep them
    /// short (signal a worker; do not query).
    /// </summary>
    public void Subscribe(string channel, Action<string> onNotification, Action onListening)
    {
        _subscriptions.GetOrAdd(channel, _ => []).Add(new Subscription(onNotification, onListening));
        _channelsChanged?.Cancel();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var reporter = _reporter = _health.Track("notification listener", interval: null);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A session that was established and then lost returns normally: the next one starts a fresh backoff.
                await _reconnect.ExecuteAsync(ListenUntilLostAsync, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async ValueTask ListenUntilLostAsync(CancellationToken stoppingToken)
    {
        await using var connection = await _dataSources.App.OpenConnectionAsync(stoppingToken);
        connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
        var listening = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using var changed = new CancellationTokenSource();
                _channelsChanged = changed;
                var added = _subscriptions.Keys.Where(listening.Add).ToList();
                foreach (var channel in added)
                {
                    await using var listen = new NpgsqlCommand($"LISTEN {SqlIdentifier.Quote(channel)}", connection);
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                _reporter?.Completed();
                foreach (var channel in added)
                {
                    LogListening(channel);
                    foreach (var subscription in _subscriptions[channel])
                    {
                        subscription.OnListening();
                    }
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, changed.Token);
                try
                {
                    while (true)
                    {
                        await connection.WaitAsync(wait.Token);
                    }
                }
                catch (OperationCanceledException) when (changed.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    // A channel was subscribed to meanwhile: LISTEN to it too.
                }
            }
        }
        catch (Exception e) when (listening.Count > 0 && !stoppingToken.IsCancellationRequested && e is NpgsqlException or IOException or SocketException or TimeoutException)
        {
            _reporter?.Failed(e);
            LogLost(e);
        }
        finally
        {
            _channelsChanged = null;
        }
    }

    private void Dispatch(string channel, string payload)
    {
        if (!_subscriptions.TryGetValue(channel, out var subscribers))
        {
            return;
        }

        foreach (var subscriber in subscribers)
        {
            try
            {
                subscriber.OnNotification(payload);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One subscriber's bug must not deafen the others.
                LogSubscriberFailed(e, channel);
            }
        }
    }

    private sealed record Subscription(Action<string> OnNotification, Action OnListening);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening on {Channel}")]
    private partial void LogListening(string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The notification connection was lost; reconnecting")]
    private partial void LogLost(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot listen for notifications; trying again in {Delay}")]
    private partial void LogReconnecting(Exception? exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber of {Channel} failed on a notification")]
    private partial void LogSubscriberFailed(Exception exception, string channel);
}
