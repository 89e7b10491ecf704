using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Radiant.Postgres.Health;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;

namespace Radiant.Postgres.Pricing;

/// <summary>
/// The pricing engine of a host instance: quotes come from an immutable snapshot swapped atomically on reload. A change
/// committed by any instance arrives on the host's notification connection (<see cref="RadiantListener"/>) and triggers
/// a reload within milliseconds (a burst of changes is one reload); a periodic reload is the safety net, and so is the
/// reload after every reconnect of the listener, for what was committed while it was away. The reload loop is the
/// engine's own: it never waits for the listener, and a reload that fails because the database is unavailable tries
/// again with <see cref="OutageBackoff"/> rather than at the next change or interval.
/// </summary>
internal sealed partial class PostgresPricingEngine : BackgroundService, IPricingEngine
{
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(10);
    private readonly PricingSnapshotLoader _loader;
    private readonly IOptions<RadiantPostgresOptions> _options;
    private readonly TimeProvider _time;
    private readonly QuoteClock _clock;
    private readonly ILogger<PostgresPricingEngine> _logger;
    private readonly WorkerHealth _health;
    private readonly ResiliencePipeline _retry;
    private WorkerHealthReporter? _reporter;
    private readonly Lock _swap = new();
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile PricingSnapshot? _current;

    public PostgresPricingEngine(
        PricingSnapshotLoader loader,
        PricingSql sql,
        RadiantListener listener,
        WorkerHealth health,
        IOptions<RadiantPostgresOptions> options,
        TimeProvider time,
        ILogger<PostgresPricingEngine> logger)
    {
        _loader = loader;
        _options = options;
        _time = time;
        _clock = new QuoteClock(time);
        _logger = logger;
        _health = health;
        _retry = OutageBackoff.Create(
            time,
            (e, delay) =>
            {
                _reporter?.Failed(e);
                LogReloadFailed(e, delay);
            },
            e => e is InvalidOperationException);
        listener.Subscribe(sql.Channel, _ => _changed.Writer.TryWrite(true), () => _changed.Writer.TryWrite(true));
    }

    public PricingSnapshot Current => _current ?? throw new InvalidOperationException(
        "The pricing engine has not loaded yet: enable it with services.AddRadiant()...AddPricing() and let the host start.");

    public PriceQuote Quote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset? at = null)
    {
        var snapshot = Current;
        return snapshot.QuoteAt(tenantId, modelId, inputTokens, outputTokens, at?.UtcTicks ?? _clock.UtcTicksFor(snapshot));
    }

    public bool TryQuote(Guid tenantId, string modelId, int inputTokens, int outputTokens, out PriceQuote quote, DateTimeOffset? at = null)
    {
        var snapshot = Current;
        return snapshot.TryQuoteAt(tenantId, modelId, inputTokens, outputTokens, at?.UtcTicks ?? _clock.UtcTicksFor(snapshot), out quote);
    }

    public async Task<PricingSnapshot> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = await _loader.LoadAsync(cancellationToken);
        lock (_swap)
        {
            // Two reloads may overlap (a pushed change and an explicit refresh): the one that started later wins.
            if (_current is { } current && current.Version > snapshot.Version)
            {
                return current;
            }

            _current = snapshot;
        }

        LogLoaded(snapshot.Version, snapshot.TenantCount, snapshot.ModelCount);
        return snapshot;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Ready before the host serves its first request.
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _options.Value.PricingRefreshInterval;
        using var reporter = _reporter = _health.Track("pricing engine reload", interval);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await WaitForChangeAsync(interval, stoppingToken))
                {
                    // A burst of changes (a bulk update, a sync) becomes one reload.
                    await Task.Delay(Coalesce, _time, stoppingToken);
                    _changed.Reader.TryRead(out _);
                }

                // The current snapshot keeps serving while a reload waits out an outage.
                await _retry.ExecuteAsync(async ct => await RefreshAsync(ct), stoppingToken);
                reporter.Completed();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<bool> WaitForChangeAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(interval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        try
        {
            return await _changed.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public override void Dispose()
    {
        _clock.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pricing snapshot {Version} loaded: {Tenants} tenants, {Models} models")]
    private partial void LogLoaded(long version, int tenants, int models);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the pricing snapshot failed; the current one keeps serving, and the reload tries again in {Delay}")]
    private partial void LogReloadFailed(Exception? exception, TimeSpan delay);
}
