using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Postgres.Scheduling;
using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>Output delivery to a real local webhook receiver (verifying signatures) and a real local SMTP server.</summary>
public sealed class DeliveryTests(PostgresServer server)
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_webhook_answering_500_twice_then_200_is_delivered_on_the_third_attempt_with_a_verifiable_signature_and_one_delivery_id()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "hook_ok");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Answer("Today's digest: all quiet.");
        var receiver = await scenario.StartWebhookReceiverAsync();
        receiver.Script = n => n <= 2 ? 500 : 200;
        await scenario.StartWorkerAsync("w1", peer);

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "digest", "Write the digest",
            c => c with { OutputDestination = OutputDestination.Webhook, WebhookUrl = receiver.Url },
            beforeDue: s => receiver.Secret = s.WebhookSecret);
        Assert.NotNull(schedule.WebhookSecret);

        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.Equal("delivered", run.DeliveryStatus);
        Assert.Equal(3, run.DeliveryAttempts);
        Assert.Null(run.DeliveryError);
        var deliveries = receiver.Deliveries;
        Assert.Equal([500, 500, 200], deliveries.Select(d => d.AnsweredStatus));
        Assert.All(deliveries, d =>
        {
            Assert.True(d.SignatureValid, $"delivery {d.Number}: signature '{d.Signature}' did not verify");
            Assert.Equal(run.Id.ToString(), d.DeliveryId);
            Assert.Equal("scheduled_prompt.run.completed", d.Event);
            // The signature binds the body: another secret, or another body, does not verify.
            Assert.False(WebhookSignature.Verify("whsec_someone_else", d.Signature, d.Body, DateTimeOffset.UtcNow, Tolerance));
            Assert.False(WebhookSignature.Verify(schedule.WebhookSecret, d.Signature, [.. d.Body, (byte)' '], DateTimeOffset.UtcNow, Tolerance));
        });

        var payload = deliveries[^1].Json;
        Assert.Equal(run.Id, payload.GetProperty("runId").GetGuid());
        Assert.Equal(schedule.Id, payload.GetProperty("scheduleId").GetGuid());
        Assert.Equal("completed", payload.GetProperty("status").GetString());
        Assert.Equal("Today's digest: all quiet.", payload.GetProperty("output").GetString());
        Assert.Equal(caller.TenantId, payload.GetProperty("tenantId").GetGuid());
    }

    [Fact]
    public async Task A_webhook_that_always_answers_500_leaves_the_run_completed_and_the_delivery_failed_with_the_error()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "hook_fail");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        var receiver = await scenario.StartWebhookReceiverAsync();
        receiver.Script = _ => 500;
        await scenario.StartWorkerAsync("w1", peer, o => o.WebhookMaxAttempts = 3);

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "unlucky", "Write something",
            c => c with { OutputDestination = OutputDestination.Webhook, WebhookUrl = receiver.Url },
            beforeDue: s => receiver.Secret = s.WebhookSecret);

        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.NotNull(run.Output);
        Assert.Equal("failed", run.DeliveryStatus);
        Assert.Equal(3, run.DeliveryAttempts);
        Assert.Equal(3, receiver.Deliveries.Count);
        Assert.All(receiver.Deliveries, d => Assert.Equal(run.Id.ToString(), d.DeliveryId));
        Assert.NotNull(run.DeliveryError);
        Assert.Contains("500", run.DeliveryError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_run_is_delivered_to_its_webhook_as_a_failed_event_with_the_error()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "hook_failed_run");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Fail(400, "Unsupported request");
        var receiver = await scenario.StartWebhookReceiverAsync();
        await scenario.StartWorkerAsync("w1", peer);

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "broken", "Break",
            c => c with { OutputDestination = OutputDestination.Webhook, WebhookUrl = receiver.Url },
            beforeDue: s => receiver.Secret = s.WebhookSecret);

        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.Status);
        Assert.Equal("delivered", run.DeliveryStatus);
        var delivery = Assert.Single(receiver.Deliveries);
        Assert.True(delivery.SignatureValid);
        Assert.Equal("scheduled_prompt.run.failed", delivery.Event);
        Assert.Equal("failed", delivery.Json.GetProperty("status").GetString());
        Assert.Equal(run.Error, delivery.Json.GetProperty("error").GetString());
        Assert.Contains("Unsupported request", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Email_output_reaches_the_notification_address_over_smtp_with_the_output_in_the_body()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "email");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Answer("Three things happened today: rain, sun, and a rainbow.");
        var smtp = scenario.StartSmtp();
        await scenario.StartWorkerAsync("w1", peer, radiant: r => r.AddSmtpEmailSender(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = smtp.Port;
            o.Security = SmtpSecurity.None;
            o.From = "radiant@test.local";
        }));

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "Morning weather", "Describe the weather",
            c => c with { NotificationEmail = "alice@example.test" });
        Assert.Equal(OutputDestination.Email, schedule.OutputDestination);

        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.Equal("delivered", run.DeliveryStatus);
        Assert.Equal(1, run.DeliveryAttempts);
        var sent = Assert.Single(smtp.Messages);
        Assert.Equal("radiant@test.local", sent.MailFrom);
        Assert.Equal(["alice@example.test"], sent.Recipients);
        using var message = await MimeMessage.LoadAsync(new MemoryStream(Encoding.UTF8.GetBytes(sent.Data)), TestContext.Current.CancellationToken);
        Assert.Equal("alice@example.test", Assert.Single(message.To.Mailboxes).Address);
        Assert.Contains("Morning weather", message.Subject, StringComparison.Ordinal);
        Assert.Contains("Three things happened today: rain, sun, and a rainbow.", message.TextBody, StringComparison.Ordinal);
        Assert.Contains(run.Id.ToString(), message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_smtp_server_that_accepts_and_never_answers_fails_the_email_delivery_after_EmailTimeout_per_attempt_with_the_attempts_recorded()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "email_hang");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Answer("The output that never reaches the inbox.");
        var smtp = scenario.StartSmtp();
        smtp.NeverAnswer = true;
        await scenario.StartWorkerAsync(
            "w1",
            peer,
            o =>
            {
                o.EmailMaxAttempts = 2;
                o.EmailTimeout = TimeSpan.FromMilliseconds(500);
                o.EmailRetryBaseDelay = TimeSpan.FromMilliseconds(20);
                // Email retries wait on their own delay: were they to use the webhook's, this run would stall for an hour.
                o.WebhookRetryBaseDelay = TimeSpan.FromHours(1);
            },
            radiant: r => r.AddSmtpEmailSender(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = smtp.Port;
                o.Security = SmtpSecurity.None;
                o.From = "radiant@test.local";
                o.Timeout = TimeSpan.FromHours(1); // only EmailTimeout can end an attempt
            }));

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "Hung mail", "Write something",
            c => c with { NotificationEmail = "alice@example.test" });
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.Equal("The output that never reaches the inbox.", run.Output);
        Assert.Equal("failed", run.DeliveryStatus);
        Assert.Equal(2, run.DeliveryAttempts);
        Assert.NotNull(run.DeliveryError);
        Assert.Contains("Timeout", run.DeliveryError, StringComparison.Ordinal);
        Assert.True(run.CompletedAt - run.StartedAt < TimeSpan.FromSeconds(15), $"the run took {run.CompletedAt - run.StartedAt}");
        Assert.Equal(2, smtp.Connections);
        Assert.Empty(smtp.Messages);
        // Each timed-out attempt hung up its connection rather than leaving it open.
        Assert.True(await Poll.UntilAsync(() => smtp.ClosedByClient == 2), $"{smtp.ClosedByClient} of 2 connections were closed");
    }

    [Theory]
    [InlineData("EmailTimeout", 0)]
    [InlineData("EmailTimeout", 5)]
    [InlineData("EmailRetryBaseDelay", 0)]
    [InlineData("EmailRetryBaseDelay", -1000)]
    public async Task Email_delay_and_timeout_out_of_range_fail_at_start_with_a_message_naming_the_setting(string setting, int milliseconds)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddRadiant().UsePostgres("Host=127.0.0.1;Database=unused").AddSchedulerWorker(o =>
        {
            if (setting == "EmailTimeout")
            {
                o.EmailTimeout = TimeSpan.FromMilliseconds(milliseconds);
            }
            else
            {
                o.EmailRetryBaseDelay = TimeSpan.FromMilliseconds(milliseconds);
            }
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Email_delivery_defaults_are_one_second_backoff_and_thirty_seconds_per_attempt()
    {
        var options = new SchedulerWorkerOptions();

        Assert.Equal(TimeSpan.FromSeconds(1), options.EmailRetryBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.EmailTimeout);
        // The defaults pass the worker's own validators (resolving the options runs them).
        var services = new ServiceCollection();
        services.AddRadiant().UsePostgres("Host=localhost").AddSchedulerWorker();
        using var provider = services.BuildServiceProvider();
        Assert.Equal(options.EmailTimeout, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<SchedulerWorkerOptions>>().Value.EmailTimeout);
    }
}
