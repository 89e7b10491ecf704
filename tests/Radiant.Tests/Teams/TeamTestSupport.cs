using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Teams;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Teams;

/// <summary>A team set up for a test: its owner, the plan, and members who accepted their invitation.</summary>
public sealed record TestTeam(RadiantCaller Owner, TeamPlan Plan, IReadOnlyList<RadiantCaller> Members)
{
    public Guid Id => Plan.Id;

    public Guid TenantId => Owner.TenantId;
}

/// <summary>The outcome of one of many concurrent calls.</summary>
public sealed record Outcome<T>(T? Value, Exception? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>Helpers shared by the team tests: setting teams up, raw SQL as the application role, concurrency.</summary>
public static class TeamTestSupport
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TeamCreate Plan(int maxMembers = 10, long pool = 10_000, bool shared = true, string name = "Household") =>
        new(name, TeamPlanType.Family, maxMembers, pool, shared, "billing@example.test");

    /// <summary>Creates a plan owned by a new user of a new tenant (or <paramref name="owner"/>) with <paramref name="members"/> accepted members.</summary>
    public static async Task<TestTeam> CreateTeamAsync(
        ITeamService teams, Func<Guid?, Task<RadiantCaller>> newUser, TeamCreate create, int members = 0, RadiantCaller? owner = null)
    {
        var o = owner ?? await newUser(null);
        var plan = await teams.CreateAsync(o, create, Ct);
        var added = new List<RadiantCaller>();
        for (var i = 0; i < members; i++)
        {
            added.Add(await AddMemberAsync(teams, o, plan.Id, await newUser(o.TenantId)));
        }

        return new TestTeam(o, plan, added);
    }

    /// <summary>Invites a user and has them accept.</summary>
    public static async Task<RadiantCaller> AddMemberAsync(ITeamService teams, RadiantCaller inviter, Guid teamId, RadiantCaller user, TeamRole role = TeamRole.Member)
    {
        await teams.InviteAsync(inviter, teamId, new TeamInvitation(user.UserId, role), Ct);
        await teams.AcceptInvitationAsync(user, teamId, Ct);
        return user;
    }

    /// <summary>Sets a member's allocation (as the owner).</summary>
    public static Task<TeamMember> AllocateAsync(ITeamService teams, TestTeam team, RadiantCaller member, long? allocation) =>
        teams.UpdateMemberAsync(team.Owner, team.Id, member.UserId, new TeamMemberUpdate { TokenAllocation = allocation }, Ct);

    /// <summary>A scalar from raw SQL run as the application role with the tenant set (RLS applies).</summary>
    public static async Task<long> ScalarAsAppAsync(string connectionString, Guid tenantId, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var transaction = await RawSql.BeginAsAppAsync(connection, tenantId, null);
        return await RawSql.CountAsync(connection, transaction, sql);
    }

    /// <summary>Runs a statement as the application role with the tenant set, and commits.</summary>
    public static async Task<int> ExecuteAsAppAsync(string connectionString, Guid tenantId, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var transaction = await RawSql.BeginAsAppAsync(connection, tenantId, null);
        var rows = await RawSql.ExecuteAsync(connection, transaction, sql);
        await transaction.CommitAsync(Ct);
        return rows;
    }

    /// <summary>Active owners of the team, counted by the application role; always exactly 1.</summary>
    public static Task<long> ActiveOwnersAsync(string connectionString, TestTeam team) =>
        ScalarAsAppAsync(connectionString, team.TenantId, $"select count(*) from radiant.team_members where role='owner' and status='active' and team_id = '{team.Id}'");

    public static async Task AssertOneOwnerAsync(string connectionString, TestTeam team) =>
        Assert.Equal(1, await ActiveOwnersAsync(connectionString, team));

    public static Task<long> LogRowsAsync(string connectionString, TestTeam team) =>
        ScalarAsAppAsync(connectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_usage_log WHERE team_id = '{team.Id}'");

    public static Task<long> LoggedTokensAsync(string connectionString, TestTeam team) =>
        ScalarAsAppAsync(connectionString, team.TenantId, $"SELECT coalesce(sum(tokens_used), 0) FROM radiant.team_usage_log WHERE team_id = '{team.Id}'");

    public static Task<long> TeamUsedAsync(string connectionString, TestTeam team) =>
        ScalarAsAppAsync(connectionString, team.TenantId, $"SELECT tokens_used_this_period FROM radiant.team_plans WHERE id = '{team.Id}'");

    public static Task<long> MemberUsedAsync(string connectionString, TestTeam team, RadiantCaller member) =>
        ScalarAsAppAsync(connectionString, team.TenantId, $"SELECT tokens_used_this_period FROM radiant.team_members WHERE team_id = '{team.Id}' AND user_id = '{member.UserId}'");

    /// <summary>
    /// Makes the team's current period due: moves its start and anchor back (a month unless <paramref name="back"/>
    /// says otherwise, as a PostgreSQL interval) and its end just before now (as the application role, with the tenant
    /// set). Moved back exactly a month, the next period starts where the original one did; moved back a month and a
    /// day, it starts a day earlier, so nothing recorded in the original period shares its start.
    /// </summary>
    public static Task MakePeriodDueAsync(string connectionString, TestTeam team, string back = "1 month") =>
        ExecuteAsAppAsync(
            connectionString,
            team.TenantId,
            $"""
             UPDATE radiant.team_plans SET current_period_start = current_period_start - interval '{back}',
                 current_period_end = now() - interval '1 second', period_anchor = period_anchor - interval '{back}'
             WHERE id = '{team.Id}'
             """);

    /// <summary>Runs every call at once on the thread pool (each call opens its own connection and transaction).</summary>
    public static async Task<Outcome<T>[]> InParallelAsync<T>(int count, Func<int, Task<T>> call)
    {
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            try
            {
                return new Outcome<T>(await call(i), null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new Outcome<T>(default, e);
            }
        }, Ct)).ToArray();
        return await Task.WhenAll(tasks);
    }
}

