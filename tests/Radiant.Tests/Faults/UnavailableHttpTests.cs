using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Tests.Http;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Faults;

/// <summary>
/// Over HTTP (Kestrel on loopback): a database that cannot serve is a 503 ProblemDetails with <c>Retry-After</c> —
/// never a 500, also for a caller provisioned on their first request — and a request its client abandons ends quietly.
/// </summary>
public sealed class UnavailableHttpTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_no_pooled_connection_free_a_new_and_a_known_caller_get_503_with_retry_after_then_200_once_one_frees()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("fault_http_pool", Ct)) { MaxPoolSize = 2, Timeout = 1 }.ConnectionString;
        await using var api = await FaultApi.StartAsync(connectionString);
        var known = api.As(RadiantApi.NewUser());
        Assert.Equal(HttpStatusCode.OK, (await known.GetAsync("/api/personas", Ct)).StatusCode);
        var pool = api.Services.GetRequiredService<RadiantDataSources>().App;
        var held = new[] { await pool.OpenConnectionAsync(Ct), await pool.OpenConnectionAsync(Ct) };

        // A new caller is provisioned before the handler runs; a known one reaches the handler's transaction.
        foreach (var client in new[] { api.As(RadiantApi.NewUser()), known })
        {
            var answer = await client.GetAsync("/api/personas", Ct);
            await AssertUnavailableAsync(answer, retryAfterSeconds: 1, "no connection became free in time");
        }

        var write = await known.PostAsJsonAsync("/api/personas", new { name = "Sage", systemPrompt = "You are wise." }, Ct);
        await AssertUnavailableAsync(write, retryAfterSeconds: 1, "Nothing was saved");

        foreach (var connection in held)
        {
            await connection.DisposeAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await known.GetAsync("/api/personas", Ct)).StatusCode);
        Assert.Empty(JsonDocument.Parse(await known.GetStringAsync("/api/personas", Ct)).RootElement.GetProperty("items").EnumerateArray());
        AssertNoErrorsLogged(api);
        Assert.Contains(api.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("answered 503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failure_while_committing_is_a_503_that_says_the_change_may_have_been_saved()
    {
        var connectionString = await server.CreateDatabaseAsync("fault_http_commit", Ct);
        await using var api = await FaultApi.StartAsync(connectionString);
        await using (var owner = new NpgsqlConnection(connectionString))
        {
            await owner.OpenAsync(Ct);
            await using var trigger = new NpgsqlCommand("""
                CREATE FUNCTION public.fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = 'admin_shutdown'; END $$;
                CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON radiant.user_personas DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION public.fail_commit();
                """, owner);
            await trigger.ExecuteNonQueryAsync(Ct);
        }

        var answer = await api.As(RadiantApi.NewUser()).PostAsJsonAsync("/api/personas", new { name = "Sage", systemPrompt = "You are wise." }, Ct);

        var problem = await AssertUnavailableAsync(answer, retryAfterSeconds: 2, "may or may not have been saved");
        Assert.True(problem.GetProperty("outcomeUnknown").GetBoolean());
        AssertNoErrorsLogged(api);
    }

    [Fact]
    public async Task A_request_its_client_abandons_while_it_waits_for_the_database_is_not_logged_as_an_error()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("fault_http_abort", Ct)) { MaxPoolSize = 1, Timeout = 30 }.ConnectionString;
        await using var api = await FaultApi.StartAsync(connectionString);
        var caller = RadiantApi.NewUser();
        using var client = api.As(caller);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/personas", Ct)).StatusCode);
        await using (await api.Services.GetRequiredService<RadiantDataSources>().App.OpenConnectionAsync(Ct))
        {
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            giveUp.CancelAfter(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync("/api/personas", giveUp.Token));

            // The server notices the closed connection, stops waiting for the pool and ends the request (499 in the
            // request log: no answer was sent).
            await Scheduling.Worker.Poll.ForAsync(
                () => Task.FromResult(api.Log.Entries),
                entries => entries.Any(e => e.Message.StartsWith("Request finished", StringComparison.Ordinal) && e.Message.Contains(" - 499 ", StringComparison.Ordinal)),
                "the abandoned request to end");
        }

        Assert.Contains(api.Log.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("was abandoned by its client", StringComparison.Ordinal));

        AssertNoErrorsLogged(api);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/personas", Ct)).StatusCode);
    }

    internal static async Task<JsonElement> AssertUnavailableAsync(HttpResponseMessage answer, int retryAfterSeconds, string detail)
    {
        var body = await answer.Content.ReadAsStringAsync(Ct);
        Assert.True(answer.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)answer.StatusCode}: {body}");
        Assert.Equal(TimeSpan.FromSeconds(retryAfterSeconds), answer.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Equal(retryAfterSeconds, problem.GetProperty("retryAfter").GetInt32());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        return problem;
    }

    internal static void AssertNoErrorsLogged(FaultApi api) =>
        Assert.True(api.Log.Entries.All(e => e.Level < LogLevel.Error), "errors were logged:" + Environment.NewLine + api.Log.AtLeast(LogLevel.Error));
}
