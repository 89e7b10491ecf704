using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Pricing;

namespace Radiant.Tests.Tenancy;

/// <summary>The data kernel: one notification connection per host that comes back at once, and transactions retried only where that is safe.</summary>
public sealed class DataKernelTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_connection_listens_for_both_pricing_and_schedules()
    {
        // Counted by start time: a listener of an earlier test's host may still be closing, so the total moves on its own.
        var since = await db.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        await using var host = await PricingDatabase.BuildAsync(db.ConnectionString, services => services.AddRadiant().AddScheduler().AddSchedulerWorker());

        // The new host adds one listening backend, for both channels (the fixture's own host has its own).
        Assert.True(await Eventually.TrueAsync(async () => await ListenersSinceAsync(since) == 1), $"listening backends started since: {await ListenersSinceAsync(since)}");
    }

    [Fact]
    public async Task A_killed_listener_comes_back_at_once_every_time_and_prices_keep_arriving()
    {
        var tenant = await db.NewTenantAsync();
        await using var other = await PricingDatabase.BuildAsync(db.ConnectionString);
        var engine = other.GetRequiredService<IPricingEngine>();
        var slowest = TimeSpan.Zero;
        // The old listener's backoff grew with every drop (and never reset), so by the sixth kill it waited 30 s.
        for (var round = 1; round <= 6; round++)
        {
            await KillListenersAsync();
            // Falling markups: a reduction applies at once (a rise would wait for the grace period).
            var markup = 0.30m - (round / 100m);
            var clock = Stopwatch.StartNew();
            await db.Pricing.SetOverrideAsync(Admin(tenant), "gpt-4o", new PriceOverrideInput(Markup: markup), Ct);

            Assert.True(
                await Eventually.TrueAsync(() => engine.TryQuote(tenant, "gpt-4o", 1, 0, out var q) && q.EffectiveMarkup == markup, TimeSpan.FromSeconds(10)),
                $"round {round}: the change did not reach the other instance");
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
        }

        // Reconnecting is immediate after a drop; the safety-net reload (30 s) would be far slower.
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest change took {slowest}");
    }

    [Fact]
    public async Task A_serialization_failure_before_the_commit_reruns_the_whole_transaction_once()
    {
        var table = await ScratchTableAsync();
        var kernel = db.Services.GetRequiredService<RadiantDb>();
        var attempts = 0;

        var result = await kernel.WithoutTenantAsync(
            async (connection, transaction) =>
            {
                attempts++;
                await ExecuteAsync(connection, transaction, $"INSERT INTO {table} (attempt) VALUES ({attempts})");
                if (attempts == 1)
                {
                    await ExecuteAsync(connection, transaction, "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$");
                }

                return attempts;
            },
            Ct);

        Assert.Equal(2, result);
        // The first attempt's insert was rolled back with it: exactly the second one is stored.
        Assert.Equal(new[] { 2 }, await AttemptsAsync(table));
    }

    [Fact]
    public async Task A_failure_during_the_commit_is_not_rerun_since_the_commit_may_have_happened()
    {
        var table = await ScratchTableAsync(failAtCommit: true);
        var kernel = db.Services.GetRequiredService<RadiantDb>();
        var attempts = 0;

        var error = await Assert.ThrowsAsync<PostgresException>(() => kernel.WithoutTenantAsync(
            async (connection, transaction) =>
            {
                attempts++;
                await ExecuteAsync(connection, transaction, $"INSERT INTO {table} (attempt) VALUES ({attempts})");
                return attempts;
            },
            Ct));

        Assert.Equal(PostgresErrorCodes.SerializationFailure, error.SqlState);
        Assert.Equal(1, attempts);
        Assert.Empty(await AttemptsAsync(table));
    }

    private async Task<long> ListenersSinceAsync(DateTime since)
    {
        await using var owner = await db.OpenOwnerConnectionAsync();
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND backend_start >= @since", owner);
        count.Parameters.AddWithValue("since", since);
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }

    private async Task KillListenersAsync()
    {
        await using var owner = await db.OpenOwnerConnectionAsync();
        await using var kill = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'", owner);
        Assert.True((long)(await kill.ExecuteScalarAsync(Ct))! > 0, "a listener was there to kill");
    }

    /// <summary>A table the application role may write; with <paramref name="failAtCommit"/>, a deferred trigger fails every commit.</summary>
    private async Task<string> ScratchTableAsync(bool failAtCommit = false)
    {
        var table = $"public.kernel_{Guid.NewGuid():N}";
        await using var owner = await db.OpenOwnerConnectionAsync();
        await ExecuteAsync(owner, null, $"CREATE TABLE {table} (attempt int NOT NULL); GRANT USAGE ON SCHEMA public TO radiant_app; GRANT INSERT, SELECT ON {table} TO radiant_app;");
        if (failAtCommit)
        {
            await ExecuteAsync(owner, null, $"""
                CREATE FUNCTION {table}_fail() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'conflict at commit' USING ERRCODE = 'serialization_failure'; END $$;
                CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON {table} DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION {table}_fail();
                """);
        }

        return table;
    }

    private async Task<int[]> AttemptsAsync(string table)
    {
        await using var owner = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand($"SELECT attempt FROM {table} ORDER BY attempt", owner);
        var attempts = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            attempts.Add(reader.GetInt32(0));
        }

        return [.. attempts];
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
