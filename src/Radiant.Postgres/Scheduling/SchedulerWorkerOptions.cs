using System.Net;
using System.Net.Sockets;
using Polly.Timeout;

namespace Radiant.Postgres.Scheduling;

/// <summary>Settings of the scheduler worker (<c>AddSchedulerWorker</c>). The defaults suit a web host calling real models.</summary>
public sealed class SchedulerWorkerOptions
{
    /// <summary>The configuration sub-section these options bind from (under the section given to <c>AddRadiant</c>).</summary>
    public const string SectionName = "SchedulerWorker";

    /// <summary>Name of this instance in leases and logs. Default: machine name, process id and a random suffix.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// How often the worker looks for due work when nothing woke it. Changes made through Radiant wake every worker
    /// at once (LISTEN/NOTIFY) and the worker sleeps exactly until the next known due time, so this is a safety net
    /// (for rows written by other means, or a lost connection). Default 5 seconds.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs this instance holds at once, from claim until the outcome is recorded (model calls are I/O-bound); a slow
    /// database therefore slows claiming instead of piling up executed, unrecorded runs. Default 32.
    /// </summary>
    public int MaxConcurrentRuns { get; set; } = 32;

    /// <summary>Most occurrences claimed, or outcomes recorded, in one statement. Default 200.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// How long a claimed run stays leased without a heartbeat. A run whose worker died is claimed again by any
    /// worker once its lease expires. Default 60 seconds.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often leases of running runs are renewed. Default 15 seconds (a quarter of the lease).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Claims of one run (first claim plus recoveries after lost leases) after which it is recorded as failed instead
    /// of executed again, so a prompt that kills its worker cannot take the fleet down in a loop. Default 3.
    /// </summary>
    public int MaxClaims { get; set; } = 3;

    /// <summary>Calls to the model per execution: the first plus retries of transient failures. Default 3.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Delay before the first retry of a model call; doubles per retry, with jitter. Default 2 seconds.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time allowed for one model call before it counts as a (transient) timeout. Default 2 minutes.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Decides which exceptions from a chat client are transient (retried). The default,
    /// <see cref="IsTransientByDefault"/>, covers network errors, timeouts and HTTP 408/429/5xx from
    /// <see cref="HttpRequestException"/>; add your provider SDK's exception type here (for example OpenAI's
    /// <c>ClientResultException</c> with <c>Status</c> 429 or 5xx).
    /// </summary>
    public Func<Exception, bool> IsTransientFailure { get; set; } = IsTransientByDefault;

    /// <summary>Webhook delivery attempts per run (the first plus retries on network errors, 408, 429 and 5xx). Default 4.</summary>
    public int WebhookMaxAttempts { get; set; } = 4;

    /// <summary>Delay before the first webhook retry; doubles per retry, with jitter. Default 1 second.</summary>
    public TimeSpan WebhookRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time allowed for one webhook request. Default 10 seconds.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Lets webhooks reach loopback, private, link-local and other non-public addresses. Default false: webhook URLs
    /// are tenants' input, and the worker refuses (at connect time, on the resolved addresses) to call anything but
    /// public unicast addresses, so no schedule can probe your internal network or a cloud metadata endpoint (see
    /// <see cref="Radiant.Scheduling.WebhookAddressPolicy"/>). Set true when receivers are internal (on-premises, tests).
    /// </summary>
    public bool AllowPrivateWebhookAddresses { get; set; }

    /// <summary>Email delivery attempts per run (transient errors only). Default 3.</summary>
    public int EmailMaxAttempts { get; set; } = 3;

    /// <summary>Delay before the first email retry; doubles per retry, with jitter. Default 1 second.</summary>
    public TimeSpan EmailRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Time allowed for one email attempt (one <see cref="Radiant.Scheduling.IEmailSender.SendAsync"/> call); an attempt
    /// that takes longer is cancelled and counts as a (transient) timeout, so a mail server that accepts the connection
    /// and never answers cannot hold a run. Default 30 seconds.
    /// </summary>
    public TimeSpan EmailTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Prepares the worker's statements on each physical connection (Npgsql keeps them across pooled opens), which
    /// matters most when a batch spans many tenants. Default true. Set false behind a pooler that cannot carry
    /// prepared statements between its server connections (PgBouncer in transaction mode before 1.21, or without
    /// <c>max_prepared_statements</c>).
    /// </summary>
    public bool PrepareStatements { get; set; } = true;

    /// <summary>Longest error text recorded on a run.</summary>
    internal const int MaxErrorLength = 2000;

    /// <summary>The default transient-failure rule: network errors, timeouts, and HTTP 408, 429 and 5xx.</summary>
    public static bool IsTransientByDefault(Exception exception) => exception switch
    {
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: { } status } => IsTransientStatus(status),
        TimeoutRejectedException or TimeoutException or SocketException or IOException => true,
        _ => false,
    };

    /// <summary>HTTP statuses worth retrying: 408, 429 and 5xx.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
}
