using System.Net.Http;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;

namespace Radiant.Postgres.Scheduling;

/// <summary>
/// What a tenant reads about a failure in a run's history (and its webhook): what failed and what kind of failure,
/// never where. Network and TLS errors name the host and address they tried — for a model endpoint or a mail server
/// that is the operator's internal network — so those are described by category; the whole exception goes to the log.
/// A provider SDK's own errors (an HTTP status and the provider's message) are kept: they are the provider's answer.
/// </summary>
internal static class RunErrors
{
    public static string Describe(Exception failure)
    {
        var what = failure.GetType().Name;
        for (var e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { StatusCode: { } status }:
                    return $"{what}: the server answered {(int)status} ({status}).";
                case HttpRequestException http:
                    return $"{what}: {Describe(http.HttpRequestError)}.";
                case SmtpCommandException command:
                    return $"{what}: the mail server refused it ({(int)command.StatusCode} {command.StatusCode}, {command.ErrorCode}).";
                case SmtpProtocolException:
                    return $"{what}: the mail server's answer could not be understood.";
                case MailKit.Security.AuthenticationException:
                    return $"{what}: the mail server refused the credentials.";
                case MailKit.Security.SslHandshakeException or System.Security.Authentication.AuthenticationException:
                    return $"{what}: the secure connection could not be established.";
                case ServiceNotConnectedException:
                    return $"{what}: the connection to the mail server was lost.";
                case SocketException socket:
                    return $"{what}: a network error ({socket.SocketErrorCode}).";
            }
        }

        return $"{what}: {failure.Message}";
    }

    private static string Describe(HttpRequestError error) => error switch
    {
        HttpRequestError.NameResolutionError => "the host name could not be resolved",
        HttpRequestError.ConnectionError => "could not connect",
        HttpRequestError.SecureConnectionError => "the secure connection could not be established",
        HttpRequestError.ResponseEnded => "the connection closed before the response was complete",
        HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError => "the response was not valid HTTP",
        HttpRequestError.ProxyTunnelError => "the proxy refused the connection",
        _ => "the request failed",
    };
}
