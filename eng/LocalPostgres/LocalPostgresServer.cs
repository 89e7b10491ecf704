using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Radiant.Dev;

/// <summary>
/// A real PostgreSQL server started from the binaries installed on this machine: throwaway clusters for tests, a
/// persistent cluster for the sample host. Only BCL APIs, so the file can be linked into any project.
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root. When this process runs as root, the directories are given to the
/// <c>postgres</c> OS user and <c>initdb</c>/<c>pg_ctl</c> run through <c>runuser -u postgres --</c>.
/// </remarks>
internal sealed class LocalPostgresServer : IAsyncDisposable
{
    private const string SuperUser = "postgres";
    private const string ServiceUser = "postgres";
    private const string ThrowawayPrefix = "radiant-pg-";
    private const string OwnerFileName = "owner";
    private const string PasswordFileName = "radiant-superuser.pw";
    private const int StartAttempts = 3;
    private const string StartTimeoutSeconds = "90";

    private const string InstallHint =
        "Install them with `apt-get install -y postgresql` (or point RADIANT_PG_BIN at their bin directory), "
        + "or use an existing server instead: set ConnectionStrings:Radiant for the sample host, "
        + "RADIANT_TEST_CONNECTION_STRING for the tests.";

    private static readonly bool RunningAsRoot = !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private readonly string _binDirectory;
    private readonly string? _throwawayRoot;
    private string? _startOptions;
    private int _disposed;

