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
/// application role and sets <c>radiant.tenant_id</c> / <c>radiant.user_id</c> — or one of the
/// <see cref="RadiantScope"/>s — with <c>set_config(..., true)</c>, so row-level security applies and nothing outlives
/// the transaction on a pooled connection. No other class writes <c>set_config</c>.
/// </summary>
/// <remarks>
/// A transient failure before the commit (a serialization failure, a deadlock, a connection that broke) re-runs the
/// whole transaction, up to three times with jittered backoff: the work delegate must only touch the database, which
/// the rollback undid. A failure during the commit is never retried, since the commit may have happened.
/// </remarks>
internal sealed partial class RadiantDb
{
    private const string CommitStarted = "Radiant.CommitStarted";
    private const string EnterTenantSql = "SELECT set_config('radiant.tenant_id', @tenant, true), set_config('radiant.scope', '', true)";
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _setRole;
    private readonly string _tenantSql;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger<RadiantDb> _logger;

    public RadiantDb(RadiantDataSources dataSources, IOptions<RadiantPostgresOptions> options, TimeProvider time, ILogger<RadiantDb> logger)
    {
        _dataSource = dataSources.App;
        _logger = logger;
        var settings = options.Value;
        Schema = SqlIdentifier.Quote(settings.Schema);
        _setRole = settings.SwitchToApplicationRole ? $"SET LOCAL ROLE {SqlIdentifier.Quote(settings.ApplicationRole)};" : string.Empty;
        _tenantSql = _setRole + "SELECT set_config('radiant.tenant_id', @tenant, true), set_config('radiant.user_id', @user, true), set_config('radiant.scope', '', true)";
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

    /// <summary>The quoted schema name, for building SQL once per service.</summary>
    public string Schema { get; }

    /// <summary>Replaces <c>{schema}</c> in a SQL text with the quoted schema name.</summary>
    public string Sql(string text) => text.Replace("{schema}", Schema, StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="sql"/> preceded by the statement that enters <paramref name="scope"/>, for a command that must
    /// set its scope in the same round trip (the scheduler's claims). Its first result is that statement's row.
    /// </summary>
    public string InScope(RadiantScope scope, string sql) => $"SELECT set_config('radiant.scope', '{ScopeName(scope)}', true);\n" + Sql(sql);

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
        RunAsync(caller.TenantId.ToString(), caller.UserId.ToString(), null, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a transaction scoped to a tenant and, optionally, a user (Radiant's own jobs acting for a tenant).</summary>
    public Task<T> InTenantAsync<T>(Guid tenantId, Guid? userId, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(tenantId.ToString(), userId?.ToString() ?? string.Empty, null, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a transaction with no tenant set: tenant tables show nothing.</summary>
    public Task<T> WithoutTenantAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(string.Empty, string.Empty, null, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a transaction in one of Radiant's cross-tenant <see cref="RadiantScope"/>s.</summary>
    public Task<T> InScopeAsync<T>(RadiantScope scope, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(string.Empty, string.Empty, scope, work, cancellationToken);

    /// <summary>
    /// Within a scoped transaction, confines what follows to one tenant (its scope left): how a cross-tenant job writes
    /// each tenant's rows under the ordinary tenant policies. A setting made with <c>set_config(..., true)</c> can change
    /// inside a transaction; each statement reads it when it starts.
    /// </summary>
    public static async Task EnterTenantAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(EnterTenantSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId.ToString()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The batch form of <see cref="EnterTenantAsync"/>, for work that batches many tenants in one round trip.</summary>
    public static NpgsqlBatchCommand TenantCommand(Guid tenantId)
    {
        var command = new NpgsqlBatchCommand(EnterTenantSql);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId.ToString()));
        return command;
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
        && e is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected }
            or NpgsqlException { IsTransient: true, InnerException: not TimeoutException };

    private Task<T> RunAsync<T>(
        string tenant,
        string user,
        RadiantScope? scope,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken) =>
        TranslateUnavailable(_retry.ExecuteAsync(
            async ct =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                await using (var enter = new NpgsqlCommand(_tenantSql, connection, transaction))
                {
                    if (scope is { } s)
                    {
                        enter.CommandText = _setRole + $"SELECT set_config('radiant.tenant_id', '', true), set_config('radiant.user_id', '', true), set_config('radiant.scope', '{ScopeName(s)}', true)";
                    }
                    else
                    {
                        enter.Parameters.Add(new NpgsqlParameter<string>("tenant", tenant));
                        enter.Parameters.Add(new NpgsqlParameter<string>("user", user));
                    }

                    await enter.ExecuteNonQueryAsync(ct);
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
