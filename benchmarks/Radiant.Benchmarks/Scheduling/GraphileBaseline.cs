using System.Diagnostics;
using System.Text.Json;

namespace Radiant.Benchmarks.Scheduling;

/// <summary>
/// The graphile-worker baseline: npm installs <see cref="Package"/> into a cache folder under the temp directory (a
/// generated package.json, <c>npm install --no-save</c>), then node runs <c>graphile-bench.js</c> (embedded in this
/// assembly) against a database of the benchmark's own cluster.
/// </summary>
internal static class GraphileBaseline
{
    public const string Package = "graphile-worker@0.17.3";

    /// <summary>One round as the script reports it.</summary>
    internal sealed record Round(string Label, int Count, int Left, double WrittenBeforeMs, double? LastDoneSeconds, double[] Lags);

    public static async Task<string> InstallAsync(CancellationToken ct)
    {
        var folder = Path.Combine(Path.GetTempPath(), "radiant-bench-" + Package.Replace('@', '-'));
        Directory.CreateDirectory(folder);
        if (!File.Exists(Path.Combine(folder, "node_modules", "graphile-worker", "package.json")))
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "package.json"), """{"name":"radiant-bench-graphile","private":true}""", ct);
            Console.WriteLine($"Installing {Package} with npm into {folder}...");
            await RunAsync("npm", ["install", "--no-save", "--no-audit", "--no-fund", Package], folder, null, _ => { }, ct);
        }

        await using var script = typeof(GraphileBaseline).Assembly.GetManifestResourceStream("graphile-bench.js")
            ?? throw new InvalidOperationException("graphile-bench.js is not embedded.");
        await using var file = File.Create(Path.Combine(folder, "graphile-bench.js"));
        await script.CopyToAsync(file, ct);
        return folder;
    }

    /// <summary>Runs the rounds in one node process (one runner); returns them in order.</summary>
    public static async Task<List<Round>> RunAsync(
        string folder, string connectionString, IEnumerable<(string Label, int Count)> rounds, int concurrency, int batch, TimeSpan lead, CancellationToken ct)
    {
        var results = new List<Round>();
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var plan = JsonSerializer.Serialize(rounds.Select(r => new { label = r.Label, count = r.Count }));
        await RunAsync(
            "node",
            ["graphile-bench.js", plan, concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
             batch.ToString(System.Globalization.CultureInfo.InvariantCulture),
             ((int)lead.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            folder,
            connectionString,
            line =>
            {
                if (line.StartsWith('{'))
                {
                    results.Add(JsonSerializer.Deserialize<Round>(line, options)!);
                }
            },
            ct);
        return results;
    }

    private static async Task RunAsync(string file, string[] args, string folder, string? connectionString, Action<string> onLine, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (connectionString is not null)
        {
            info.Environment["GW_CONNECTION"] = connectionString; // kept off the command line
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Console.Error.WriteLine($"[{file}] {line}");
            }
        };
        process.BeginErrorReadLine();
        while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
        {
            onLine(line);
        }

        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {args[0]} exited with code {process.ExitCode}.");
        }
    }
}
