using System.Net;
using System.Net.Sockets;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>A webhook target refused by <see cref="WebhookAddressPolicy"/>: a permanent failure, never retried.</summary>
internal sealed class WebhookAddressRefusedException(string message) : Exception(message);

/// <summary>
/// The primary handler of the webhook <see cref="HttpClient"/>: the address check happens when the connection is made,
/// on the addresses the host name resolved to, so DNS tricks cannot get past it; redirects are not followed (a 3xx is
/// a failed delivery); no proxy is used, since a proxy would make every target look like the proxy's address.
/// </summary>
internal static class WebhookConnections
{
    public static SocketsHttpHandler CreateHandler(SchedulerWorkerOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        if (!options.AllowPrivateWebhookAddresses)
        {
            handler.UseProxy = false;
            handler.ConnectCallback = ConnectToPublicAddressAsync;
        }

        return handler;
    }

    private static async ValueTask<Stream> ConnectToPublicAddressAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        var allowed = addresses.Where(WebhookAddressPolicy.IsPublic).ToArray();
        if (allowed.Length == 0)
        {
            throw new WebhookAddressRefusedException(
                $"Refused to deliver to '{endpoint.Host}': it resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}, not a public address " +
                "(allow internal receivers with SchedulerWorkerOptions.AllowPrivateWebhookAddresses).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
