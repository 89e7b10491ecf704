using System.Net;
using System.Net.Sockets;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>
/// A webhook target refused by <see cref="WebhookAddressPolicy"/>: a permanent failure, never retried. The message is
/// for the tenant (what was refused and why); <see cref="Resolved"/>, what the name resolved to, for the operator's log.
/// </summary>
internal sealed class WebhookAddressRefusedException(string message, string resolved) : Exception(message)
{
    public string Resolved { get; } = resolved;
}

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
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(endpoint.Host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            // Told apart from "resolves to an internal address", a missing name would let a tenant probe which
            // internal names exist: both are the same refusal.
            addresses = [];
        }

        var allowed = addresses.Where(WebhookAddressPolicy.IsPublic).ToArray();
        if (allowed.Length == 0)
        {
            throw new WebhookAddressRefusedException(
                $"Refused to deliver to '{endpoint.Host}': it does not resolve to a public address, and this host delivers webhooks " +
                "to public addresses only (its operator can allow internal receivers with SchedulerWorkerOptions.AllowPrivateWebhookAddresses).",
                addresses.Length == 0 ? "nothing" : string.Join(", ", addresses.Select(a => a.ToString())));
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
