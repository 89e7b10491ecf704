using System.Text;
using Npgsql;
using Radiant.Dev;

namespace Radiant.Tests.Sample;

/// <summary>
/// The sample cluster's superuser password file holds exactly the password: no byte-order mark, so what a person
/// copies from it into a connection string authenticates.
/// </summary>
public sealed class SamplePasswordFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("radiant-sample-pw-").FullName;

    public SamplePasswordFileTests()
    {
        // The postgres OS user must be able to reach the data directory below it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DataDirectory => Path.Combine(_root, "postgres");

    private string PasswordFile => Path.Combine(_root, "radiant-superuser.pw");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task The_file_holds_the_bare_password_and_pasting_it_into_a_connection_string_authenticates()
    {
        await using var server = await LocalPostgresServer.StartPersistentAsync(DataDirectory, FreePort(), Ct);

        var bytes = await File.ReadAllBytesAsync(PasswordFile, Ct);
        Assert.NotEqual((byte)0xEF, bytes[0]);
        await AssertAuthenticatesAsync(server, PastedFromFile(bytes));
    }

    [Fact]
    public async Task A_file_an_earlier_version_wrote_with_a_byte_order_mark_is_rewritten_without_it_and_the_password_kept()
    {
        var port = FreePort();
        string password;
        await using (await LocalPostgresServer.StartPersistentAsync(DataDirectory, port, Ct))
        {
            password = PastedFromFile(await File.ReadAllBytesAsync(PasswordFile, Ct));
        }

        await File.WriteAllBytesAsync(PasswordFile, [0xEF, 0xBB, 0xBF, .. Encoding.ASCII.GetBytes(password)], Ct);
        await using var restarted = await LocalPostgresServer.StartPersistentAsync(DataDirectory, port, Ct);

        var bytes = await File.ReadAllBytesAsync(PasswordFile, Ct);
        Assert.Equal(password, PastedFromFile(bytes));
        Assert.Equal(Encoding.ASCII.GetBytes(password), bytes);
        await AssertAuthenticatesAsync(restarted, password);
    }

    // What a copy from a terminal or an editor takes: every character, a byte-order mark included.
    private static string PastedFromFile(byte[] bytes) => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetString(bytes).TrimEnd('\n');

    private static async Task AssertAuthenticatesAsync(LocalPostgresServer server, string password)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = password, Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync(Ct));
    }

    private static int FreePort() => LocalPostgresServer.FindFreePortOutsideEphemeralRange(20000 + Random.Shared.Next(5000), []);
}
