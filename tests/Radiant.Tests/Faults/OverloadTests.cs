using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Tests.Http;

namespace Radiant.Tests.Faults;

/// <summary>
/// More concurrent clients than connections (bounded, loopback only), half of them recording usage on one team: every
/// request is served or answered 503 with Retry-After — none 500 — whether the pool runs dry or the server refuses
/// connections because the pool is larger than it accepts (the pool of 100 against max_connections 100).
/// </summary>
public sealed class OverloadTests(SmallCluster cluster) : IClassFixture<SmallCluster>
{
    private const int Clients = 80;
    private const int RequestsPerClient = 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Eighty_clients_on_a_pool_of_five_with_a_one_second_wait_are_served_or_answered_503_never_500()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync("overload_pool")) { MaxPoolSize = 5, Timeout = 1 }.ConnectionString;
        var answers = await RunAsync(connectionString);

        AssertServedOr503(answers, "pool of 5");
    }

    [Fact]
    public async Task A_pool_larger_than_the_server_accepts_gets_too_many_clients_refusals_that_answer_503_never_500()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync("overload_server")) { MaxPoolSize = 60 }.ConnectionString;
        var answers = await RunAsync(connectionString, api =>
            Assert.Contains(api.Log.Entries, e => e.Exception?.Contains("53300", StringComparison.Ordinal) == true));

        AssertServedOr503(answers, "pool of 60 on a server accepting 20");
    }

    private static async Task<IReadOnlyList<Answer>> RunAsync(string connectionString, Action<FaultApi>? afterwards = null)
    {
        await using var api = await FaultApi.StartAsync(connectionString, radiant => radiant.AddTeams());
        var owner = RadiantApi.NewUser();
        using var client = api.As(owner);
        var created = await client.PostAsJsonAsync("/api/teams", new { name = "Load", type = "team", maxMembers = 10, totalTokensMonthly = 1_000_000_000_000L }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var team = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetGuid();
        var usage = $"/api/teams/{team}/usage";

        var answers = await Load.RunAsync(Clients, RequestsPerClient, i => i % 2 == 0
            ? client.PostAsJsonAsync(usage, new { tokens = 100, model = "gpt-4o", usageType = "chat" }, CancellationToken.None)
            : client.GetAsync("/api/personas?limit=5", CancellationToken.None));

        afterwards?.Invoke(api);
        UnavailableHttpTests.AssertNoErrorsLogged(api);
        return answers;
    }

    private static void AssertServedOr503(IReadOnlyList<Answer> answers, string what)
    {
        var served = answers.Count(a => a.Served);
        var refused = answers.Count(a => a.Status == HttpStatusCode.ServiceUnavailable);
        var said = string.Join("; ", answers.Where(a => !a.Served)
            .GroupBy(a => JsonDocument.Parse(a.Problem!).RootElement.GetProperty("detail").GetString())
            .Select(g => $"{g.Count()} × \"{g.Key}\""));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {answers.Count} requests from {Clients} clients, {served} served, {refused} answered 503, p50 {Load.Percentile(answers, 0.5).TotalMilliseconds:0} ms, p99 {Load.Percentile(answers, 0.99).TotalMilliseconds:0} ms; {said}"));
        Assert.Equal(Clients * RequestsPerClient, answers.Count);
        Assert.All(answers, a => Assert.True(a.Served || a.Status == HttpStatusCode.ServiceUnavailable, $"answered {a}"));
        Assert.All(answers.Where(a => !a.Served), a => Assert.True(a.RetryAfter > TimeSpan.Zero, $"503 without Retry-After: {a}"));
        Assert.True(served > 0, "nothing was served");
    }
}
