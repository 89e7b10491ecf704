using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Radiant.Benchmarks.Scheduling;

/// <summary>What a worker process reported: runs started, completed and failed so far, and its CPU time.</summary>
internal readonly record struct WorkerStats(long Started, long Completed, long Failed, long CpuMilliseconds)
{
    public static WorkerStats operator -(WorkerStats a, WorkerStats b) =>
        new(a.Started - b.Started, a.Completed - b.Completed, a.Failed - b.Failed, a.CpuMilliseconds - b.CpuMilliseconds);
}

/// <summary>
/// A worker instance in a process of its own: this executable again, in the <c>scheduler-worker</c> mode
/// (<see cref="WorkerChild"/>). Its standard error is forwarded, prefixed with its id.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    /// <summary>Environment variable carrying the connection string (kept off the command line).</summary>
    public const string ConnectionVariable = "RADIANT_BENCH_WORKER_CONNECTION";

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _reader;

    private WorkerProcess(string id, Process process)
    {
        Id = id;
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Console.Error.WriteLine($"[{id}] {line}");
            }
        };
        _process.BeginErrorReadLine();
        _reader = Task.Run(async () =>
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                await _lines.Writer.WriteAsync(line);
            }

            _lines.Writer.TryComplete();
        });
    }

    public string Id { get; }

    /// <summary>Starts a worker process and waits until it reports that it is running.</summary>
    public static async Task<WorkerProcess> StartAsync(string kind, string id, string connectionString, IEnumerable<string> options, CancellationToken ct)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this executable is unknown.");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal))
        {
            // Started as `dotnet Radiant.Benchmarks.dll`: start the children the same way.
            info.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        }

        info.ArgumentList.Add("scheduler-worker");
        info.ArgumentList.Add(kind);
        info.ArgumentList.Add(id);
        foreach (var option in options)
        {
            info.ArgumentList.Add(option);
        }

        info.Environment[ConnectionVariable] = connectionString;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start a worker process.");
        var worker = new WorkerProcess(id, process);
        try
        {
            var line = await worker.ReadLineAsync(TimeSpan.FromSeconds(120), ct);
            if (line != "ready")
            {
                throw new InvalidOperationException($"Worker {id} did not start: it said '{line}'.");
            }

            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Asks the worker for its counters.</summary>
    public async Task<WorkerStats> StatsAsync(CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync("stats");
        await _process.StandardInput.FlushAsync(ct);
        var line = await ReadLineAsync(TimeSpan.FromSeconds(30), ct);
        var parts = line?.Split(' ');
        if (parts is not { Length: 5 } || parts[0] != "stats")
        {
            throw new InvalidOperationException($"Worker {Id} answered '{line}' to stats.");
        }

        return new WorkerStats(
            long.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            long.Parse(parts[3], CultureInfo.InvariantCulture),
            long.Parse(parts[4], CultureInfo.InvariantCulture));
    }

    /// <summary>Stops the worker gracefully (it finishes or hands back its runs), or kills it after a minute.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            await _process.StandardInput.WriteLineAsync("stop");
            await _process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            Console.Error.WriteLine($"Worker {Id} did not stop in time; killing it.");
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _reader;
        _process.Dispose();
    }

    private async Task<string?> ReadLineAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        linked.CancelAfter(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(linked.Token);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"Worker {Id} did not answer within {timeout.TotalSeconds:F0} s.");
        }
    }
}
