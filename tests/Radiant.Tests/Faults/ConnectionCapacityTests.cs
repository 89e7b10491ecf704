using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Faults;

/// <summary>A cluster accepting 20 connections (17 for ordinary logins), as a small managed server might.</summary>
public sealed class SmallCluster : FaultCluster
{
    protected override int MaxConnections => 20;
}

/// <summary>
/// The pool Radiant builds leaves room below the server's limit, and a pool that could outgrow the server is a
/// start-up warning with the numbers.
/// </summary>
public sealed class ConnectionCapacityTests(SmallCluster cluster) : IClassFixture<SmallCluster>
{
    [Theory]
    [InlineData("", RadiantDataSources.DefaultMaxPoolSize)]
    [InlineData(";Maximum Pool Size=7", 7)]
    [InlineData(";MaxPoolSize=7", 7)]
    [InlineData(";Minimum Pool Size=30", 30)]
    public async Task A_pool_built_from_a_connection_string_holds_20_unless_the_string_says_otherwise(string setting, int expected)
    {
        await using var services = UnavailableDatabaseTests.Services(cluster.AdminConnectionString + setting);

        var pool = new NpgsqlConnectionStringBuilder(services.GetRequiredService<RadiantDataSources>().App.ConnectionString);

        Assert.Equal(expected, pool.MaxPoolSize);
    }

    [Theory]
    [InlineData(40, LogLevel.Warning, "Radiant's connection pool may open 40 connections, but PostgreSQL accepts 17 from ordinary logins (max_connections 20 - superuser_reserved_connections 3 - reserved_connections 0 = 17)")]
    [InlineData(null, LogLevel.Warning, "Radiant's connection pool may open 20 connections, but PostgreSQL accepts 17 from ordinary logins")]
    [InlineData(10, LogLevel.Information, "Radiant's connection pool may open 10 of the 17 connections PostgreSQL accepts")]
    public async Task Start_up_compares_the_pool_with_the_servers_connection_limit(int? maxPoolSize, LogLevel level, string message)
    {
        var connectionString = await cluster.CreateDatabaseAsync("capacity");
        if (maxPoolSize is { } size)
        {
            connectionString = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = size }.ConnectionString;
        }

        var log = new RecordedLog();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(log).SetMinimumLevel(LogLevel.Information));
        services.AddRadiant().UseTestPostgres(connectionString).AddPersonas();
        await using var provider = services.BuildServiceProvider();
        await RadiantDatabase.StartAsync(provider);

        var entry = Assert.Single(log.Entries, e => e.Category == typeof(ConnectionCapacityCheck).FullName);
        Assert.Equal(level, entry.Level);
        Assert.StartsWith(message, entry.Message, StringComparison.Ordinal);
    }
}
