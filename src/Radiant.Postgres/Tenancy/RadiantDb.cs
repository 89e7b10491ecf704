using System.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;
using Radiant.Postgres.Hosting;
using Radiant.Tenancy;

namespace Radiant.Postgres.Tenancy;

/// <summary>The cross-tenant scopes Radiant's own jobs run in (each granted by its own row-level-security policies).</summary>
internal enum RadiantScope
{
    /// <summary>Read the tenant list and every tenant's pricing (the snapshot loader, the registry sync, the period roll-over scan).</summary>
    System,

    /// <summary>Claim due schedules and lease their runs across tenants (the scheduler worker).</summary>
    Scheduler,

    /// <summary>Claim and settle pending notifications across tenants (the outbox dispatcher).</summary>
    Outbox,
}

/// <summary>
/// The data kernel: every transaction Radiant runs starts here, confined to what it may see. Each switches to the
/// application role and enters a signed context — a tenant and user, or one of the <see cref="RadiantScope"/>s — with
/// <c>enter_context</c>, which row-level security trusts only with a valid signature of this connection's session key
/// (<see cref="SessionKeys"/>), so SQL injected into the transaction cannot widen it. The context is bound to the
/// transaction and outlives it on no pooled connection. No other class enters a context.
/// </summary>
/// <remarks>
/// A transient failure before the commit (a serialization failure, a deadlock, a connection that broke) re-runs the
/// whole transaction, up to three times with jittered backoff: the work delegate must only touch the database, which
/// the rollback undid. A failure during the commit is never retried, since the commit may have happened.
/// </remarks>
internal sealed partial class RadiantDb
{
    private const string CommitStarted = "Radiant.CommitStarted";
    private const string KeyLost = "Radiant.SessionKeyLost";
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _workerDataSource;
    private readonly NpgsqlDataSource _ownerDataSource;
    private readonly string _enterSql;
    private readonly string _enterAsAppSql;
    private readonly string? _setRoleSql;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger<RadiantDb> _logger;

