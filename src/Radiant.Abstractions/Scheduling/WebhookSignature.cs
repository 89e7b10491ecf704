using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Radiant.Scheduling;

/// <summary>
/// The signature on webhook deliveries, for senders and receivers alike. Each delivery carries the header
/// <c>X-Radiant-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</c> where the hex is HMAC-SHA256, keyed with the
/// schedule's webhook secret (its UTF-8 bytes), of <c>"&lt;t&gt;." + body</c>. Signing the timestamp lets a
/// receiver refuse replays older than its tolerance; <c>X-Radiant-Delivery</c> (the run id) lets it drop duplicates.
/// </summary>
public static class WebhookSignature
{
    /// <summary>Header holding the signature.</summary>
    public const string SignatureHeader = "X-Radiant-Signature";

    /// <summary>Header holding the delivery id (the run id; the same on every retry).</summary>
    public const string DeliveryHeader = "X-Radiant-Delivery";

    /// <summary>Header holding the event name.</summary>
    public const string EventHeader = "X-Radiant-Event";

    private static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    /// <summary>Computes the header value for <paramref name="body"/> signed at <paramref name="timestamp"/>.</summary>
    public static string Sign(string secret, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var t = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Compute(secret, t, body)}";
    }

    /// <summary>
    /// Verifies a received header against the raw body: the MAC must match (compared in constant time) and the
    /// timestamp must be within <paramref name="tolerance"/> of <paramref name="now"/>. Any malformed header (missing
    /// or empty parts, a timestamp that is not a plain number or is out of range, a MAC that is not hex) gives false.
    /// </summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        string? t = null;
        string? v1 = null;
        foreach (var part in header.Split(','))
        {
            var pair = part.Trim();
            if (pair.StartsWith("t=", StringComparison.Ordinal))
            {
                t = pair[2..];
            }
            else if (pair.StartsWith("v1=", StringComparison.Ordinal))
            {
                v1 = pair[3..];
            }
        }

        // Whatever a client sends must come out as false, never as an exception: the timestamp must be digits only
        // (no sign, no spaces) and within the range DateTimeOffset can represent.
        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > MaxUnixSeconds)
        {
            return false;
        }

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((now - signedAt).Duration() > tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(secret, t, body));
        var actual = Encoding.ASCII.GetBytes(v1.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static string Compute(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }
}
