using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Dev;
using Radiant.Tenancy;
using Radiant.ThinkTank;

namespace Radiant.Benchmarks.ThinkTank;

/// <summary>
/// The Think Tank users' CSV export of a million users (not a BenchmarkDotNet suite): a real Kestrel host on a local
/// PostgreSQL, one admin downloading <c>GET /api/admin/thinktank/users/export</c> over loopback and discarding the
/// bytes as they arrive. Samples the process's working set and GC heap every 20 ms during the download and reports the
/// peaks above the idle host (and, every 250 ms after a full collection, the live heap: what is held, not garbage
/// awaiting collection), the bytes allocated (garbage, collected as it goes) and the throughput; then, for
/// comparison, the same rows collected into a list (what holding them would cost).
/// </summary>
internal static class ExportRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var users = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        Console.WriteLine("Starting a throwaway PostgreSQL cluster...");
        await using var server = await LocalPostgresServer.StartThrowawayAsync(CancellationToken.None);
        var (service, owner) = await BenchmarkDatabase.CreateWithLoginsAsync(
            server, "radiant_export", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)), CancellationToken.None);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(HeaderAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
        builder.Services.AddRadiant().UsePostgres(service, o => o.MigrationConnectionString = owner).AddThinkTankUsers().AddHttpApi();
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRadiant();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(30) };
        var tenant = Guid.NewGuid();
        var admin = Guid.NewGuid();
        http.DefaultRequestHeaders.Add(HeaderAuthentication.TenantHeader, tenant.ToString());
        http.DefaultRequestHeaders.Add(HeaderAuthentication.UserHeader, admin.ToString());
        (await http.GetAsync("/api/admin/thinktank/users/stats")).EnsureSuccessStatusCode();

        Console.WriteLine($"Seeding {users:N0} users with usage totals...");
        var seed = Stopwatch.StartNew();
        await using (var connection = new NpgsqlConnection(server.ConnectionString) { })
        {
            await connection.OpenAsync();
            await connection.ChangeDatabaseAsync("radiant_export");
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO radiant.users (tenant_id, user_id, email, display_name, subscription_tier, created_at)
                SELECT @tenant, gen_random_uuid(), 'user' || i || '@example.com', 'User Number ' || i,
                       (ARRAY['free', 'pro', 'team', 'enterprise'])[1 + i % 4], now() - (i % 365) * interval '1 day'
                FROM generate_series(1, @users) i;
                UPDATE radiant.user_usage_totals
                SET requests = 1 + (hashtext(user_id::text) & 1023), input_tokens = 1000 * (1 + (hashtext(user_id::text) & 1023)),
                    output_tokens = 400 * (1 + (hashtext(user_id::text) & 1023)), spend = (hashtext(user_id::text) & 65535) / 1000.0,
                    last_active_at = now() - (hashtext(user_id::text) & 1023) * interval '1 hour'
                WHERE tenant_id = @tenant;
                """,
                connection) { CommandTimeout = 0 };
            command.Parameters.AddWithValue("tenant", tenant);
            command.Parameters.AddWithValue("users", users);
            await command.ExecuteNonQueryAsync();
            await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE radiant.users", connection) { CommandTimeout = 0 };
            await vacuum.ExecuteNonQueryAsync();
            await using var vacuumTotals = new NpgsqlCommand("VACUUM ANALYZE radiant.user_usage_totals", connection) { CommandTimeout = 0 };
            await vacuumTotals.ExecuteNonQueryAsync();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Seeded in {seed.Elapsed.TotalSeconds:F1} s."));

        // Warm-up (JIT, pools): a filtered export of a few thousand rows.
        await DownloadAsync(http, "/api/admin/thinktank/users/export?search=user1000");
        var idle = Settle();

        var (bytes, rows, elapsed, peakWorkingSet, peakHeap, peakLive, allocated) = await MeasureAsync(() => DownloadAsync(http, "/api/admin/thinktank/users/export"));
        var version = (string)(await new NpgsqlCommand("SELECT current_setting('server_version')", await OpenAsync(server.ConnectionString)).ExecuteScalarAsync())!;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, PostgreSQL {version}; server GC {System.Runtime.GCSettings.IsServerGC}"));
        Console.WriteLine("| Phase | Rows | Bytes | Seconds | Rows/s | Idle working set (MB) | Peak working set (MB) | Idle GC heap (MB) | Peak GC heap (MB) | Peak live heap (MB) | Allocated (MB) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| Streamed CSV over HTTP | {rows:N0} | {bytes:N0} | {elapsed.TotalSeconds:F1} | {rows / elapsed.TotalSeconds:N0} | {Mb(idle.WorkingSet):F0} | {Mb(peakWorkingSet):F0} | {Mb(idle.Heap):F0} | {Mb(peakHeap):F0} | {Mb(peakLive):F0} | {Mb(allocated):F0} |"));

        // For comparison: the same rows held in a list, as an export that buffers would hold them.
        var users2 = app.Services.GetRequiredService<IThinkTankUserService>();
        var caller = RadiantCaller.ForTenantAdmin(tenant, admin);
        idle = Settle();
        List<ThinkTankUser>? held = null;
        var buffered = await MeasureAsync(async () =>
        {
            held = [];
            await foreach (var user in users2.ExportAsync(caller, ThinkTankUserQuery.All))
            {
                held.Add(user);
            }

            return (0L, (long)held.Count);
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| The same rows held in a List (comparison) | {buffered.Rows:N0} | – | {buffered.Elapsed.TotalSeconds:F1} | {buffered.Rows / buffered.Elapsed.TotalSeconds:N0} | {Mb(idle.WorkingSet):F0} | {Mb(buffered.PeakWorkingSet):F0} | {Mb(idle.Heap):F0} | {Mb(buffered.PeakHeap):F0} | {Mb(buffered.PeakLive):F0} | {Mb(buffered.Allocated):F0} |"));
        GC.KeepAlive(held);
        var ok = rows == users + 2 && buffered.Rows == users + 1;
        Console.WriteLine(ok ? "ok   every user was exported (a header line, the admin and the seeded users)" : $"FAIL expected {users + 2} lines, got {rows}");
        await app.StopAsync();
        return ok ? 0 : 1;
    }

    private static async Task<(long Bytes, long Rows, TimeSpan Elapsed, long PeakWorkingSet, long PeakHeap, long PeakLive, long Allocated)> MeasureAsync(Func<Task<(long Bytes, long Rows)>> work)
    {
        var peak = (WorkingSet: 0L, Heap: 0L, Live: 0L);
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var self = Process.GetCurrentProcess();
            for (var sample = 0; !sampling.IsCancellationRequested; sample++)
            {
                self.Refresh();
                // Every 250 ms a full collection first: what is live (held), apart from garbage not yet collected.
                var live = sample % 12 == 0 ? GC.GetTotalMemory(forceFullCollection: true) : 0;
                peak = (Math.Max(peak.WorkingSet, self.WorkingSet64), Math.Max(peak.Heap, GC.GetTotalMemory(false)), Math.Max(peak.Live, live));
                try
                {
                    await Task.Delay(20, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var (bytes, rows) = await work();
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await sampling.CancelAsync();
        await sampler;
        return (bytes, rows, elapsed, peak.WorkingSet, peak.Heap, peak.Live, allocated);
    }

    /// <summary>Downloads a response, counting its bytes and lines as they arrive and keeping none of them.</summary>
    private static async Task<(long Bytes, long Rows)> DownloadAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long bytes = 0, lines = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            bytes += read;
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return (bytes, lines);
    }

    private static (long WorkingSet, long Heap) Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        return (self.WorkingSet64, GC.GetTotalMemory(false));
    }

    private static double Mb(long bytes) => bytes / (1024.0 * 1024.0);

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The benchmark's scheme: the caller is whoever the headers say, a tenant admin.</summary>
    private sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "BenchmarkHeaders";
        public const string TenantHeader = "X-Bench-Tenant";
        public const string UserHeader = "X-Bench-User";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(UserHeader, out var user) || !Request.Headers.TryGetValue(TenantHeader, out var tenant))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            Claim[] claims = [new("sub", user.ToString()), new("tenant_id", tenant.ToString()), new("email", "admin@example.com"), new(ClaimTypes.Role, "admin")];
            return Task.FromResult(AuthenticateResult.Success(
                new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
        }
    }
}
