using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Radiant.Postgres.Migrations;

/// <summary>One embedded migration script.</summary>
internal sealed record Migration(int Version, string Name, string Script, string Checksum)
{
    private const string ResourcePrefix = "Radiant.Postgres.Migrations.";

    /// <summary>Loads the embedded scripts, ordered by version. Names are <c>NNNN_description.sql</c>.</summary>
    public static IReadOnlyList<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migration).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var fileName = resource[ResourcePrefix.Length..];
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(fileName.AsSpan(0, separator), out var version))
            {
                throw new InvalidOperationException($"Embedded migration '{fileName}' is not named NNNN_description.sql.");
            }

            var script = Read(assembly, resource);
            migrations.Add(new Migration(version, Path.GetFileNameWithoutExtension(fileName), script, ChecksumOf(script)));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException($"Two embedded migrations share version {migrations[i].Version}.");
            }
        }

        return migrations;
    }

    /// <summary>SHA-256 of the script with line endings normalized, so a checkout's line-ending setting does not matter.</summary>
    public static string ChecksumOf(string script)
    {
        var normalized = script.Replace("\r\n", "\n", StringComparison.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
