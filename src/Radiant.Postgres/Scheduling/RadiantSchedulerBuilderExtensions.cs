using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Radiant.Hosting;
using Radiant.Postgres.Scheduling;
using Radiant.Postgres.Tenancy;
using Radiant.Scheduling;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the scheduler worker and the SMTP email sender of the PostgreSQL provider.</summary>
public static class RadiantSchedulerBuilderExtensions
{
    internal const string MissingProvider = "AddSchedulerWorker needs the PostgreSQL provider: call UsePostgres(...) on the same builder.";

    /// <summary>
    /// Runs scheduled prompts in this host: a hosted worker that claims due runs from the database (any number of
    /// instances can run it), executes them through the <c>IChatClient</c> registered for each model's provider
    /// (<c>services.AddKeyedChatClient("openai", ...)</c>, or an unkeyed default), prices them and delivers their
    /// output. Enables the scheduler feature. Needs <c>UsePostgres</c> (checked at start-up); idempotent. Options bind
    /// from the <c>SchedulerWorker</c> configuration sub-section, then from <paramref name="configure"/>.
    /// </summary>
    public static IRadiantBuilder AddSchedulerWorker(this IRadiantBuilder builder, Action<SchedulerWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        builder.AddScheduler();
        var options = services.AddOptions<SchedulerWorkerOptions>();
        if (!services.Any(d => d.ServiceType == typeof(SchedulerStore)))
        {
            if (builder.Configuration?.GetSection(SchedulerWorkerOptions.SectionName) is { } section)
            {
                options.Bind(section);
            }

            options.ValidateOnStart();
            // Whatever the host resolves first, a worker without the provider fails saying what to call.
            services.AddSingleton<IHostedService>(sp => sp.GetService<RadiantDb>() is null
                ? throw new InvalidOperationException(MissingProvider)
                : ActivatorUtilities.CreateInstance<SchedulerWorker>(sp));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SchedulerWorkerOptions>, SchedulerWorkerOptionsValidator>());
        services.TryAddSingleton<SchedulerStore>();
        RadiantListener.Register(services);
        services.AddHttpClient(OutputDelivery.WebhookClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookConnections.CreateHandler(sp.GetRequiredService<IOptions<SchedulerWorkerOptions>>().Value));
        services.AddMetrics();
        services.TryAddSingleton<SchedulerMetrics>();
        services.TryAddSingleton<OutputDelivery>();
        services.TryAddSingleton<PromptExecutor>();

        return builder;
    }

    /// <summary>Sends the email output of scheduled runs over SMTP (MailKit). Replaces no sender the host registered itself.</summary>
    /// <remarks>Options bind from the <c>Smtp</c> configuration sub-section, then from <paramref name="configure"/>.</remarks>
    public static IRadiantBuilder AddSmtpEmailSender(this IRadiantBuilder builder, Action<SmtpEmailOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<SmtpEmailOptions>();
        if (!builder.Services.Any(d => d.ImplementationType == typeof(SmtpEmailOptionsValidator)))
        {
            if (builder.Configuration?.GetSection(SmtpEmailOptions.SectionName) is { } section)
            {
                options.Bind(section);
            }

            options.ValidateOnStart();
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SmtpEmailOptions>, SmtpEmailOptionsValidator>());
        builder.Services.TryAddSingleton<IEmailSender, SmtpEmailSender>();
        return builder;
    }
}

internal sealed class SchedulerWorkerOptionsValidator(IServiceProvider services) : IValidateOptions<SchedulerWorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerWorkerOptions options)
    {
        var failures = new List<string>();
        if (services.GetService<IServiceProviderIsService>()?.IsService(typeof(RadiantDb)) != true)
        {
            failures.Add(RadiantSchedulerBuilderExtensions.MissingProvider);
        }

        if (string.IsNullOrWhiteSpace(options.WorkerId) || options.WorkerId.Length > 200)
        {
            failures.Add("SchedulerWorkerOptions.WorkerId must be 1 to 200 characters.");
        }

        if (options.MaxConcurrentRuns is < 1 or > 10_000)
        {
            failures.Add("SchedulerWorkerOptions.MaxConcurrentRuns must be between 1 and 10,000.");
        }

        if (options.BatchSize is < 1 or > 5_000)
        {
            failures.Add("SchedulerWorkerOptions.BatchSize must be between 1 and 5,000.");
        }

        if (options.PollInterval <= TimeSpan.Zero)
        {
            failures.Add("SchedulerWorkerOptions.PollInterval must be positive.");
        }

        if (options.HeartbeatInterval <= TimeSpan.Zero || options.LeaseDuration < options.HeartbeatInterval * 2)
        {
            failures.Add("SchedulerWorkerOptions.LeaseDuration must be at least twice HeartbeatInterval (both positive), so one late heartbeat does not lose a lease.");
        }

        if (options.MaxClaims < 1 || options.MaxAttempts < 1 || options.WebhookMaxAttempts < 1 || options.EmailMaxAttempts < 1)
        {
            failures.Add("SchedulerWorkerOptions.MaxClaims, MaxAttempts, WebhookMaxAttempts and EmailMaxAttempts must be 1 or more.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.WebhookRetryBaseDelay <= TimeSpan.Zero || options.EmailRetryBaseDelay <= TimeSpan.Zero)
        {
            failures.Add("SchedulerWorkerOptions.RetryBaseDelay, WebhookRetryBaseDelay and EmailRetryBaseDelay must be positive.");
        }

        if (options.AttemptTimeout <= TimeSpan.Zero || options.WebhookTimeout <= TimeSpan.Zero)
        {
            failures.Add("SchedulerWorkerOptions.AttemptTimeout and WebhookTimeout must be positive.");
        }

        // Polly's timeout strategy takes 10 ms to 24 hours.
        if (options.EmailTimeout < TimeSpan.FromMilliseconds(10) || options.EmailTimeout > TimeSpan.FromDays(1))
        {
            failures.Add("SchedulerWorkerOptions.EmailTimeout must be between 10 milliseconds and 24 hours.");
        }

        if (options.IsTransientFailure is null)
        {
            failures.Add("SchedulerWorkerOptions.IsTransientFailure must be set (use SchedulerWorkerOptions.IsTransientByDefault).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
