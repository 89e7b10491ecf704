using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Radiant.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's static files, embedded in this assembly (<c>Dashboard/Assets/**</c>, logical names
/// <c>RadiantDashboard/{path}</c>): read once, with a content hash for the ETag and a gzip copy for clients that
/// accept it. Nothing is read from disk or a CDN, so the dashboard works offline and needs no build in the host.
/// </summary>
internal sealed class DashboardAssets
{
    private const string ResourcePrefix = "RadiantDashboard/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".js"] = "text/javascript; charset=utf-8",
        [".mjs"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, Asset> _assets;

    private DashboardAssets(FrozenDictionary<string, Asset> assets) => _assets = assets;

    public static DashboardAssets Instance { get; } = Load();

    private static DashboardAssets Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var path = name[ResourcePrefix.Length..].Replace('\\', '/');
            var content = buffer.ToArray();
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            assets[path] = new Asset(content, Gzip(content), $"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12))}\"", type);
        }

        return new DashboardAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public bool Contains(string path) => _assets.ContainsKey(path);

    /// <summary>
    /// Serves one file: 304 when the client's ETag matches, gzip when accepted, and <c>no-cache</c> so a browser
    /// revalidates after an upgrade of the package (a cheap 304 otherwise).
    /// </summary>
    public IResult Serve(string path, HttpContext http)
    {
        if (!_assets.TryGetValue(path, out var asset))
        {
            return TypedResults.NotFound();
        }

        var headers = http.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.Vary = HeaderNames.AcceptEncoding;
        if (http.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (http.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            headers.ContentEncoding = "gzip";
            return TypedResults.Bytes(asset.Gzipped, asset.ContentType);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    private sealed record Asset(byte[] Content, byte[] Gzipped, string ETag, string ContentType);
}
