using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Radiant.Postgres.Health;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Pricing;
using Radiant.Postgres.Tenancy;
using Radiant.Routing;

namespace Radiant.Postgres.Routing;

/// <summary>
/// The routing catalogue of a host instance, kept current like the pricing snapshot: loaded before the host serves,
/// swapped atomically on reload, reloaded when the pricing channel says the catalogue, a price or a tenant's model
/// switch changed (a burst is one reload), after every reconnect of the listener, and every
/// <see cref="RadiantPostgresOptions.PricingRefreshInterval"/> as a safety net; a reload that fails because the database
/// is unavailable tries again with <see cref="OutageBackoff"/> while the current catalogue keeps serving. The router
/// reads <see cref="Current"/> on every decision, so no decision touches the database.
/// </summary>
internal sealed partial class PostgresRoutingCatalog : BackgroundService
{
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(10);
    private readonly RoutingCatalogLoader _loader;
    private readonly IOptions<RadiantPostgresOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresRoutingCatalog> _logger;
    private readonly WorkerHealth _health;
    private readonly ResiliencePipeline _retry;
    private WorkerHealthReporter? _reporter;
    private readonly Lock _swap = new();
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile RoutingCatalog? _current;

    public PostgresRoutingCatalog(
        RoutingCatalogLoader loader,
        PricingSql sql,
        RadiantListener listener,
        WorkerHealth health,
        IOptions<RadiantPostgresOptions> options,
        TimeProvider time,
        ILogger<PostgresRoutingCatalog> logger)
    {
        _loader = loader;
        _options = options;
        _time = time;
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

    public RoutingCatalog Current => _current ?? throw new InvalidOperationException(
        "The routing catalogue has not loaded yet: enable the router with services.AddRadiant()...AddModelRouter() and let the host start.");

    public async Task<RoutingCatalog> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var catalog = await _loader.LoadAsync(cancellationToken);
        lock (_swap)
        {
            // Two reloads may overlap: the one that started later wins.
            if (_current is { } current && current.Version > catalog.Version)
            {
                return current;
            }

            _current = catalog;
        }

        LogLoaded(catalog.Version, catalog.Count);
        return catalog;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _options.Value.PricingRefreshInterval;
        using var reporter = _reporter = _health.Track("routing catalogue reload", interval);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await WaitForChangeAsync(interval, stoppingToken))
                {
                    // A burst of changes becomes one reload.
                    await Task.Delay(Coalesce, _time, stoppingToken);
                    _changed.Reader.TryRead(out _);
                }

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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Routing catalogue {Version} loaded: {Models} models")]
    private partial void LogLoaded(long version, int models);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the routing catalogue failed; the current one keeps serving, and the reload tries again in {Delay}")]
    private partial void LogReloadFailed(Exception? exception, TimeSpan delay);
}
