using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Tests.Http;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Faults;

/// <summary>
/// Over a real socket (Kestrel on loopback): the CSV export streams — its first bytes reach the client while the
/// database is still sending the rest — and a suspension made through one instance is enforced by another.
/// </summary>
public sealed class ThinkTankUserStreamingTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_large_export_sends_its_first_rows_while_the_query_is_still_running_and_then_every_row()
    {
        const int users = 100_000;
        var connectionString = await server.CreateDatabaseAsync("tt_export", Ct);
        await using var api = await FaultApi.StartAsync(connectionString, r => r.AddThinkTankUsers());
        var admin = RadiantApi.NewAdmin();
        var client = api.As(admin);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/thinktank/users/stats", Ct)).StatusCode);
        await using (var owner = new NpgsqlConnection(connectionString))
        {
            await owner.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO radiant.users (tenant_id, user_id, email, display_name)
                SELECT @tenant, gen_random_uuid(), 'user' || i || '@big.test', 'User ' || i FROM generate_series(1, @users) i
                """,
                new { tenant = admin.TenantId, users },
                commandTimeout: 300,
                cancellationToken: Ct));
        }

        using var response = await client.GetAsync("/api/admin/thinktank/users/export", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        var buffer = new byte[8192];
        var first = await body.ReadAtLeastAsync(buffer, 4096, throwOnEndOfStream: true, Ct);

        // The client has read a few KB of ~13 MB and stopped: the export's query must still be in flight, held back by
        // the socket (the server did not read every row first and send them afterwards).
        await using (var monitor = new NpgsqlConnection(connectionString))
        {
            var running = await monitor.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND state = 'active' AND query LIKE '%user_usage_totals%' AND pid <> pg_backend_pid()
                """,
                cancellationToken: Ct));
            Assert.Equal(1L, running);
        }

        var lines = CountLines(buffer.AsSpan(0, first));
        int read;
        while ((read = await body.ReadAsync(buffer, Ct)) > 0)
        {
            lines += CountLines(buffer.AsSpan(0, read));
        }

        Assert.Equal(users + 2L, lines); // the header, the admin and every seeded user
    }

    [Fact]
    public async Task An_instance_without_a_notification_connection_applies_a_suspension_within_the_lifetime_of_what_it_remembered()
    {
        var connectionString = await server.CreateDatabaseAsync("tt_unheard", Ct);
        await using var first = await FaultApi.StartAsync(connectionString, r => r.AddThinkTankUsers());
        await using var second = await FaultApi.StartAsync(connectionString);
        var admin = RadiantApi.NewAdmin();
        var user = RadiantApi.NewUser(admin.TenantId);
        Assert.Equal(HttpStatusCode.OK, (await second.As(user).GetAsync("/api/personas", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await first.As(admin).PostAsync($"/api/admin/thinktank/users/{user.UserId}/suspend", null, Ct)).StatusCode);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        while ((status = (await second.As(user).GetAsync("/api/personas", Ct)).StatusCode) == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.True(clock.Elapsed < Radiant.Postgres.Tenancy.PostgresTenantDirectory.UnheardLifetime + TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_suspension_through_one_instance_is_enforced_by_another_that_remembered_the_user_as_active()
    {
        var connectionString = await server.CreateDatabaseAsync("tt_instances", Ct);
        await using var first = await FaultApi.StartAsync(connectionString, r => r.AddThinkTankUsers());
        // The second instance keeps a notification connection (teams use one): it hears the change.
        await using var second = await FaultApi.StartAsync(connectionString, r => r.AddTeams());
        var admin = RadiantApi.NewAdmin();
        var user = RadiantApi.NewUser(admin.TenantId);
        Assert.Equal(HttpStatusCode.OK, (await second.As(user).GetAsync("/api/personas", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await first.As(admin).PostAsync($"/api/admin/thinktank/users/{user.UserId}/suspend", null, Ct)).StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        while ((status = (await second.As(user).GetAsync("/api/personas", Ct)).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(HttpStatusCode.OK, (await first.As(admin).PostAsync($"/api/admin/thinktank/users/{user.UserId}/reactivate", null, Ct)).StatusCode);
        deadline = DateTime.UtcNow.AddSeconds(10);
        while ((status = (await second.As(user).GetAsync("/api/personas", Ct)).StatusCode) == HttpStatusCode.Forbidden && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static int CountLines(ReadOnlySpan<byte> bytes) => bytes.Count((byte)'\n');
}
