using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.FocusModes;
using Radiant.Personas;
using Radiant.Postgres.Scheduling;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Scheduling;
using Radiant.Teams;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Hosting;

/// <summary>Each Add... registers exactly its feature, in any order, once; options bind from configuration; data sources come from the host.</summary>
public sealed class RegistrationTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Type[] OtherFeatures =
        [typeof(IScheduleService), typeof(IPricingAdminService), typeof(IPricingEngine), typeof(IModelRegistry), typeof(ITeamService), typeof(ITeamUsageNotifier), typeof(IPriceChangeNotifier)];

    [Fact]
    public void A_host_that_adds_only_personas_has_no_scheduler_pricing_or_team_services_or_workers()
    {
        var services = new ServiceCollection();
        services.AddRadiant().UsePostgres("Host=localhost").AddPersonas();

        Assert.Single(services, d => d.ServiceType == typeof(IPersonaService));
        Assert.Single(services, d => d.ServiceType == typeof(IFocusModeService)); // a persona's prompt can add a focus mode
        Assert.DoesNotContain(services, d => OtherFeatures.Contains(d.ServiceType));
        var workers = services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name != "HealthCheckPublisherHostedService")
            .Select(d => d.ImplementationType?.Name ?? "factory").ToList();
        Assert.Equal(["RadiantStartup"], workers);
    }

    [Fact]
    public void Features_register_the_same_whatever_the_order_and_once_when_repeated()
    {
        var providerFirst = new ServiceCollection();
        providerFirst.AddRadiant().UsePostgres("Host=localhost").AddTeams().AddScheduler();
        var featuresFirst = new ServiceCollection();
        featuresFirst.AddRadiant().AddScheduler().AddTeams().UsePostgres("Host=localhost");
        var repeated = new ServiceCollection();
        repeated.AddRadiant().AddScheduler().UsePostgres("Host=localhost").AddTeams();
        repeated.AddRadiant().UsePostgres("Host=localhost").AddTeams().AddScheduler().AddPricing();

        // Repeated calls add their configure callbacks (the last one wins), nothing else.
        static string[] Shape(ServiceCollection services) =>
            [.. services.Where(d => !d.ServiceType.Name.StartsWith("IConfigureOptions", StringComparison.Ordinal))
                .Select(d => $"{d.ServiceType.Name}->{d.ImplementationType?.Name ?? (d.ImplementationInstance is null ? "factory" : "instance")}")
                .Order(StringComparer.Ordinal)];

        Assert.Equal(Shape(providerFirst), Shape(featuresFirst));
        Assert.Equal(Shape(providerFirst), Shape(repeated));
        Assert.Single(providerFirst, d => d.ServiceType == typeof(IScheduleService));
        Assert.Single(providerFirst, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "TeamPeriodWorker");
        // Registered by factory: the pricing engine and the host's one notification listener.
        Assert.Equal(2, providerFirst.Count(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType is null));
        Assert.Single(providerFirst, d => d.ServiceType == typeof(Radiant.Postgres.Tenancy.RadiantListener));
        Assert.DoesNotContain(providerFirst, d => d.ServiceType == typeof(IPersonaService));
    }

    [Fact]
    public async Task Features_without_a_storage_provider_fail_at_start_saying_what_to_call()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddRadiant().AddPersonas();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("UsePostgres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scheduler_worker_without_the_postgres_provider_fails_at_start_saying_what_to_call()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddRadiant().AddSchedulerWorker();
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(Ct));

        Assert.Contains("UsePostgres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_bind_from_the_configuration_given_to_AddRadiant_and_code_wins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Radiant:Postgres:ConnectionString"] = "Host=db.example;Database=radiant",
            ["Radiant:Postgres:Schema"] = "tenants_ai",
            ["Radiant:Postgres:PricingRefreshInterval"] = "00:00:45",
            ["Radiant:SchedulerWorker:MaxConcurrentRuns"] = "7",
            ["Radiant:SchedulerWorker:PollInterval"] = "00:00:02",
        }).Build();
        var services = new ServiceCollection();
        services.AddRadiant(configuration.GetSection("Radiant"))
            .UsePostgres(o => o.ApplicationRole = "tenants_ai_app")
            .AddSchedulerWorker(o => o.PollInterval = TimeSpan.FromSeconds(3));
        using var provider = services.BuildServiceProvider();

        var postgres = provider.GetRequiredService<IOptions<RadiantPostgresOptions>>().Value;
        var worker = provider.GetRequiredService<IOptions<SchedulerWorkerOptions>>().Value;

        Assert.Equal(("Host=db.example;Database=radiant", "tenants_ai", "tenants_ai_app", TimeSpan.FromSeconds(45)),
            (postgres.ConnectionString, postgres.Schema, postgres.ApplicationRole, postgres.PricingRefreshInterval));
        Assert.Equal((7, TimeSpan.FromSeconds(3)), (worker.MaxConcurrentRuns, worker.PollInterval));
    }

    [Fact]
    public async Task An_out_of_range_bound_option_fails_at_start_naming_it()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Radiant:Postgres:PricingRefreshInterval"] = "02:00:00" });
        builder.Services.AddRadiant(builder.Configuration.GetSection("Radiant")).UsePostgres("Host=127.0.0.1;Database=unused");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("PricingRefreshInterval", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("radiant")]
    public async Task The_data_source_registered_in_the_container_is_used(string? key)
    {
        var connectionString = await server.CreateDatabaseAsync("di_source", Ct);
        var services = new ServiceCollection();
        services.AddLogging();
        var dataSource = NpgsqlDataSource.Create(TestLogins.ServiceConnectionString(connectionString));
        if (key is null)
        {
            services.AddSingleton(dataSource);
        }
        else
        {
            services.AddKeyedSingleton(key, dataSource);
        }

        services.AddRadiant().UsePostgres(o =>
        {
            o.DataSourceKey = key;
            o.MigrationConnectionString = TestLogins.OwnerConnectionString(connectionString);
        }).AddPersonas();
        await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }))
        {
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(Ct);
            }

            var user = RadiantCaller.ForUser(Guid.NewGuid(), Guid.NewGuid());
            await provider.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(user), Ct);
            await provider.GetRequiredService<IPersonaService>().CreateAsync(user, new PersonaCreate("A", "p"), Ct);
        }

        // Still the host's: usable after Radiant's container is gone; and Radiant wrote through it.
        await using (var command = dataSource.CreateCommand("SELECT session_user::text"))
        {
            Assert.Equal(TestLogins.Service, await command.ExecuteScalarAsync(Ct));
        }

        await dataSource.DisposeAsync();
        await using var admin = new NpgsqlConnection(connectionString);
        await admin.OpenAsync(Ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM radiant.user_personas", admin);
        Assert.Equal(1L, await count.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task The_data_source_Radiant_builds_uses_the_hosts_logger_factory_and_builder_callback()
    {
        var connectionString = await server.CreateDatabaseAsync("built_source", Ct);
        var logged = new CollectingLoggerProvider();
        var callbackRan = false;
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logged).SetMinimumLevel(LogLevel.Debug));
        services.AddRadiant().UsePostgres(TestLogins.ServiceConnectionString(connectionString), o => o.MigrationConnectionString = TestLogins.OwnerConnectionString(connectionString), b =>
        {
            callbackRan = true;
            b.ConnectionStringBuilder.ApplicationName = "radiant-registration-test";
        }).AddFocusModes();
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(Ct);
        }

        await provider.GetRequiredService<IFocusModeService>().ListAsync(RadiantCaller.ForUser(Guid.NewGuid(), Guid.NewGuid()), cancellationToken: Ct);

        Assert.True(callbackRan);
        Assert.Contains(logged.Categories, c => c.StartsWith("Npgsql", StringComparison.Ordinal));
        await using var owner = new NpgsqlConnection(connectionString);
        await owner.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'radiant-registration-test'", owner);
        Assert.True((long)(await command.ExecuteScalarAsync(Ct))! >= 1, "Radiant's pooled connection carries the callback's application name");
    }

    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _categories = new();

        public IEnumerable<string> Categories => _categories.Keys;

        public ILogger CreateLogger(string categoryName)
        {
            _categories.TryAdd(categoryName, true);
            return Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        }

        public void Dispose()
        {
        }
    }
}
