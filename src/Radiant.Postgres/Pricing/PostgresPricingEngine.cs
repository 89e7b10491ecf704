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
/// committed by any instance arrives on the host's notification connection (<see cref="RadiantListener"/>) with the
/// changed tenant's id, or <c>*</c> for the catalogue, and triggers a reload within milliseconds: the changed tenants
/// collected over a short window (a burst of changes is one reload) are reloaded alone and applied to the current
/// snapshot, sharing every other tenant with it. A <c>*</c>, more than <see cref="MaxTenantReload"/> tenants, a
/// reconnect of the listener (what was committed while it was away) and the periodic reload (the safety net) reload
/// everything. Reloads swap one at a time, so a result never replaces a newer one; the periodic reload loads off that
/// lock (at 10,000 tenants a full load takes up to a second, and a change must not wait for it) and loads the tenants
/// reloaded meanwhile again onto its snapshot before swapping it in. The reload loops are the engine's own: they never
/// wait for the listener, and a reload that fails because the database is unavailable tries again with
/// <see cref="OutageBackoff"/> rather than at the next change or interval.
/// </summary>
internal sealed partial class PostgresPricingEngine : BackgroundService, IPricingEngine
{
    /// <summary>More changed tenants than this in one window reload everything (one query of all rows is cheaper then).</summary>
    internal const int MaxTenantReload = 256;

    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(10);
    private readonly PricingSnapshotLoader _loader;
    private readonly IOptions<RadiantPostgresOptions> _options;
    private readonly TimeProvider _time;
    private readonly QuoteClock _clock;
    private readonly ILogger<PostgresPricingEngine> _logger;
    private readonly WorkerHealth _health;
    private readonly ResiliencePipeline _retry;
    private WorkerHealthReporter? _reporter;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _pendingLock = new();
    private HashSet<Guid> _pendingTenants = [];
    private bool _pendingAll;
    private long _lastFullReload;
    private volatile PricingSnapshot? _current;