    private LocalPostgresServer(string binDirectory, string dataDirectory, string logFile, int port, string password, string? throwawayRoot, string? portNotice = null)
    {
        PortNotice = portNotice;
        _binDirectory = binDirectory;
        _throwawayRoot = throwawayRoot;
        DataDirectory = dataDirectory;
        LogFile = logFile;
        Port = port;
        ConnectionString = string.Create(
            CultureInfo.InvariantCulture,
            $"Host=127.0.0.1;Port={port};Username={SuperUser};Password={password};Database=postgres");
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Npgsql connection string for the superuser, database <c>postgres</c>, over TCP on 127.0.0.1.</summary>
    public string ConnectionString { get; }

    /// <summary>The TCP port the server listens on (127.0.0.1 only).</summary>
    public int Port { get; }

    /// <summary>The cluster's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The server log (<c>pg_ctl -l</c>).</summary>
    public string LogFile { get; }

    /// <summary>
    /// Set when a persistent cluster does not listen on the port it was asked for: what happened (the port was taken,
    /// or a port chosen at an earlier start was reused) and where the choice is remembered.
    /// </summary>
    public string? PortNotice { get; }

    /// <summary>True for the sample's durable cluster, false for a throwaway test cluster.</summary>
    public bool IsPersistent => _throwawayRoot is null;

    /// <summary>
    /// Starts a new cluster in a new temporary directory, tuned for tests (no fsync), on a free port. Disposing it
    /// stops the server and deletes the directory.
    /// </summary>
    /// <param name="ct">Cancels the start.</param>
    /// <param name="maxConnections">The server's <c>max_connections</c> (PostgreSQL's default is 100).</param>
    public static async Task<LocalPostgresServer> StartThrowawayAsync(CancellationToken ct, int maxConnections = 300)
    {
        var bin = FindBinDirectory();
        await EnsureServiceUserAsync(ct);
        await SweepAbandonedClustersAsync(bin, ct);

        var root = Directory.CreateTempSubdirectory(ThrowawayPrefix).FullName;
        try
        {
            WriteOwnerFile(root);
            var dataDirectory = Path.Combine(root, "data");
            var logFile = Path.Combine(root, "server.log");
            var passwordFile = Path.Combine(root, "superuser.pw");
            var password = NewPassword();
            WritePrivateFile(passwordFile, password);
            if (RunningAsRoot)
            {
                await RunCheckedAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", root], asServiceUser: false, ct);
                await EnsureServiceUserCanWriteAsync(root, ct);
            }

            await InitDbAsync(bin, dataDirectory, passwordFile, durable: false, ct);

            for (var attempt = 1; ; attempt++)
            {
                var port = FindFreePort();
                var options = string.Create(
                    CultureInfo.InvariantCulture,
                    $"-p {port} -k {ShellQuote(root)} -c listen_addresses=127.0.0.1 -c max_connections={maxConnections} -F -c synchronous_commit=off -c full_page_writes=off");
                var logOffset = FileLength(logFile);
                var start = await PgCtlAsync(bin, ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", StartTimeoutSeconds, "-o", options], ct);
                if (start.ExitCode == 0)
                {
                    return new LocalPostgresServer(bin, dataDirectory, logFile, port, password, root) { _startOptions = options };
                }

                var log = ReadLog(logFile, logOffset);
                if (attempt >= StartAttempts || !IsPortClash(log))
                {
                    throw StartFailure(dataDirectory, start, log);
                }
            }
        }
        catch
        {
            await StopAsync(bin, Path.Combine(root, "data"), "immediate", CancellationToken.None);
            DeleteDirectory(root);
            throw;
        }
    }

    /// <summary>
    /// Starts (or reuses, if already running) the durable cluster in <paramref name="dataDirectory"/>, creating it on
    /// first use. The superuser password lives in <c>radiant-superuser.pw</c> (mode 0600) next to the data directory.
    /// Disposing it stops the server (<c>pg_ctl stop -m fast</c>) and keeps the data.
    /// </summary>
    /// <param name="dataDirectory">The cluster's data directory.</param>
    /// <param name="port">The TCP port to listen on when the server has to be started.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <param name="choosePortWhenTaken">
    /// When true, <paramref name="port"/> is a preference: if another program holds it, the server starts on a free
    /// port (outside the OS's ephemeral range when one is free) and that port is remembered in
    /// <c>&lt;data directory&gt;.port</c> next to the data directory, so later starts use it again;
    /// <see cref="PortNotice"/> says what happened. When false, a taken port fails the start.
    /// </param>
    public static async Task<LocalPostgresServer> StartPersistentAsync(string dataDirectory, int port, CancellationToken ct, bool choosePortWhenTaken = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        var bin = FindBinDirectory();
        await EnsureServiceUserAsync(ct);

        dataDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory));
        var parent = Path.GetDirectoryName(dataDirectory)
            ?? throw new ArgumentException("The data directory needs a parent directory.", nameof(dataDirectory));
        Directory.CreateDirectory(parent);
        var logFile = Path.Combine(dataDirectory, "radiant-server.log");
        var passwordFile = Path.Combine(parent, PasswordFileName);
        var portFile = Path.Combine(parent, Path.GetFileName(dataDirectory) + ".port");
        string? portNotice = null;

        // Serializes processes starting the same cluster: one initializes and starts it, the others reuse it.
        await using var startLock = await LockAsync(Path.Combine(parent, Path.GetFileName(dataDirectory) + ".lock"), ct);

        var password = ReadPassword(passwordFile);
        var passwordIsNew = password is null;
        password ??= NewPassword();
        if (passwordIsNew)
        {
            WritePrivateFile(passwordFile, password);
        }

        if (RunningAsRoot)
        {
            await RunCheckedAsync("chown", [$"{ServiceUser}:{ServiceUser}", passwordFile], asServiceUser: false, ct);
        }

        var clusterExists = File.Exists(Path.Combine(dataDirectory, "PG_VERSION"));
        if (!clusterExists)
        {
            Directory.CreateDirectory(dataDirectory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            if (RunningAsRoot)
            {
                await RunCheckedAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", dataDirectory], asServiceUser: false, ct);
                await EnsureServiceUserCanWriteAsync(dataDirectory, ct);
            }

            await InitDbAsync(bin, dataDirectory, passwordFile, durable: true, ct);
        }

        var status = await PgCtlAsync(bin, ["status", "-D", dataDirectory], ct);
        if (status.ExitCode != 0)
        {
            // Keep the socket path under the 107-byte limit of sun_path; the TCP port keeps /tmp names apart.
            var socketDirectory = dataDirectory.Length <= 80 ? dataDirectory : Path.TrimEndingDirectorySeparator(Path.GetTempPath());
            var remembered = choosePortWhenTaken ? ReadRememberedPort(portFile) : null;
            var requested = remembered ?? port;
            var tried = new List<int>();
            for (var candidate = requested; ; candidate = FindFreePortOutsideEphemeralRange(requested, tried))
            {
                tried.Add(candidate);
                var options = string.Create(
                    CultureInfo.InvariantCulture,
                    $"-p {candidate} -k {ShellQuote(socketDirectory)} -c listen_addresses=127.0.0.1");
                var logOffset = FileLength(logFile);
                var start = await PgCtlAsync(bin, ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", StartTimeoutSeconds, "-o", options], ct);
                if (start.ExitCode == 0)
                {
                    break;
                }

                var log = ReadLog(logFile, logOffset);
                if (!IsPortClash(log))
                {
                    throw StartFailure(dataDirectory, start, log);
                }

                if (!choosePortWhenTaken || tried.Count >= StartAttempts)
                {
                    throw new InvalidOperationException(
                        string.Create(CultureInfo.InvariantCulture, $"PostgreSQL could not listen on port {candidate}: another program uses it. Choose another port.")
                        + Environment.NewLine + StartFailure(dataDirectory, start, log).Message);
                }
            }

            var listening = tried[^1];
            if (listening != requested)
            {
                File.WriteAllText(portFile, listening.ToString(CultureInfo.InvariantCulture) + Environment.NewLine);
                portNotice = string.Create(
                    CultureInfo.InvariantCulture,
                    $"Port {requested} is in use by another program, so PostgreSQL listens on port {listening} instead; remembered in {portFile} for the next start (delete that file to try port {port} again).");
            }
            else if (remembered is not null && remembered != port)
            {
                portNotice = string.Create(
                    CultureInfo.InvariantCulture,
                    $"PostgreSQL listens on port {listening}, remembered in {portFile} because port {port} was in use at an earlier start (delete that file to try port {port} again).");
            }
        }

        var actualPort = ReadPostmasterPort(dataDirectory) ?? port;
        if (passwordIsNew && clusterExists)
        {
            await ResetSuperuserPasswordAsync(bin, dataDirectory, actualPort, password, passwordFile, ct);
        }

        return new LocalPostgresServer(bin, dataDirectory, logFile, actualPort, password, throwawayRoot: null, portNotice);
    }

    /// <summary>
    /// Stops a throwaway cluster's server and keeps its data, for a test of what happens while the database is away:
    /// <c>fast</c> disconnects every client and shuts down cleanly, <c>immediate</c> is a crash. <see cref="StartAgainAsync"/>
    /// starts it again on the same port.
    /// </summary>
    public async Task StopAsync(bool immediate, CancellationToken ct)
    {
        if (_throwawayRoot is null)
        {
            throw new InvalidOperationException("Only a throwaway cluster is stopped and started again by its owner.");
        }

        var stop = await PgCtlAsync(_binDirectory, ["stop", "-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60"], ct);
        if (stop.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl stop failed: {stop.Output.Trim()}");
        }
    }

    /// <summary>Starts a throwaway cluster stopped by <see cref="StopAsync"/> again, on the same port with the same settings.</summary>
    public async Task StartAgainAsync(CancellationToken ct)
    {
        var options = _startOptions ?? throw new InvalidOperationException("Only a throwaway cluster is stopped and started again by its owner.");
        var logOffset = FileLength(LogFile);
        var start = await PgCtlAsync(_binDirectory, ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", StartTimeoutSeconds, "-o", options], ct);
        if (start.ExitCode != 0)
        {
            throw StartFailure(DataDirectory, start, ReadLog(LogFile, logOffset));
        }
    }

    /// <summary>Stops the server; a throwaway cluster's directory is deleted, a persistent one's data is kept.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await ShutDownAsync();
    }

    private async Task ShutDownAsync()
    {
        if (_throwawayRoot is null)
        {
            await StopAsync(_binDirectory, DataDirectory, "fast", CancellationToken.None);
        }
        else
        {
            await StopAsync(_binDirectory, DataDirectory, "immediate", CancellationToken.None);
            DeleteDirectory(_throwawayRoot);
        }
    }

    // Last resort when the owner never disposed the server: don't leave a postmaster behind.
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                ShutDownAsync().Wait(TimeSpan.FromSeconds(20));
            }
            catch (AggregateException)
            {
                // Nothing more can be done while the process exits.
            }
        }
    }

    private static string FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("RADIANT_PG_BIN");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return HasServerBinaries(configured)
                ? Path.GetFullPath(configured)
                : throw new InvalidOperationException(
                    $"RADIANT_PG_BIN is set to '{configured}', but that directory has no initdb and pg_ctl. {InstallHint}");
        }

        const string DebianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(DebianRoot))
        {
            var newest = Directory.EnumerateDirectories(DebianRoot)
                .Select(directory => (Bin: Path.Combine(directory, "bin"), Version: ParseMajorVersion(Path.GetFileName(directory))))
                .Where(candidate => candidate.Version is not null && HasServerBinaries(candidate.Bin))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Bin)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var initdb = Path.Combine(directory, "initdb");
            if (!File.Exists(initdb))
            {
                continue;
            }

            // pg_ctl finds postgres next to its real location, so prefer the directory symlinks point into.
            var realDirectory = Path.GetDirectoryName(File.ResolveLinkTarget(initdb, returnFinalTarget: true)?.FullName ?? initdb);
            if (realDirectory is not null && HasServerBinaries(realDirectory))
            {
                return realDirectory;
            }

            if (HasServerBinaries(directory))
            {
                return Path.GetFullPath(directory);
            }
        }

        throw new InvalidOperationException($"No PostgreSQL server binaries (initdb, pg_ctl) were found on this machine. {InstallHint}");
    }

    private static bool HasServerBinaries(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

    private static Version? ParseMajorVersion(string? name) =>
        Version.TryParse(name is not null && !name.Contains('.', StringComparison.Ordinal) ? name + ".0" : name, out var version)
            ? version
            : null;

    private static async Task EnsureServiceUserAsync(CancellationToken ct)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException($"Starting a local PostgreSQL cluster is supported on Linux and macOS only. {InstallHint}");
        }

        if (RunningAsRoot && (await RunAsync("id", ["-u", ServiceUser], asServiceUser: false, ct)).ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL refuses to run as root, and there is no '{ServiceUser}' OS user to run it as. {InstallHint}");
        }
    }

    private static async Task EnsureServiceUserCanWriteAsync(string directory, CancellationToken ct)
    {
        if ((await RunAsync("test", ["-w", directory, "-a", "-x", directory], asServiceUser: true, ct)).ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"The '{ServiceUser}' OS user cannot reach '{directory}': every parent directory must be searchable by it "
                + "(a directory under /root is not). Choose a data directory elsewhere.");
        }
    }

    private static async Task InitDbAsync(string bin, string dataDirectory, string passwordFile, bool durable, CancellationToken ct)
    {
        List<string> arguments =
        [
            "-D", dataDirectory,
            "-U", SuperUser,
            "--pwfile=" + passwordFile,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E", "UTF8",
            "--locale=" + (OperatingSystem.IsLinux() ? "C.UTF-8" : "C"),
        ];
        if (!durable)
        {
            arguments.Add("--no-sync");
        }

        var result = await RunAsync(Path.Combine(bin, "initdb"), arguments, RunningAsRoot, ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"initdb failed for '{dataDirectory}' (exit code {result.ExitCode.ToString(CultureInfo.InvariantCulture)}):{Environment.NewLine}{result.Output}");
        }
    }

    private static Task<ProcessResult> PgCtlAsync(string bin, IReadOnlyList<string> arguments, CancellationToken ct) =>
        RunAsync(Path.Combine(bin, "pg_ctl"), arguments, RunningAsRoot, ct);

    private static async Task StopAsync(string bin, string dataDirectory, string mode, CancellationToken ct)
    {
        if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            await PgCtlAsync(bin, ["stop", "-D", dataDirectory, "-m", mode, "-w", "-t", "60"], ct);
        }
    }

    private static async Task ResetSuperuserPasswordAsync(
        string bin, string dataDirectory, int port, string password, string passwordFile, CancellationToken ct)
    {
        // The password file went missing: set a new password over the unix socket, where local auth is trust.
        var psql = Path.Combine(bin, "psql");
        var socketDirectory = ReadPostmasterPidLine(dataDirectory, 4);
        if (!File.Exists(psql) || string.IsNullOrEmpty(socketDirectory))
        {
            throw new InvalidOperationException(
                $"The superuser password file '{passwordFile}' is missing for the existing cluster in '{dataDirectory}'. "
                + "Restore the file, or delete the data directory to start over.");
        }

        var result = await RunAsync(
            psql,
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", port.ToString(CultureInfo.InvariantCulture), "-U", SuperUser, "-d", "postgres"],
            RunningAsRoot,
            ct,
            standardInput: $"ALTER ROLE {SuperUser} PASSWORD '{password}';");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"Could not reset the superuser password of '{dataDirectory}':{Environment.NewLine}{result.Output}");
        }
    }

    private static InvalidOperationException StartFailure(string dataDirectory, ProcessResult start, string log) =>
        new($"""
            PostgreSQL did not start (data directory '{dataDirectory}', pg_ctl exit code {start.ExitCode.ToString(CultureInfo.InvariantCulture)}).
            pg_ctl: {start.Output.Trim()}
            Server log (tail):
            {Tail(log, 40)}
            """);

    private static bool IsPortClash(string log) =>
        log.Contains("Address already in use", StringComparison.Ordinal)
        || log.Contains("could not bind", StringComparison.Ordinal)
        || log.Contains("could not create any TCP/IP sockets", StringComparison.Ordinal);

    private static int FindFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// A free loopback port near <paramref name="preferred"/> and outside the ephemeral range the OS hands out to
    /// outgoing connections (which could take it at any time); any free port when none is found.
    /// </summary>
    internal static int FindFreePortOutsideEphemeralRange(int preferred, IReadOnlyCollection<int> exclude)
    {
        var (low, high) = EphemeralPortRange();
        for (var candidate = Math.Max(1024, preferred + 1); candidate <= Math.Min(65535, preferred + 1000); candidate++)
        {
            if ((candidate < low || candidate > high) && !exclude.Contains(candidate) && CanListen(candidate))
            {
                return candidate;
            }
        }

        for (var candidate = 10000; candidate < Math.Min(low, 65536); candidate++)
        {
            if (!exclude.Contains(candidate) && CanListen(candidate))
            {
                return candidate;
            }
        }

        return FindFreePort();
    }

    /// <summary>The range Linux picks outgoing connections' local ports from (<c>ip_local_port_range</c>; 32768-60999 by default).</summary>
    internal static (int Low, int High) EphemeralPortRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var low)
                && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var high))
            {
                return (low, high);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not readable: assume the default.
        }

        return (32768, 60999);
    }

    private static bool CanListen(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int? ReadRememberedPort(string portFile)
    {
        try
        {
            return File.Exists(portFile)
                && int.TryParse(File.ReadAllText(portFile).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port)
                && port is >= 1 and <= 65535
                ? port
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string NewPassword() => RandomNumberGenerator.GetHexString(32, lowercase: true);

    private static string? ReadPassword(string passwordFile)
    {
        if (!File.Exists(passwordFile))
        {
            return null;
        }

        // Read as bytes: File.ReadAllText would hide a byte-order mark.
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetString(File.ReadAllBytes(passwordFile));
        var password = text.Trim().TrimStart('\uFEFF');
        if (password.Length > 0 && text != password)
        {
            // Files written by earlier versions began with a byte-order mark (and pasting one into a connection string
            // fails authentication): keep the password, drop the mark and surrounding whitespace.
            WritePrivateFile(passwordFile, password);
        }

        return password.Length == 0 ? null : password;
    }

    private static void WritePrivateFile(string path, string contents)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        // No byte-order mark: the file holds a password to be pasted, not a document.
        using (var writer = new StreamWriter(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
        {
            writer.Write(contents);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private static int? ReadPostmasterPort(string dataDirectory) =>
        int.TryParse(ReadPostmasterPidLine(dataDirectory, 3), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : null;

    // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, shmem key, status.
    private static string? ReadPostmasterPidLine(string dataDirectory, int index)
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(dataDirectory, "postmaster.pid"));
            return lines.Length > index ? lines[index].Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long FileLength(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static string ReadLog(string path, long offset)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"(could not read {path}: {e.Message})";
        }
    }

    private static string Tail(string text, int lines)
    {
        var all = text.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    // pg_ctl hands -o to /bin/sh, so paths inside it need shell quoting.
    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void WriteOwnerFile(string root)
    {
        using var self = Process.GetCurrentProcess();
        File.WriteAllText(
            Path.Combine(root, OwnerFileName),
            string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {self.StartTime.ToUniversalTime().Ticks}"));
    }

    /// <summary>Stops and deletes throwaway clusters whose owning process is gone (killed test runs).</summary>
    private static async Task SweepAbandonedClustersAsync(string bin, CancellationToken ct)
    {
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.GetDirectories(Path.GetTempPath(), ThrowawayPrefix + "*");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var root in candidates)
        {
            try
            {
                if (IsAbandoned(root))
                {
                    await StopAsync(bin, Path.Combine(root, "data"), "immediate", ct);
                    DeleteDirectory(root);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
            {
                // Someone else's, or being cleaned up by another process: leave it.
            }
        }
    }

    private static bool IsAbandoned(string root)
    {
        var ownerFile = Path.Combine(root, OwnerFileName);
        if (!File.Exists(ownerFile))
        {
            // Possibly being created right now; only very old directories without an owner are fair game.
            return Directory.GetLastWriteTimeUtc(root) < DateTime.UtcNow.AddHours(-1);
        }

        var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var pid = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var startTicks = long.Parse(parts[1], CultureInfo.InvariantCulture);
        try
        {
            using var owner = Process.GetProcessById(pid);
            var startedAt = owner.StartTime.ToUniversalTime().Ticks;
            return Math.Abs(startedAt - startTicks) > TimeSpan.TicksPerSecond * 2 || IsZombie(pid);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    // A killed owner can linger as a zombie when init is slow to reap it.
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
            var state = stat.AsSpan(stat.LastIndexOf(')') + 1).TrimStart();
            return state.Length > 0 && state[0] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void DeleteDirectory(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (attempt >= 5)
                {
                    return;
                }

                Thread.Sleep(200 * attempt);
            }
        }
    }

    private static async Task RunCheckedAsync(string fileName, IReadOnlyList<string> arguments, bool asServiceUser, CancellationToken ct)
    {
        var result = await RunAsync(fileName, arguments, asServiceUser, ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{fileName} {string.Join(' ', arguments)}' failed (exit code {result.ExitCode.ToString(CultureInfo.InvariantCulture)}): {result.Output.Trim()}");
        }
    }

    /// <summary>Runs a process to completion (as the postgres OS user when asked), capturing stdout and stderr.</summary>
    private static async Task<ProcessResult> RunAsync(
        string fileName, IReadOnlyList<string> arguments, bool asServiceUser, CancellationToken ct, string? standardInput = null)
    {
        var startInfo = new ProcessStartInfo
        {
            FileName = asServiceUser ? "runuser" : fileName,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (asServiceUser)
        {
            // The caller's working directory may be unreadable for postgres (e.g. under /root).
            startInfo.WorkingDirectory = "/";
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(ServiceUser);
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not run '{startInfo.FileName}': {e.Message}. {InstallHint}", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            throw;
        }

        // A grandchild that kept our pipes open must not hang us: the exit code is what matters.
        var output = await ReadOrEmptyAsync(stdout) + await ReadOrEmptyAsync(stderr);
        return new ProcessResult(process.ExitCode, output);
    }

    private static async Task<string> ReadOrEmptyAsync(Task<string> read)
    {
        try
        {
            return await read.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            return "";
        }
    }

    private readonly record struct ProcessResult(int ExitCode, string Output);
}