    public RadiantDb(RadiantDataSources dataSources, IOptions<RadiantPostgresOptions> options, TimeProvider time, ILogger<RadiantDb> logger)
    {
        _dataSource = dataSources.App;
        _workerDataSource = dataSources.Worker;
        PreparesSafely = dataSources.HasWorkerPool;
        _ownerDataSource = dataSources.Migration;
        _logger = logger;
        var settings = options.Value;
        Schema = SqlIdentifier.Quote(settings.Schema);
        _enterSql = $"SELECT {Schema}.enter_context(@claim, @signature)";
        _setRoleSql = settings.SwitchToApplicationRole ? $"SET LOCAL ROLE {SqlIdentifier.Quote(settings.ApplicationRole)}" : null;
        _enterAsAppSql = (_setRoleSql is null ? string.Empty : _setRoleSql + ";") + _enterSql;
        _retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(50),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsRetryable(e)),
                OnRetry = args =>
                {
                    LogRetry(args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>
    /// Set by tests that move time: every reading of <see cref="NowAsync"/> returns it instead of the database's clock.
    /// </summary>
    internal Func<DateTimeOffset>? PinnedNow { get; set; }

    /// <summary>
    /// Whether transactions in the <see cref="RadiantScope.Scheduler"/> scope run on a pool no request uses, so their
    /// statements may be prepared (see <see cref="Hosting.RadiantDataSources"/>).
    /// </summary>
    public bool PreparesSafely { get; }

    /// <summary>The quoted schema name, for building SQL once per service.</summary>
    public string Schema { get; }

    /// <summary>Replaces <c>{schema}</c> in a SQL text with the quoted schema name.</summary>
    public string Sql(string text) => text.Replace("{schema}", Schema, StringComparison.Ordinal);

    /// <summary>
    /// "Now" for a decision that other instances must agree with: the database's <c>clock_timestamp()</c>, read in the
    /// transaction once it holds its locks (not <c>now()</c>, the transaction's start, which is earlier than what
    /// committed while the transaction waited). The one way services read the time.
    /// </summary>
    public async Task<DateTimeOffset> NowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (PinnedNow is { } pinned)
        {
            return pinned();
        }

        await using var command = new NpgsqlCommand("SELECT clock_timestamp()", connection, transaction);
        var now = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    /// <summary>Runs <paramref name="work"/> in a transaction scoped to the caller's tenant and user.</summary>
    public Task<T> InTenantAsync<T>(RadiantCaller caller, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(_dataSource, _enterAsAppSql, SessionKeys.Claim(caller.TenantId, caller.UserId, ""), work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a transaction scoped to a tenant and, optionally, a user (Radiant's own jobs acting for a tenant).</summary>
    public Task<T> InTenantAsync<T>(Guid tenantId, Guid? userId, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(_dataSource, _enterAsAppSql, SessionKeys.Claim(tenantId, userId, ""), work, cancellationToken);

    /// <summary>
    /// Runs a transaction scoped to a tenant and, optionally, a user in <b>one round trip</b>: <c>BEGIN</c>, the signed
    /// context, the commands <paramref name="addWork"/> adds and <c>COMMIT</c> travel as one batch, for hot paths
    /// whose work is a single statement that decides everything itself (no reading, deciding and writing in C#).
    /// <paramref name="read"/> gets the reader on the first work command's results. The same retry rules as
    /// <see cref="InTenantAsync{T}(RadiantCaller, Func{NpgsqlConnection, NpgsqlTransaction, Task{T}}, CancellationToken)"/>:
    /// an error a work command reported (the server rolled back) may run again; a broken connection or a failed
    /// <c>COMMIT</c> never, since the commit may have happened (<see cref="CommitMayHaveHappened"/>).
    /// </summary>
    public Task<T> InTenantOneTripAsync<T>(
        Guid tenantId,
        Guid? userId,
        Action<NpgsqlBatch> addWork,
        Func<NpgsqlDataReader, CancellationToken, Task<T>> read,
        CancellationToken cancellationToken)
    {
        var claim = SessionKeys.Claim(tenantId, userId, "");
        return TranslateUnavailable(_retry.ExecuteAsync(
            async ct =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                await SessionKeys.EnsureRegisteredAsync(connection, Schema, ct);
                await using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN ISOLATION LEVEL READ COMMITTED"));
                if (_setRoleSql is not null)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(_setRoleSql));
                }

                var enter = new NpgsqlBatchCommand(_enterSql);
                AddContext(enter.Parameters, connection, claim);
                batch.BatchCommands.Add(enter);
                addWork(batch);
                var commit = new NpgsqlBatchCommand("COMMIT");
                batch.BatchCommands.Add(commit);
                try
                {
                    await using var reader = await batch.ExecuteReaderAsync(ct);
                    // The reader starts on enter_context's (void) row; the work's results follow.
                    await reader.NextResultAsync(ct);
                    var result = await read(reader, ct);
                    while (await reader.NextResultAsync(ct))
                    {
                    }

                    return result;
                }
                catch (PostgresException e) when (e.BatchCommand != commit)
                {
                    // A command before COMMIT failed: the server skipped the rest and the transaction is aborted.
                    await RollBackQuietlyAsync(connection);
                    if (e.BatchCommand == enter && e.SqlState == SessionKeys.BadSignature)
                    {
                        SessionKeys.Forget(connection, Schema);
                        e.Data[KeyLost] = true;
                        throw;
                    }

                    if (PostgresErrors.IsRefusedValue(e))
                    {
                        throw PostgresErrors.ToValidationError(e);
                    }

                    throw;
                }
                catch (Exception e) when (e is not PostgresException || ((PostgresException)e).BatchCommand == commit)
                {
                    // The connection broke or COMMIT itself failed: the commit may have happened.
                    e.Data[CommitStarted] = true;
                    throw;
                }
            },
            cancellationToken).AsTask());
    }

    /// <summary>
    /// True when a failed transaction may nevertheless have committed (its connection broke or its commit failed): its
    /// work must not be run again, nor reported as not done.
    /// </summary>
    public static bool CommitMayHaveHappened(Exception exception) =>
        exception.Data[CommitStarted] is true || exception is Radiant.Errors.RadiantUnavailableException { OutcomeUnknown: true };

    /// <summary>Runs <paramref name="work"/> in a transaction with no tenant set: tenant tables show nothing.</summary>
    public Task<T> WithoutTenantAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(_dataSource, _enterAsAppSql, SessionKeys.Claim(null, null, ""), work, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction in one of Radiant's cross-tenant <see cref="RadiantScope"/>s; the
    /// scheduler's on the worker pool.
    /// </summary>
    public Task<T> InScopeAsync<T>(RadiantScope scope, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(scope == RadiantScope.Scheduler ? _workerDataSource : _dataSource, _enterAsAppSql, SessionKeys.Claim(null, null, ScopeName(scope)), work, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> as the schema owner (the migration login, without switching to the application
    /// role) in the <see cref="RadiantScope.System"/> scope: the one way to write the global catalogue, which the
    /// application role may only read. Tenant rows are still written with <see cref="EnterTenantAsync"/>, since
    /// row-level security is forced on the owner too.
    /// </summary>
    public Task<T> AsSchemaOwnerAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(_ownerDataSource, _enterSql, SessionKeys.Claim(null, null, ScopeName(RadiantScope.System)), work, cancellationToken);

    /// <summary>
    /// Within a scoped transaction, confines what follows to one tenant (its scope left): how a cross-tenant job writes
    /// each tenant's rows under the ordinary tenant policies. The context can change inside a transaction; each
    /// statement reads it when it starts.
    /// </summary>
    public async Task EnterTenantAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_enterSql, connection, transaction);
        AddContext(command.Parameters, connection, SessionKeys.Claim(tenantId, null, ""));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The batch form of <see cref="EnterTenantAsync"/>, for work that batches many tenants in one round trip; with a
    /// <paramref name="userId"/>, the commands after it act as that user of the tenant (rows only their owner may write).
    /// </summary>
    public NpgsqlBatchCommand TenantCommand(NpgsqlConnection connection, Guid tenantId, Guid? userId = null)
    {
        var command = new NpgsqlBatchCommand(_enterSql);
        AddContext(command.Parameters, connection, SessionKeys.Claim(tenantId, userId, ""));
        return command;
    }

    private static void AddContext(NpgsqlParameterCollection parameters, NpgsqlConnection connection, string claim)
    {
        parameters.Add(new NpgsqlParameter<string>("claim", claim));
        parameters.Add(new NpgsqlParameter<byte[]>("signature", SessionKeys.Sign(connection.ProcessID, claim)));
    }

    private static async Task RollBackQuietlyAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The connection is unusable: the pool discards it, and the server rolls back with the session.
        }
    }

    private static string ScopeName(RadiantScope scope) => scope switch
    {
        RadiantScope.System => "system",
        RadiantScope.Scheduler => "scheduler",
        RadiantScope.Outbox => "outbox",
        _ => throw new ArgumentOutOfRangeException(nameof(scope)),
    };

    private static bool IsRetryable(Exception e) =>
        e.Data[CommitStarted] is not true
        && (e is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected }
                or NpgsqlException { IsTransient: true, InnerException: not TimeoutException }
                or StaleSessionKeyException
            || e.Data[KeyLost] is true);

    private Task<T> RunAsync<T>(
        NpgsqlDataSource dataSource,
        string enterSql,
        string claim,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken) =>
        TranslateUnavailable(_retry.ExecuteAsync(
            async ct =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                await SessionKeys.EnsureRegisteredAsync(connection, Schema, ct);
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                await using (var enter = new NpgsqlCommand(enterSql, connection, transaction))
                {
                    AddContext(enter.Parameters, connection, claim);
                    try
                    {
                        await enter.ExecuteNonQueryAsync(ct);
                    }
                    catch (PostgresException e) when (e.SqlState == SessionKeys.BadSignature)
                    {
                        // The server lost this backend's key (a restored database, a truncated table): register again.
                        // Only here: a bad signature inside the work is the work's own doing and is not retried.
                        SessionKeys.Forget(connection, Schema);
                        e.Data[KeyLost] = true;
                        throw;
                    }
                }

                T result;
                try
                {
                    result = await work(connection, transaction);
                }
                catch (PostgresException e) when (PostgresErrors.IsRefusedValue(e))
                {
                    // Validation should have refused the value before the database did; keep the gap a 400, not a 500.
                    throw PostgresErrors.ToValidationError(e);
                }

                try
                {
                    await transaction.CommitAsync(ct);
                }
                catch (Exception e)
                {
                    e.Data[CommitStarted] = true;
                    throw;
                }

                return result;
            },
            cancellationToken).AsTask());

    [LoggerMessage(Level = LogLevel.Warning, Message = "A transaction failed before its commit with a transient error; running it again (attempt {Attempt}) in {Delay}")]
    private partial void LogRetry(Exception? exception, int attempt, TimeSpan delay);
}
