using System.ClientModel;
using Dapper;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Chat;
using Radiant.Registry;
using Radiant.Teams;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Chat;

/// <summary>
/// A database and a host's services with the chat pipeline, every provider's chat client pointing at one local
/// OpenAI-compatible peer (the real OpenAI client over real HTTP), scriptable per request and model.
/// </summary>
public sealed class ChatFixture(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;

    public ChatPeer Peer { get; private set; } = null!;

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public IRadiantChat Chat => Services.GetRequiredService<IRadiantChat>();

    public ITeamService Teams => Services.GetRequiredService<ITeamService>();

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Peer = await ChatPeer.StartAsync("peer");
        ConnectionString = await server.CreateDatabaseAsync("chat", TestContext.Current.CancellationToken);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UseTestPostgres(ConnectionString).AddChat(o =>
            o.IsTransientFailure = e => RadiantChatOptions.IsTransientByDefault(e) || e is ClientResultException { Status: 429 or >= 500 });
        foreach (var provider in BuiltInCatalog.Catalog.Providers)
        {
            services.AddKeyedChatClient(provider.Id, _ => Peer.CreateChatClient());
        }

        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await RadiantDatabase.StartAsync(_services);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await Peer.DisposeAsync();
    }

    /// <summary>Provisions a new user, in a new tenant unless one is given.</summary>
    public async Task<RadiantCaller> NewUserAsync(Guid? tenantId = null)
    {
        var user = new RadiantCaller(tenantId ?? Guid.NewGuid(), Guid.NewGuid());
        await Services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(user, $"{user.UserId:N}@example.test", "Chat User"), TestContext.Current.CancellationToken);
        return user;
    }

    /// <summary>The tenant's usage records (of one request, if given), read with the admin login (a superuser: no row-level security).</summary>
    public async Task<IReadOnlyList<UsageRow>> UsageRecordsAsync(Guid tenantId, string? requestId = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return [.. await connection.QueryAsync<UsageRow>(
            """
            SELECT request_id AS RequestId, attempt AS Attempt, user_id AS UserId, team_id AS TeamId, model_id AS ModelId,
                   provider_id AS ProviderId, domain_mode AS DomainMode, routing_rule AS RoutingRule, input_tokens AS InputTokens,
                   output_tokens AS OutputTokens, charge AS Charge, pricing_version AS PricingVersion, outcome AS Outcome, error AS Error,
                   first_token_ms AS FirstTokenMs
            FROM radiant.usage_records WHERE tenant_id = @tenantId AND (@requestId::text IS NULL OR request_id = @requestId)
            ORDER BY request_id, attempt
            """,
            new { tenantId, requestId })];
    }

    public static RadiantChatRequest Ask(string text, string? model = null) => new([new RadiantChatMessage(ChatMessageRole.User, text)]) { ModelId = model };

    public sealed record UsageRow(
        string RequestId, short Attempt, Guid UserId, Guid? TeamId, string ModelId, string ProviderId, string? DomainMode, string RoutingRule,
        int InputTokens, int OutputTokens, decimal Charge, long PricingVersion, string Outcome, string? Error, int? FirstTokenMs);
}
