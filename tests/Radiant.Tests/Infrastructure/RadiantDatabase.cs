using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.FocusModes;
using Radiant.Personas;
using Radiant.Tenancy;

namespace Radiant.Tests.Infrastructure;

/// <summary>
/// A fresh database per test class, migrated through Radiant's own start-up path, with the services built the way a
/// host builds them. Tests create their own tenants with <see cref="NewUserAsync"/>, so they never share rows.
/// </summary>
public sealed class RadiantDatabase(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;

    public string ConnectionString { get; private set; } = "";

    public PostgresServer Server => server;

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public IPersonaService Personas => Services.GetRequiredService<IPersonaService>();

    public IFocusModeService FocusModes => Services.GetRequiredService<IFocusModeService>();

    public ITenantDirectory Directory => Services.GetRequiredService<ITenantDirectory>();

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("svc", TestContext.Current.CancellationToken);
        _services = await BuildAsync(ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    /// <summary>Builds a service provider like a host would and runs Radiant's start-up (migrations, RLS check, catalogue sync, pricing engine).</summary>
    public static async Task<ServiceProvider> BuildAsync(string connectionString, Action<RadiantPostgresOptions>? configure = null, bool adminLogin = false)
    {
        var provider = Build(connectionString, configure, adminLogin);
        await StartAsync(provider);
        return provider;
    }

    /// <summary>
    /// Builds the service provider without running Radiant's start-up, as a deployment step does that only resolves
    /// <c>IRadiantSchemaMigrator</c>; <see cref="StartAsync"/> starts it later. The hosts connect with
    /// <see cref="TestLogins"/>, unless <paramref name="adminLogin"/> has them use the admin (superuser) connection
    /// string for everything, as a development host does (for clusters without the test logins).
    /// </summary>
    public static ServiceProvider Build(string connectionString, Action<RadiantPostgresOptions>? configure = null, bool adminLogin = false)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var radiant = services.AddRadiant();
        if (adminLogin)
        {
            radiant.UsePostgres(connectionString, o =>
            {
                o.AllowPrivilegedLogin = true;
                configure?.Invoke(o);
            });
        }
        else
        {
            radiant.UseTestPostgres(connectionString, configure);
        }

        radiant.AddFocusModes().AddPersonas().AddTeams().AddPricing().AddModelSelection();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>Runs the hosted services' start (Radiant's start-up first), as a host does.</summary>
    public static async Task StartAsync(IServiceProvider provider)
    {
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }
    }

    /// <summary>Provisions a new user, in a new tenant unless one is given.</summary>
    public async Task<RadiantCaller> NewUserAsync(Guid? tenantId = null)
    {
        var user = new RadiantCaller(tenantId ?? Guid.NewGuid(), Guid.NewGuid());
        await Directory.EnsureUserAsync(new UserProfile(user, $"{user.UserId:N}@example.test", "Test User"), TestContext.Current.CancellationToken);
        return user;
    }

    /// <summary>Opens a raw connection as the database owner (superuser in tests).</summary>
    public async Task<NpgsqlConnection> OpenOwnerConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }
}
