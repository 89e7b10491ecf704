using System.Net;
using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>Webhooks reach only public addresses by default (tenants choose the URLs), and redirects are not followed.</summary>
public sealed class WebhookAddressTests(PostgresServer server)
{
    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("1.1.1.1", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("100.128.0.1", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.255.255.254", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("192.0.2.10", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("64:ff9b::10.0.0.1", false)]
    [InlineData("64:ff9b::8.8.8.8", true)]
    [InlineData("2002:c0a8:0101::1", false)]
    public void Only_public_unicast_addresses_are_allowed(string address, bool expected) =>
        Assert.Equal(expected, WebhookAddressPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task By_default_a_webhook_on_a_loopback_address_is_refused_at_once_and_never_called(string host)
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "hook_refused_" + (host == "localhost" ? "name" : "ip"));
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        var receiver = await scenario.StartWebhookReceiverAsync();
        await scenario.StartWorkerAsync("w1", peer, o => o.AllowPrivateWebhookAddresses = false);
        var url = new UriBuilder(receiver.Url) { Host = host }.Uri.ToString();

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "internal", "Probe",
            c => c with { OutputDestination = OutputDestination.Webhook, WebhookUrl = url });
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.Equal("failed", run.DeliveryStatus);
        Assert.Equal(1, run.DeliveryAttempts);
        Assert.Contains($"Refused to deliver to '{host}'", run.DeliveryError, StringComparison.Ordinal);
        Assert.Contains("does not resolve to a public address", run.DeliveryError, StringComparison.Ordinal);
        Assert.Empty(receiver.Deliveries);
    }

    [Fact]
    public async Task A_redirect_from_the_webhook_is_not_followed_and_fails_the_delivery_without_retries()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "hook_redirect");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        var receiver = await scenario.StartWebhookReceiverAsync();
        receiver.Script = _ => 307;
        await scenario.StartWorkerAsync("w1", peer);

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "moved", "Go",
            c => c with { OutputDestination = OutputDestination.Webhook, WebhookUrl = receiver.Url });
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.DeliveryStatus);
        Assert.Equal(1, run.DeliveryAttempts);
        Assert.Contains("307", run.DeliveryError, StringComparison.Ordinal);
        Assert.Single(receiver.Deliveries);
    }
}
