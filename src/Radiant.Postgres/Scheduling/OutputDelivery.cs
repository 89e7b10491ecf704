using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using MailKit;
using MailKit.Net.Smtp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Radiant.Postgres.Tenancy;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>The outcome of delivering a run's output.</summary>
internal readonly record struct DeliveryResult(DeliveryStatus Status, int Attempts, string? Error);

/// <summary>
/// Delivers a run's output to its webhook (a JSON POST signed per <see cref="WebhookSignature"/>) or email address,
/// retrying transient failures with exponential backoff. Delivery is at least once: the delivery id header (the run
/// id) stays the same across retries and re-executions, so a receiver can drop duplicates.
/// </summary>
internal sealed partial class OutputDelivery
{
    /// <summary>Name of the <see cref="HttpClient"/> used for webhooks (configure it with <c>AddHttpClient</c>).</summary>
    public const string WebhookClientName = "Radiant.Webhooks";

    private readonly IHttpClientFactory _httpClients;
    private readonly SchedulerMetrics _metrics;
    private readonly IServiceProvider _services;
    private readonly SchedulerWorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OutputDelivery> _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _webhookPipeline;
    private readonly ResiliencePipeline _emailPipeline;

    public OutputDelivery(
        IHttpClientFactory httpClients,
        SchedulerMetrics metrics,
        IServiceProvider services,
        IOptions<SchedulerWorkerOptions> options,
        TimeProvider time,
        ILogger<OutputDelivery> logger)
    {
        _httpClients = httpClients;
        _metrics = metrics;
        _services = services;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var webhook = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (_options.WebhookMaxAttempts > 1)
        {
            webhook.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = _options.WebhookMaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.WebhookRetryBaseDelay,
                ShouldHandle = args => ValueTask.FromResult(!args.Context.CancellationToken.IsCancellationRequested && args.Outcome switch
                {
                    { Exception: HttpRequestException { InnerException: WebhookAddressRefusedException } } => false,
                    { Exception: { } e } => SchedulerWorkerOptions.IsTransientByDefault(e),
                    { Result: { } response } => SchedulerWorkerOptions.IsTransientStatus(response.StatusCode),
                    _ => false,
                }),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        _webhookPipeline = webhook.AddTimeout(_options.WebhookTimeout).Build();
        var email = new ResiliencePipelineBuilder { TimeProvider = time };
        if (_options.EmailMaxAttempts > 1)
        {
            email.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.EmailMaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.EmailRetryBaseDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && IsTransientEmailFailure(e)),
            });
        }

        // Per attempt (inside the retry), as for webhooks: a sender that hangs is cancelled and the attempt counts as failed.
        _emailPipeline = email.AddTimeout(_options.EmailTimeout).Build();
    }

    public Task<DeliveryResult> DeliverAsync(RunOutcome outcome, CancellationToken cancellationToken) => outcome.Run.Destination switch
    {
        OutputDestination.Webhook => DeliverWebhookAsync(outcome, cancellationToken),
        OutputDestination.Email => DeliverEmailAsync(outcome, cancellationToken),
        _ => Task.FromResult(new DeliveryResult(DeliveryStatus.NotRequired, 0, null)),
    };

    private async Task<DeliveryResult> DeliverWebhookAsync(RunOutcome outcome, CancellationToken cancellationToken)
    {
        var run = outcome.Run;
        if (run.WebhookUrl is null || run.WebhookSecret is null)
        {
            return Record(OutputDestination.Webhook, new DeliveryResult(DeliveryStatus.Failed, 0, "The schedule has no webhook URL."));
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(WebhookPayload.From(outcome, _time.GetUtcNow()), SchedulerJsonContext.Default.WebhookPayload);
        var eventName = outcome.Status == ScheduleRunStatus.Completed ? WebhookPayload.CompletedEvent : WebhookPayload.FailedEvent;
        var client = _httpClients.CreateClient(WebhookClientName);
        var attempts = 0;
        try
        {
            using var response = await _webhookPipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    using var request = new HttpRequestMessage(HttpMethod.Post, run.WebhookUrl);
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                    request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(run.WebhookSecret, _time.GetUtcNow(), body));
                    request.Headers.Add(WebhookSignature.DeliveryHeader, run.RunId.ToString());
                    request.Headers.Add(WebhookSignature.EventHeader, eventName);
                    return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                },
                cancellationToken);
            return Record(OutputDestination.Webhook, response.IsSuccessStatusCode
                ? new DeliveryResult(DeliveryStatus.Delivered, attempts, null)
                : new DeliveryResult(DeliveryStatus.Failed, attempts, $"The webhook answered {(int)response.StatusCode} {response.ReasonPhrase}."));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookAddressRefusedException refused)
        {
            // The addresses are for the operator only: shown to the tenant, they would map the internal network.
            LogWebhookRefused(run.RunId, run.TenantId, refused.Message, refused.Resolved);
            return Record(OutputDestination.Webhook, new DeliveryResult(DeliveryStatus.Failed, attempts, refused.Message));
        }
        catch (Exception e)
        {
            LogDeliveryFailed(e, run.RunId, "webhook");
            return Record(OutputDestination.Webhook, new DeliveryResult(DeliveryStatus.Failed, attempts, RunErrors.Describe(e)));
        }
    }

    private async Task<DeliveryResult> DeliverEmailAsync(RunOutcome outcome, CancellationToken cancellationToken)
    {
        var run = outcome.Run;
        var sender = _services.GetService<IEmailSender>();
        if (sender is null || run.NotificationEmail is null)
        {
            return Record(OutputDestination.Email, new DeliveryResult(DeliveryStatus.Failed, 0,
                sender is null ? "No IEmailSender is registered (call AddSmtpEmailSender or register your own)." : "The schedule has no notification email."));
        }

        var completed = outcome.Status == ScheduleRunStatus.Completed;
        var message = new EmailMessage(
            run.NotificationEmail,
            $"{run.Name}: {(completed ? "scheduled prompt completed" : "scheduled prompt failed")}",
            completed
                ? $"{outcome.Output}\n\n--\nModel {run.Model}, {outcome.InputTokens ?? 0} input and {outcome.OutputTokens ?? 0} output tokens, run {run.RunId}."
                : $"The scheduled prompt '{run.Name}' failed: {outcome.Error}\n\n--\nRun {run.RunId}.");
        var attempts = 0;
        try
        {
            await _emailPipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    await sender.SendAsync(message, ct).ConfigureAwait(false);
                },
                cancellationToken);
            return Record(OutputDestination.Email, new DeliveryResult(DeliveryStatus.Delivered, attempts, null));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LogDeliveryFailed(e, run.RunId, "email");
            return Record(OutputDestination.Email, new DeliveryResult(DeliveryStatus.Failed, attempts, RunErrors.Describe(e)));
        }
    }

    private bool IsTransientEmailFailure(Exception e) => e switch
    {
        // 4xx replies are temporary by definition (RFC 5321); 5xx are permanent.
        SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
        SmtpProtocolException or ServiceNotConnectedException or SocketException or IOException or TimeoutException or TimeoutRejectedException => true,
        _ => _options.IsTransientFailure(e),
    };

    private DeliveryResult Record(OutputDestination destination, DeliveryResult result)
    {
        _metrics.Deliveries.Add(
            1,
            new KeyValuePair<string, object?>("radiant.destination", destination == OutputDestination.Webhook ? "webhook" : "email"),
            new KeyValuePair<string, object?>("radiant.outcome", result.Status == DeliveryStatus.Delivered ? "delivered" : "failed"));
        return result;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of run {RunId} (tenant {TenantId}) not called: {Reason} Resolved to: {Resolved}")]
    private partial void LogWebhookRefused(Guid runId, Guid tenantId, string reason, string resolved);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of run {RunId} to its {Destination} failed")]
    private partial void LogDeliveryFailed(Exception exception, Guid runId, string destination);
}

