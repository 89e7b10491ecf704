using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Radiant.Chat;

/// <summary>Options of the chat pipeline (<c>AddChat</c>; bound from the <c>Chat</c> configuration sub-section).</summary>
public sealed class RadiantChatOptions
{
    /// <summary>The configuration sub-section the options bind from.</summary>
    public const string SectionName = "Chat";

    /// <summary>Provider calls one message may make: the first and its fallbacks (1 to 5; default 3).</summary>
    [Range(1, 5, ErrorMessage = "RadiantChatOptions.MaxAttempts must be between 1 and 5.")]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// How long a message's team reservation holds budget if its host never settles it (a crash): long enough for the
    /// slowest reply. 10 s to 1 h; default 10 minutes.
    /// </summary>
    public TimeSpan ReservationExpiry { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Whether a provider failure may succeed on another model (the pipeline then falls back). Default: timeouts,
    /// refused or broken connections and HTTP 408, 429 and 5xx from <see cref="HttpRequestException"/>; a host using
    /// the OpenAI SDK adds its <c>ClientResultException</c> with <c>Status</c> 429 or 5xx.
    /// </summary>
    public Func<Exception, bool> IsTransientFailure { get; set; } = IsTransientByDefault;

    /// <summary>The default of <see cref="IsTransientFailure"/>.</summary>
    public static bool IsTransientByDefault(Exception exception) => exception switch
    {
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: { } status } => status is System.Net.HttpStatusCode.RequestTimeout or System.Net.HttpStatusCode.TooManyRequests || (int)status >= 500,
        TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        _ => exception.InnerException is { } inner && IsTransientByDefault(inner),
    };
}

/// <summary>Validates <see cref="RadiantChatOptions"/> at start-up.</summary>
internal sealed class RadiantChatOptionsValidator : IValidateOptions<RadiantChatOptions>
{
    public ValidateOptionsResult Validate(string? name, RadiantChatOptions options)
    {
        var failures = new List<string>();
        if (options.MaxAttempts is < 1 or > 5)
        {
            failures.Add("RadiantChatOptions.MaxAttempts must be between 1 and 5.");
        }

        if (options.ReservationExpiry < TimeSpan.FromSeconds(10) || options.ReservationExpiry > TimeSpan.FromHours(1))
        {
            failures.Add("RadiantChatOptions.ReservationExpiry must be between 10 seconds and 1 hour.");
        }

        if (options.IsTransientFailure is null)
        {
            failures.Add("RadiantChatOptions.IsTransientFailure is required.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