    // Under _reload. While the periodic reload loads (off the lock), the tenants reloaded meanwhile — its snapshot may
    // predate their change — and whether a reload of everything has landed since it started (which supersedes it).
    private HashSet<Guid>? _reloadedDuringFull;
    private bool _fullSuperseded;

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
        _lastFullReload = time.GetTimestamp();
        _retry = OutageBackoff.Create(
            time,
            (e, delay) =>
            {
                _reporter?.Failed(e);
                LogReloadFailed(e, delay);
            },
            e => e is InvalidOperationException);
        listener.Subscribe(sql.Channel, OnNotification, OnListening);
    }

    /// <summary>False makes every change notification a full reload, as before per-tenant reloads (a benchmark's baseline).</summary>
    internal bool PerTenantReloads { get; set; } = true;

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

    /// <summary>A full reload, once the reload in progress (if any) has finished.</summary>
    public async Task<PricingSnapshot> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            return await ReloadAllAsync("refresh", cancellationToken);
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Reloads only the given tenants (for tests and benchmarks), once the reload in progress (if any) has finished.</summary>
    internal async Task<PricingSnapshot> RefreshTenantsAsync(IReadOnlyCollection<Guid> tenantIds, CancellationToken cancellationToken = default)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            return await ReloadTenantsAsync(tenantIds, cancellationToken);
        }
        finally
        {
            _reload.Release();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Ready before the host serves its first request.
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        base.Dispose();
        _reload.Dispose();
        _clock.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var reporter = _reporter = _health.Track("pricing engine reload", _options.Value.PricingRefreshInterval);
        var changes = ReloadChangesAsync(stoppingToken);
        var periodic = ReloadPeriodicallyAsync(reporter, stoppingToken);
        // Either loop ending early is a bug: let it stop the host, as an exception from ExecuteAsync does.
        await await Task.WhenAny(changes, periodic);
        await Task.WhenAll(changes, periodic);
    }

    private async Task ReloadChangesAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _changed.Reader.ReadAsync(stoppingToken);
                // A burst of changes (a bulk update, a sync) becomes one reload.
                await Task.Delay(Coalesce, _time, stoppingToken);
                _changed.Reader.TryRead(out _);

                // The current snapshot keeps serving while a reload waits out an outage.
                await _retry.ExecuteAsync(
                    async ct =>
                    {
                        await _reload.WaitAsync(ct);
                        try
                        {
                            await ReloadPendingAsync(ct);
                        }
                        finally
                        {
                            _reload.Release();
                        }
                    },
                    stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // The safety net: a full reload at least every PricingRefreshInterval (a reload of everything for another reason
    // counts). It alone reports to the health check, so a failing safety net shows even while changes still load.
    private async Task ReloadPeriodicallyAsync(WorkerHealthReporter reporter, CancellationToken stoppingToken)
    {
        var interval = _options.Value.PricingRefreshInterval;
        try
        {
            while (true)
            {
                var remaining = interval - _time.GetElapsedTime(Interlocked.Read(ref _lastFullReload));
                if (remaining > TimeSpan.Zero)
                {
                    reporter.Completed();
                    await Task.Delay(remaining, _time, stoppingToken);
                    continue;
                }

                await _retry.ExecuteAsync(PeriodicReloadAsync, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async ValueTask PeriodicReloadAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            if (!PerTenantReloads || _current is null)
            {
                await ReloadAllAsync("periodic", cancellationToken);
                return;
            }

            _reloadedDuringFull = [];
            _fullSuperseded = false;
        }
        finally
        {
            _reload.Release();
        }

        var started = _time.GetTimestamp();
        // Off the lock: changes keep loading onto the current snapshot meanwhile. (A failed load leaves the tracking on
        // until the retry starts it again, which only costs the set.)
        var loaded = await _loader.LoadAsync(cancellationToken);

        await _reload.WaitAsync(cancellationToken);
        try
        {
            var reloaded = _reloadedDuringFull ?? [];
            _reloadedDuringFull = null;
            if (_fullSuperseded)
            {
                // A reload of everything started after this one and has landed: it is the newer safety net.
                return;
            }

            if (reloaded.Count > 0)
            {
                if (await _loader.LoadTenantsAsync(loaded, reloaded, cancellationToken) is not { } caughtUp)
                {
                    await ReloadAllAsync("catalogue changed", cancellationToken);
                    return;
                }

                loaded = caughtUp;
            }

            Interlocked.Exchange(ref _lastFullReload, started);
            var snapshot = Swap(loaded);
            var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
            LogPeriodicLoaded(snapshot.Version, snapshot.TenantCount, snapshot.ModelCount, reloaded.Count, milliseconds);
        }
        finally
        {
            _reload.Release();
        }
    }

    private void OnNotification(string payload)
    {
        lock (_pendingLock)
        {
            if (!_pendingAll)
            {
                if (Guid.TryParse(payload, out var tenantId))
                {
                    _pendingTenants.Add(tenantId);
                    if (_pendingTenants.Count > MaxTenantReload)
                    {
                        _pendingAll = true;
                        _pendingTenants.Clear();
                    }
                }
                else
                {
                    // '*' (the catalogue or a provider changed), or a payload this version does not know: everything.
                    _pendingAll = true;
                }
            }
        }

        _changed.Writer.TryWrite(true);
    }

    // After a reconnect: notifications may have been missed while the listener was away.
    private void OnListening()
    {
        lock (_pendingLock)
        {
            _pendingAll = true;
            _pendingTenants.Clear();
        }

        _changed.Writer.TryWrite(true);
    }

    // Under _reload. What was pending is taken; if the reload fails it is pending again, for the retry.
    private async Task ReloadPendingAsync(CancellationToken cancellationToken)
    {
        bool all;
        HashSet<Guid> tenants;
        lock (_pendingLock)
        {
            all = _pendingAll;
            tenants = _pendingTenants;
            _pendingAll = false;
            _pendingTenants = [];
        }

        if (all || !PerTenantReloads || _current is null)
        {
            await ReloadAllAsync(all ? "everything changed" : "per-tenant reloads off", cancellationToken);
            return;
        }

        if (tenants.Count == 0)
        {
            return;
        }

        try
        {
            await ReloadTenantsAsync(tenants, cancellationToken);
        }
        catch
        {
            lock (_pendingLock)
            {
                if (!_pendingAll)
                {
                    _pendingTenants.UnionWith(tenants);
                }
            }

            throw;
        }
    }

    // Under _reload. Everything pending when the load starts is covered by it.
    private async Task<PricingSnapshot> ReloadAllAsync(string reason, CancellationToken cancellationToken)
    {
        lock (_pendingLock)
        {
            _pendingAll = false;
            _pendingTenants.Clear();
        }

        var started = _time.GetTimestamp();
        PricingSnapshot snapshot;
        try
        {
            snapshot = await _loader.LoadAsync(cancellationToken);
        }
        catch
        {
            lock (_pendingLock)
            {
                _pendingAll = true;
                _pendingTenants.Clear();
            }

            throw;
        }

        Interlocked.Exchange(ref _lastFullReload, started);
        _fullSuperseded = _reloadedDuringFull is not null;
        snapshot = Swap(snapshot);
        var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
        LogLoaded(snapshot.Version, snapshot.TenantCount, snapshot.ModelCount, reason, milliseconds);
        return snapshot;
    }

    // Under _reload.
    private async Task<PricingSnapshot> ReloadTenantsAsync(IReadOnlyCollection<Guid> tenants, CancellationToken cancellationToken)
    {
        var current = _current;
        if (current is null)
        {
            return await ReloadAllAsync("no snapshot yet", cancellationToken);
        }

        var started = _time.GetTimestamp();
        var snapshot = await _loader.LoadTenantsAsync(current, tenants, cancellationToken);
        if (snapshot is null)
        {
            // A row names a model this snapshot does not have: the catalogue changed (its '*' is on its way).
            return await ReloadAllAsync("catalogue changed", cancellationToken);
        }

        _reloadedDuringFull?.UnionWith(tenants);
        snapshot = Swap(snapshot);
        var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
        LogTenantsLoaded(snapshot.Version, tenants.Count, snapshot.TenantCount, milliseconds);
        return snapshot;
    }

    // Under _reload, so no lock: reloads run one at a time. Still, never replace a newer snapshot with an older one.
    private PricingSnapshot Swap(PricingSnapshot snapshot)
    {
        if (_current is { } current && current.Version > snapshot.Version)
        {
            return current;
        }

        _current = snapshot;
        return snapshot;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pricing snapshot {Version} loaded ({Reason}): {Tenants} tenants, {Models} models, in {Milliseconds:0.0} ms")]
    private partial void LogLoaded(long version, int tenants, int models, string reason, double milliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pricing snapshot {Version} loaded (periodic): {Tenants} tenants, {Models} models, {Again} tenants changed meanwhile loaded again, in {Milliseconds:0.0} ms")]
    private partial void LogPeriodicLoaded(long version, int tenants, int models, int again, double milliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pricing snapshot {Version}: reloaded {Changed} changed tenants (of {Tenants}) in {Milliseconds:0.0} ms")]
    private partial void LogTenantsLoaded(long version, int changed, int tenants, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the pricing snapshot failed; the current one keeps serving, and the reload tries again in {Delay}")]
    private partial void LogReloadFailed(Exception? exception, TimeSpan delay);
}
