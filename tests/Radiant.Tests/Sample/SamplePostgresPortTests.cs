using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Radiant.Dev;

namespace Radiant.Tests.Sample;

/// <summary>
/// The sample's persistent PostgreSQL cluster and its port: a preferred port another program holds is replaced by a
/// free one outside the ephemeral range, remembered for the next start, and reported.
/// </summary>
public sealed class SamplePostgresPortTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("radiant-sample-port-").FullName;

    public SamplePostgresPortTests()
    {
        // The postgres OS user must be able to reach the data directory below it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DataDirectory => Path.Combine(_root, "postgres");

    private string PortFile => Path.Combine(_root, "postgres.port");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_sample_default_port_is_outside_the_ephemeral_range()
    {
        var (low, high) = LocalPostgresServer.EphemeralPortRange();
        var port = Radiant.Sample.Host.SamplePostgres.DefaultPort;

        Assert.True(port < 32768, $"{port} is inside Linux's default ephemeral range 32768-60999");
        Assert.False(port >= low && port <= high, $"{port} is inside this machine's ephemeral range {low}-{high}");
    }

    [Fact]
    public async Task A_taken_port_is_replaced_by_a_free_one_outside_the_ephemeral_range_remembered_and_reused_at_the_next_start()
    {
        var (low, high) = LocalPostgresServer.EphemeralPortRange();
        int chosen;
        using (var holder = HoldAPortOutsideTheEphemeralRange())
        {
            var held = ((IPEndPoint)holder.LocalEndpoint).Port;
            await using var first = await LocalPostgresServer.StartPersistentAsync(DataDirectory, held, Ct, choosePortWhenTaken: true);

            chosen = first.Port;
            Assert.NotEqual(held, chosen);
            Assert.False(chosen >= low && chosen <= high, $"port {chosen} is inside the ephemeral range {low}-{high}");
            Assert.Equal(chosen.ToString(CultureInfo.InvariantCulture), (await File.ReadAllTextAsync(PortFile, Ct)).Trim());
            Assert.NotNull(first.PortNotice);
            Assert.Contains($"Port {held} is in use", first.PortNotice, StringComparison.Ordinal);
            Assert.Contains($"listens on port {chosen}", first.PortNotice, StringComparison.Ordinal);
            Assert.Contains(PortFile, first.PortNotice, StringComparison.Ordinal);
            await AssertAnswersAsync(first);
        }

        // Stopped, and the preferred port free again: the next start keeps the remembered port, and says why.
        await using var second = await LocalPostgresServer.StartPersistentAsync(DataDirectory, chosen - 1, Ct, choosePortWhenTaken: true);

        Assert.Equal(chosen, second.Port);
        Assert.NotNull(second.PortNotice);
        Assert.Contains($"remembered in {PortFile}", second.PortNotice, StringComparison.Ordinal);
        await AssertAnswersAsync(second);
    }

    [Fact]
    public async Task An_explicit_port_that_is_taken_fails_the_start_with_a_message_saying_so()
    {
        using var holder = HoldAPortOutsideTheEphemeralRange();
        var held = ((IPEndPoint)holder.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalPostgresServer.StartPersistentAsync(DataDirectory, held, Ct));

        Assert.Contains($"could not listen on port {held}: another program uses it", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(PortFile));
    }

    private static TcpListener HoldAPortOutsideTheEphemeralRange()
    {
        var (low, _) = LocalPostgresServer.EphemeralPortRange();
        for (var port = 20000 + Random.Shared.Next(5000); port < low; port++)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return listener;
            }
            catch (SocketException)
            {
                listener.Dispose();
            }
        }

        throw new InvalidOperationException("No free port below the ephemeral range to hold.");
    }

    private static async Task AssertAnswersAsync(LocalPostgresServer server)
    {
        // Unpooled: the same connection string reaches the cluster again after its restart.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT inet_server_port()", connection);
        Assert.Equal(server.Port, await command.ExecuteScalarAsync(Ct));
    }
}
