using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Radiant.Common;
using Radiant.Hosting;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;
using Radiant.Scheduling;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Tenancy;

/// <summary>NOTIFY channel names fit PostgreSQL's 63-byte identifiers whatever the schema name (up to 63 characters).</summary>
public sealed class ChannelNameTests(PostgresServer server)
{
    private const string LongPrefix = "radiant_a_schema_name_that_uses_every_byte_postgres_allows_";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void A_schema_name_that_fits_keeps_the_plain_schema_underscore_purpose_channel()
    {
        Assert.Equal("radiant_pricing", RadiantChannels.For("radiant", "pricing"));
        Assert.Equal("radiant_schedules", RadiantChannels.For("radiant", "schedules"));
        var longest = new string('s', RadiantChannels.MaxLength - "_pricing".Length);
        Assert.Equal(longest + "_pricing", RadiantChannels.For(longest, "pricing"));
    }

    [Fact]
    public void Channels_of_every_schema_length_up_to_63_fit_in_63_bytes_end_with_their_purpose_and_differ_per_purpose()
    {
        for (var length = 1; length <= 63; length++)
        {
            var schema = (LongPrefix + new string('z', 63))[..length];
            var pricing = RadiantChannels.For(schema, "pricing");
            var schedules = RadiantChannels.For(schema, "schedules");

            Assert.True(Encoding.UTF8.GetByteCount(pricing) <= 63, $"{pricing} ({pricing.Length})");
            Assert.True(Encoding.UTF8.GetByteCount(schedules) <= 63, $"{schedules} ({schedules.Length})");
            Assert.EndsWith("_pricing", pricing, StringComparison.Ordinal);
            Assert.EndsWith("_schedules", schedules, StringComparison.Ordinal);
            Assert.NotEqual(pricing, schedules);
            Assert.Equal(pricing, RadiantChannels.For(schema, "pricing"));
        }
    }

    [Fact]
    public void Two_long_schemas_sharing_a_prefix_get_different_channels()
    {
        var first = LongPrefix + "0001";
        var second = LongPrefix + "0002";
        Assert.Equal(63, first.Length);

        Assert.NotEqual(RadiantChannels.For(first, "pricing"), RadiantChannels.For(second, "pricing"));
        Assert.NotEqual(RadiantChannels.For(first, "schedules"), RadiantChannels.For(second, "schedules"));
        Assert.StartsWith(first[..20], RadiantChannels.For(first, "schedules"), StringComparison.Ordinal);
        Assert.Equal(63, RadiantChannels.For(first, "schedules").Length);
    }

    [Fact]
    public async Task With_a_63_character_schema_a_schedule_is_created_and_its_run_now_wakes_an_idle_worker_through_notify()
    {
        var schema = LongPrefix + "wake";
        Assert.Equal(63, schema.Length);
        var connectionString = await server.CreateDatabaseAsync("long_schema", Ct);
        await using var peer = await ChatPeer.StartAsync("model");
        peer.Script = _ => new PeerReply.Answer("woken by a notification");

        // The service host: migrates the long schema and syncs the catalogue (which notifies the pricing channel).
        await using var api = await StartAsync(connectionString, schema, radiant => radiant.AddScheduler());
        // The worker host: neither its poll nor a lease expiry can wake it during this test; only a notification can.
        await using var worker = await StartAsync(connectionString, schema, radiant => radiant.AddSchedulerWorker(o =>
        {
            o.PollInterval = TimeSpan.FromMinutes(30);
            o.LeaseDuration = TimeSpan.FromMinutes(30);
            o.HeartbeatInterval = TimeSpan.FromMinutes(5);
        }), services => services.AddKeyedChatClient("openai", peer.CreateChatClient()));

        var user = new RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await api.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(user, "long@example.test", "Long Schema"), Ct);
        var caller = user;
        var schedules = api.GetRequiredService<IScheduleService>();
        var schedule = await schedules.CreateAsync(caller,
            new ScheduleCreate("long schema", "Answer now", "gpt-4o", ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) }, Ct);
        var requested = await schedules.RunNowAsync(caller, schedule.Id, Ct);

        var run = await Poll.ForAsync(
            () => schedules.GetRunAsync(caller, schedule.Id, requested.Id, Ct),
            r => r.Status is ScheduleRunStatus.Completed or ScheduleRunStatus.Failed,
            "the run-now run to finish",
            TimeSpan.FromSeconds(20));

        Assert.Equal(ScheduleRunStatus.Completed, run.Status);
        Assert.Equal("woken by a notification", run.Output);
        Assert.Equal(1, peer.RequestCount);
        Assert.Single((await schedules.ListRunsAsync(caller, schedule.Id, new PageRequest(Limit: 10), Ct)).Items);
    }

    private static async Task<StartedHost> StartAsync(
        string connectionString, string schema, Action<IRadiantBuilder> radiant, Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        radiant(services.AddRadiant().UseTestPostgres(connectionString, o => o.Schema = schema));
        more?.Invoke(services);
        var host = new StartedHost(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        await host.StartAsync();
        return host;
    }

    /// <summary>A built provider whose hosted services were started; stopped in reverse order, then disposed.</summary>
    private sealed class StartedHost(ServiceProvider provider) : IAsyncDisposable
    {
        private readonly List<IHostedService> _started = [];

        public T GetRequiredService<T>()
            where T : notnull => provider.GetRequiredService<T>();

        public async Task StartAsync()
        {
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(Ct);
                _started.Add(hosted);
            }
        }

        public async ValueTask DisposeAsync()
        {
            for (var i = _started.Count - 1; i >= 0; i--)
            {
                await _started[i].StopAsync(CancellationToken.None);
            }

            await provider.DisposeAsync();
        }
    }
}
