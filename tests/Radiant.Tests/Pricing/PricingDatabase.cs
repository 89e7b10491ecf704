using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Pricing;

/// <summary>
/// A fresh database per test class with pricing (and so the registry) enabled: the built-in catalogue of 32 models is
/// synced at start-up and the pricing engine is loaded. Tests create their own tenants with <see cref="NewUserAsync"/>.
/// Tests that change the global catalogue take a database of their own with <see cref="CreateAsync"/>.
/// </summary>
public sealed class PricingDatabase(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;
    private Action<IServiceCollection>? _configureServices;
    private Action<RadiantPostgresOptions>? _configure;

    public string ConnectionString { get; private set; } = "";

    public PostgresServer Server => server;

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public IPricingAdminService Pricing => Services.GetRequiredService<IPricingAdminService>();

    public IModelRegistry Registry => Services.GetRequiredService<IModelRegistry>();

    public IPricingEngine Engine => Services.GetRequiredService<IPricingEngine>();

    public ITenantDirectory Directory => Services.GetRequiredService<ITenantDirectory>();

    /// <summary>A database of one's own (for tests that change the global catalogue), optionally with extra services.</summary>
    public static async Task<PricingDatabase> CreateAsync(
        PostgresServer server, Action<IServiceCollection>? configureServices = null, Action<RadiantPostgresOptions>? configure = null)
    {
        var db = new PricingDatabase(server) { _configureServices = configureServices, _configure = configure };
        await db.InitializeAsync();
        return db;
    }

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("pricing", TestContext.Current.CancellationToken);
        _services = await BuildAsync(ConnectionString, _configureServices, _configure);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    /// <summary>
    /// Builds another host instance on a database like a host would (pricing on) and starts every hosted service:
    /// migrations, the RLS check, the catalogue sync and the pricing engine. <paramref name="configureServices"/> runs
    /// before <c>UsePostgres</c>, so what it registers wins over the provider's TryAdd defaults.
    /// </summary>
    public static async Task<ServiceProvider> BuildAsync(
        string connectionString, Action<IServiceCollection>? configureServices = null, Action<RadiantPostgresOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configureServices?.Invoke(services);
        services.AddRadiant().UseTestPostgres(connectionString, configure).AddPricing();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return provider;
    }

    /// <summary>Provisions a new user, in a new tenant unless one is given.</summary>
    public async Task<RadiantCaller> NewUserAsync(Guid? tenantId = null)
    {
        var user = new RadiantCaller(tenantId ?? Guid.NewGuid(), Guid.NewGuid());
        await Directory.EnsureUserAsync(new UserProfile(user, $"{user.UserId:N}@example.test", "Test User"), TestContext.Current.CancellationToken);
        return user;
    }

    /// <summary>A new tenant that the engine already prices (at the defaults).</summary>
    public async Task<Guid> NewTenantAsync()
    {
        var tenant = (await NewUserAsync()).TenantId;
        await Engine.RefreshAsync(TestContext.Current.CancellationToken);
        await Eventually.QuoteAsync(Engine, tenant, "gpt-4o", 0, 0, _ => true);
        return tenant;
    }

    /// <summary>Waits until every queued notification was delivered (delivered rows leave the outbox).</summary>
    public async Task OutboxDrainedAsync() =>
        Assert.True(await Eventually.TrueAsync(async () => await ScalarAsync<long>("SELECT count(*) FROM radiant.outbox") == 0, TimeSpan.FromSeconds(20)),
            "the outbox was not delivered");

    /// <summary>Opens a raw connection as the database owner (superuser in tests: row-level security does not apply).</summary>
    public async Task<NpgsqlConnection> OpenOwnerConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>Runs a scalar query as the owner.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)Convert.ChangeType(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), typeof(T), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
