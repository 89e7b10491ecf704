using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Analytics;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Analytics;

/// <summary>A database and a host's services with analytics; records are written as the application role with the times a test picks.</summary>
public sealed class AnalyticsFixture(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public IUsageAnalyticsService Analytics => Services.GetRequiredService<IUsageAnalyticsService>();

    public string ConnectionString { get; private set; } = "";

    /// <summary>"Now" for every range the service resolves (the database's clock otherwise).</summary>
    public static readonly DateTimeOffset Now = new(2030, 3, 15, 10, 30, 0, TimeSpan.Zero);

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("analytics", TestContext.Current.CancellationToken);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UseTestPostgres(ConnectionString).AddAnalytics();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _services.GetRequiredService<RadiantDb>().PinnedNow = () => Now;
        await RadiantDatabase.StartAsync(_services);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    public async Task<RadiantCaller> NewUserAsync(Guid? tenantId = null)
    {
        var user = new RadiantCaller(tenantId ?? Guid.NewGuid(), Guid.NewGuid());
        await Services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(
            new UserProfile(user, $"{user.UserId:N}@example.test", "Test User"), TestContext.Current.CancellationToken);
        return user;
    }

    public async Task<NpgsqlConnection> OpenOwnerConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>Writes records as the application role in one transaction (one statement each, so the trigger runs per record).</summary>
    public async Task AddAsync(Guid tenantId, params Rec[] records)
    {
        await using var connection = await OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, tenantId, null);
        foreach (var r in records)
        {
            await RawSql.ExecuteAsync(connection, tx, Insert,
                ("tenant", tenantId), ("request", r.RequestId ?? Guid.NewGuid().ToString()), ("attempt", (short)r.Attempt), ("user", r.UserId),
                ("team", (object?)r.TeamId ?? DBNull.Value), ("model", r.Model), ("provider", r.Provider), ("mode", (object?)r.Mode ?? DBNull.Value),
                ("input", r.Input), ("output", r.Output), ("charge", r.Charge), ("latency", r.LatencyMs), ("ttft", (object?)r.FirstTokenMs ?? DBNull.Value),
                ("outcome", r.Outcome), ("at", r.At));
        }

        await tx.CommitAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Several records in one INSERT statement (the trigger sees them all at once).</summary>
    public async Task AddBatchAsync(Guid tenantId, IReadOnlyList<Rec> records)
    {
        await using var connection = await OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, tenantId, null);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO radiant.usage_records (tenant_id, id, request_id, attempt, user_id, team_id, model_id, provider_id, domain_mode, routing_rule,
                input_tokens, output_tokens, charge, pricing_version, latency_ms, first_token_ms, outcome, created_at)
            SELECT @tenant, gen_random_uuid(), gen_random_uuid()::text, 1, u, t, m, p, d, 'requested', i, o, c, 1, l, f, x, a
            FROM unnest(@users, @teams, @models, @providers, @modes, @inputs, @outputs, @charges, @latencies, @ttfts, @outcomes, @ats)
                AS r (u, t, m, p, d, i, o, c, l, f, x, a)
            """, connection, tx);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("users", records.Select(r => r.UserId).ToArray());
        command.Parameters.AddWithValue("teams", records.Select(r => r.TeamId).ToArray());
        command.Parameters.AddWithValue("models", records.Select(r => r.Model).ToArray());
        command.Parameters.AddWithValue("providers", records.Select(r => r.Provider).ToArray());
        command.Parameters.AddWithValue("modes", records.Select(r => r.Mode).ToArray());
        command.Parameters.AddWithValue("inputs", records.Select(r => r.Input).ToArray());
        command.Parameters.AddWithValue("outputs", records.Select(r => r.Output).ToArray());
        command.Parameters.AddWithValue("charges", records.Select(r => r.Charge).ToArray());
        command.Parameters.AddWithValue("latencies", records.Select(r => r.LatencyMs).ToArray());
        command.Parameters.AddWithValue("ttfts", records.Select(r => r.FirstTokenMs).ToArray());
        command.Parameters.AddWithValue("outcomes", records.Select(r => r.Outcome).ToArray());
        command.Parameters.AddWithValue("ats", records.Select(r => r.At).ToArray());
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        await tx.CommitAsync(TestContext.Current.CancellationToken);
    }

    private const string Insert =
        """
        INSERT INTO radiant.usage_records (tenant_id, id, request_id, attempt, user_id, team_id, model_id, provider_id, domain_mode, routing_rule,
            input_tokens, output_tokens, charge, pricing_version, latency_ms, first_token_ms, outcome, created_at)
        VALUES (@tenant, gen_random_uuid(), @request, @attempt, @user, @team, @model, @provider, @mode, 'requested',
            @input, @output, @charge, 1, @latency, @ttft, @outcome, @at)
        """;

    /// <summary>A usage record to write.</summary>
    public sealed record Rec(
        Guid UserId, DateTimeOffset At, string Model = "gpt-4o", string Provider = "openai", int LatencyMs = 100, decimal Charge = 0.1m,
        int Input = 10, int Output = 20, string Outcome = "completed", Guid? TeamId = null, string? Mode = null, int? FirstTokenMs = null,
        string? RequestId = null, int Attempt = 1);
}