/// <summary>The JSON body POSTed to a schedule's webhook.</summary>
internal sealed record WebhookPayload(
    string Event,
    Guid RunId,
    Guid ScheduleId,
    string ScheduleName,
    Guid TenantId,
    Guid UserId,
    string Status,
    string Trigger,
    DateTimeOffset ScheduledFor,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    string Model,
    string? Output,
    int? InputTokens,
    int? OutputTokens,
    decimal? Cost,
    int LatencyMs,
    string? Error)
{
    public const string CompletedEvent = "scheduled_prompt.run.completed";
    public const string FailedEvent = "scheduled_prompt.run.failed";

    public static WebhookPayload From(RunOutcome outcome, DateTimeOffset now)
    {
        var run = outcome.Run;
        var completed = outcome.Status == ScheduleRunStatus.Completed;
        return new WebhookPayload(
            completed ? CompletedEvent : FailedEvent, run.RunId, run.ScheduleId, run.Name, run.TenantId, run.UserId,
            DbEnum.Name(outcome.Status), DbEnum.Name(run.Trigger), run.ScheduledFor, run.StartedAt, now,
            run.Model, outcome.Output, outcome.InputTokens, outcome.OutputTokens, outcome.Cost, outcome.LatencyMs, outcome.Error);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class SchedulerJsonContext : JsonSerializerContext;
