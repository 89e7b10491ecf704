using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using Radiant.Postgres.Scheduling;
using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>
/// Errors a tenant reads in its run history say what failed and why, never the addresses or host names behind it:
/// a refused webhook, a model endpoint that cannot be reached, a mail server that cannot be reached.
/// </summary>
public sealed class ErrorLeakTests(PostgresServer server)
{
    [Fact]
    public async Task A_refused_webhook_to_this_machines_own_name_does_not_list_what_the_name_resolves_to()
    {
        var host = Dns.GetHostName();
        var resolved = await Dns.GetHostAddressesAsync(host, TestContext.Current.CancellationToken);
        Assert.NotEmpty(resolved);
        await using var scenario = await SchedulerScenario.StartAsync(server, "leak_hook");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        var receiver = await scenario.StartWebhookReceiverAsync();
        await scenario.StartWorkerAsync("w1", peer, o => o.AllowPrivateWebhookAddresses = false);
        var url = new UriBuilder(receiver.Url) { Host = host }.Uri.ToString();

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "probe", "Probe",
            c => c with { OutputDestination = OutputDestination.Webhook, WebhookUrl = url });
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.DeliveryStatus);
        Assert.Equal(
            $"Refused to deliver to '{host}': it does not resolve to a public address, and this host delivers webhooks to public addresses only " +
            "(its operator can allow internal receivers with SchedulerWorkerOptions.AllowPrivateWebhookAddresses).",
            run.DeliveryError);
        Assert.All(resolved, a => Assert.DoesNotContain(a.ToString(), run.DeliveryError!, StringComparison.OrdinalIgnoreCase));
        Assert.Empty(receiver.Deliveries);
        // The operator's log has them.
        Assert.Contains(scenario.Log.Lines, l => l.Contains("Resolved to:", StringComparison.Ordinal) && resolved.Any(a => l.Contains(a.ToString(), StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task A_model_endpoint_that_refuses_connections_is_recorded_without_its_host_or_port()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "leak_model");
        var caller = await scenario.NewUserAsync();
        var port = ClosedPort();
        // What a host's internal model gateway looks like to the OpenAI client when it is down.
        var chat = new OpenAIClient(new ApiKeyCredential("test"), new OpenAIClientOptions { Endpoint = new Uri($"http://localhost:{port}/v1"), RetryPolicy = new ClientRetryPolicy(0) })
            .GetChatClient("gpt-4o").AsIChatClient();
        await using var worker = await WorkerInstance.StartAsync(scenario.ConnectionString, "w1", chat, scenario.Log, configure: null, radiant: null);

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "unreachable", "Hello");
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.Status);
        Assert.NotNull(run.Error);
        Assert.EndsWith("ClientResultException: could not connect.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(port.ToString(CultureInfo.InvariantCulture), run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mail_server_that_refuses_connections_is_recorded_without_its_address()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "leak_smtp");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        var port = ClosedPort();
        await scenario.StartWorkerAsync("w1", peer, o =>
            {
                o.EmailMaxAttempts = 1;
            },
            radiant: r => r.AddSmtpEmailSender(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = port;
                o.Security = SmtpSecurity.None;
                o.From = "radiant@test.local";
            }));

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "mail", "Write", c => c with { NotificationEmail = "alice@example.test" });
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.DeliveryStatus);
        Assert.NotNull(run.DeliveryError);
        Assert.Contains("ConnectionRefused", run.DeliveryError, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", run.DeliveryError, StringComparison.Ordinal);
        Assert.DoesNotContain(port.ToString(CultureInfo.InvariantCulture), run.DeliveryError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, "could not connect")]
    [InlineData(HttpRequestError.NameResolutionError, "the host name could not be resolved")]
    [InlineData(HttpRequestError.SecureConnectionError, "the secure connection could not be established")]
    public void Network_failures_are_described_by_kind_without_the_address_in_their_message(HttpRequestError error, string described)
    {
        var failure = new HttpRequestException(error, "Connection refused (llm.internal.example:8443)", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Equal($"HttpRequestException: {described}.", RunErrors.Describe(failure));
        Assert.Equal($"ClientResultException: {described}.", RunErrors.Describe(new ClientResultException("Connection refused (llm.internal.example:8443)", response: null, innerException: failure)));
    }

    [Fact]
    public void A_provider_s_own_error_keeps_its_message()
    {
        var failure = new InvalidOperationException("HTTP 400 (invalid_request_error): This prompt is not allowed");

        Assert.Equal("InvalidOperationException: HTTP 400 (invalid_request_error): This prompt is not allowed", RunErrors.Describe(failure));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
