using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Postgres.Chat;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using Radiant.ThinkTank;

namespace Radiant.Tests.ThinkTank;

/// <summary>A database with the Think Tank users feature and the chat pipeline's usage recording, which tests call directly.</summary>
public sealed class ThinkTankFixture(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;

    public string ConnectionString { get; private set; } = "";

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public IThinkTankUserService Users => Services.GetRequiredService<IThinkTankUserService>();

    public ITenantDirectory Directory => Services.GetRequiredService<ITenantDirectory>();

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("ttusers", TestContext.Current.CancellationToken);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UseTestPostgres(ConnectionString).AddChat().AddThinkTankUsers();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await RadiantDatabase.StartAsync(_services);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    /// <summary>Provisions a user as the HTTP layer does.</summary>
    public async Task<RadiantCaller> UserAsync(Guid tenantId, string? email, string? name, SubscriptionTier? tier = null)
    {
        var user = new RadiantCaller(tenantId, Guid.NewGuid());
        await Directory.EnsureUserAsync(new UserProfile(user, email, name, Tier: tier), TestContext.Current.CancellationToken);
        return user;
    }

    /// <summary>Records one provider call for <paramref name="user"/> through the pipeline's own recording.</summary>
    public Task<bool> RecordAsync(RadiantCaller user, decimal charge, int input = 100, int output = 50, string? requestId = null, bool failed = false)
    {
        var db = Services.GetRequiredService<RadiantDb>();
        var usage = Services.GetRequiredService<UsageRecords>();
        var record = new UsageRecord(
            requestId ?? Guid.NewGuid().ToString("N"), 1, null, "gpt-4o", "openai", null, null, "requested", input, output, 0, failed ? 0 : charge, 1, 10, null,
            failed ? UsageOutcome.Failed : UsageOutcome.Completed, failed ? "failed" : null);
        return db.InTenantAsync(user, (connection, transaction) => usage.TryAddAsync(connection, transaction, user, record, CancellationToken.None), CancellationToken.None);
    }

    /// <summary>Runs SQL as the admin login (a superuser: row-level security does not apply).</summary>
    public async Task ExecuteAsync(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.ExecuteAsync(new CommandDefinition(sql, args, commandTimeout: 300, cancellationToken: TestContext.Current.CancellationToken));
    }

    public async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return (await connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, args, cancellationToken: TestContext.Current.CancellationToken)))!;
    }

    public async Task<List<T>> QueryAsync<T>(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return [.. await connection.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: TestContext.Current.CancellationToken))];
    }
}