/// <summary>A notifier that keeps every warning it is given.</summary>
public sealed class CollectingTeamNotifier : ITeamUsageNotifier
{
    private readonly ConcurrentQueue<TeamUsageWarning> _warnings = new();

    public Task NotifyAsync(TeamUsageWarning warning, CancellationToken cancellationToken = default)
    {
        _warnings.Enqueue(warning);
        return Task.CompletedTask;
    }

    public IReadOnlyList<TeamUsageWarning> For(Guid teamId) => _warnings.Where(w => w.TeamId == teamId).ToList();
}

/// <summary>
/// A database of its own with team services whose usage warnings go to a <see cref="CollectingTeamNotifier"/>, and
/// whose period worker is off (so only the tests close periods) unless an instance asks for it.
/// </summary>
public sealed class TeamDatabase(PostgresServer server) : IAsyncLifetime
{
    private readonly List<ServiceProvider> _instances = [];
    private ServiceProvider? _services;

    public string ConnectionString { get; private set; } = "";

    public CollectingTeamNotifier Notifier { get; } = new();

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public ITeamService Teams => Services.GetRequiredService<ITeamService>();

    /// <summary>The warnings of a team the host's notifier received, once every queued notification was delivered.</summary>
    public async Task<IReadOnlyList<TeamUsageWarning>> WarningsAsync(Guid teamId)
    {
        Assert.True(await Radiant.Tests.Pricing.Eventually.TrueAsync(async () => await OutboxCountAsync() == 0, TimeSpan.FromSeconds(20)), "the outbox was not delivered");
        return Notifier.For(teamId);
    }

    private async Task<long> OutboxCountAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM radiant.outbox", connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("teams", TestContext.Current.CancellationToken);
        _services = await StartInstanceAsync();
    }

    /// <summary>
    /// Builds another host instance on the same database, with the collecting notifier registered before
    /// <c>UsePostgres</c> (which only adds the default when none is registered). <paramref name="configure"/> adds
    /// more services first (for example a fake clock); <paramref name="withWorker"/> enables the teams feature, whose
    /// worker closes ended periods. Instances are stopped and disposed with the fixture.
    /// </summary>
    public async Task<ServiceProvider> StartInstanceAsync(bool withWorker = false, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ITeamUsageNotifier>(Notifier);
        configure?.Invoke(services);
        services.AddRadiant()
            .UseTestPostgres(ConnectionString, o =>
            {
                o.TeamPeriodCheckInterval = TimeSpan.FromHours(1);
                o.RunTeamPeriodWorker = withWorker;
            })
            .AddTeams();

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        lock (_instances)
        {
            _instances.Add(provider);
        }

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(TestContext.Current.CancellationToken);
        }

        return provider;
    }

    /// <summary>Provisions a new user, in a new tenant unless one is given.</summary>
    public async Task<RadiantCaller> NewUserAsync(Guid? tenantId = null)
    {
        var user = new RadiantCaller(tenantId ?? Guid.NewGuid(), Guid.NewGuid());
        await Services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(
            new UserProfile(user, $"{user.UserId:N}@example.test", "Test User"), TestContext.Current.CancellationToken);
        return user;
    }

    public async ValueTask DisposeAsync()
    {
        List<ServiceProvider> instances;
        lock (_instances)
        {
            instances = [.. _instances];
            _instances.Clear();
        }

        foreach (var provider in Enumerable.Reverse(instances))
        {
            foreach (var hosted in provider.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await provider.DisposeAsync();
        }
    }
}

/// <summary>Completes a task when a log entry matching a condition is written (a signal to wait on instead of sleeping).</summary>
public sealed class SignalingLoggerProvider(Func<string, IReadOnlyList<KeyValuePair<string, object?>>, bool> match) : ILoggerProvider
{
    private readonly TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<string, IReadOnlyList<KeyValuePair<string, object?>>, bool> _match = match;

    public Task Signaled => _signal.Task;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(SignalingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            if (owner._match(formatter(state, exception), values))
            {
                owner._signal.TrySetResult();
            }
        }
    }
}
