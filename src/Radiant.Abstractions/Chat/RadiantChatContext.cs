using Radiant.ModelSelection;
using Radiant.Tenancy;

namespace Radiant.Chat;

/// <summary>
/// Who a call made through Radiant's chat-client middleware (<c>chatClient.AsBuilder().UseRadiant()</c>) is for, and
/// what it is charged to: put it on the call's <c>ChatOptions</c> with <c>options.WithRadiant(context)</c>.
/// </summary>
/// <param name="Caller">The user the call is for: their cost limit applies and the usage record is theirs.</param>
public sealed record RadiantChatContext(RadiantCaller Caller)
{
    /// <summary>The caller's id for this message (see <see cref="RadiantChatRequest.RequestId"/>); null: Radiant makes one.</summary>
    public string? RequestId { get; init; }

    /// <summary>The team whose pool pays for the call, or null.</summary>
    public Guid? TeamId { get; init; }

    /// <summary>The domain mode recorded with the usage, or null for <c>general</c>.</summary>
    public DomainMode? DomainMode { get; init; }

    /// <summary>The persona recorded with the usage, or null.</summary>
    public Guid? PersonaId { get; init; }

    /// <summary>Throws <see cref="Errors.RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new Errors.ValidationErrors();
        if (RequestId is not null && !ChatLimits.IsValidRequestId(RequestId))
        {
            errors.Add("requestId", $"'requestId' must be 1 to {ChatLimits.RequestIdMaxLength} characters of letters, digits, '.', '_', ':' or '-'.");
        }

        if (DomainMode is { } mode && !Enum.IsDefined(mode))
        {
            errors.Add("domainMode", "'domainMode' is not a domain mode.");
        }

        errors.ThrowIfAny();
    }
}
