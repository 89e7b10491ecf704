using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Pricing;

namespace Radiant.Postgres.Pricing;

/// <summary>
/// The pricing engine of a host instance: quotes come from an immutable snapshot swapped atomically on reload. A
/// dedicated connection LISTENs for changes committed by any instance and reloads within milliseconds; a periodic
/// reload is the safety net when a notification is lost (for example while the connection was down).
/// </summary>
internal sealed partial class PostgresPricingEngine(
    PricingSnapshotLoader loader,
    PricingSql sql,
    RadiantDataSources dataSources,
    IOptions<RadiantPostgresOptions> options,
    TimeProvider time,
    ILogger<PostgresPricingEngine> logger) : BackgroundService, IPricingEngine
{
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(10);
    private readonly Lock _swap = new();
    private volatile PricingSnapshot? _current;

    public PricingSnapshot Current => _current ?? throw new InvalidOperationException(
        "The pricing engine has not loaded yet: enable it with services.AddRadiant()...AddPricing() and let the host start.");

    public PriceQuote Quote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset? at = null) =>
        Current.Quote(tenantId, modelId, inputTokens, outputTokens, at ?? time.GetUtcNow());

    public bool TryQuote(Guid tenantId, string modelId, int inputTokens, int outputTokens, out PriceQuote quote, DateTimeOffset? at = null) =>
        Current.TryQuote(tenantId, modelId, inputTokens, outputTokens, at ?? time.GetUtcNow(), out quote);

    public async Task<PricingSnapshot> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = await loader.LoadAsync(cancellationToken);
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
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogListenFailed(e, delay);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        await using var connection = await dataSources.App.OpenConnectionAsync(stoppingToken);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{sql.Channel}\"", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // Anything committed while we were not listening.
        await RefreshAsync(stoppingToken);
        var interval = options.Value.PricingRefreshInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await connection.WaitAsync(interval, stoppingToken))
            {
                // A burst of changes (a bulk update, a sync) becomes one reload.
                while (await connection.WaitAsync(Coalesce, stoppingToken))
                {
                }
            }

            await RefreshAsync(stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pricing snapshot {Version} loaded: {Tenants} tenants, {Models} models")]
    private partial void LogLoaded(long version, int tenants, int models);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pricing change listener failed; retrying in {Delay}")]
    private partial void LogListenFailed(Exception exception, TimeSpan delay);
}
