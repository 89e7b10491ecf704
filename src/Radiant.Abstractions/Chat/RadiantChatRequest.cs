using System.Text.Json.Serialization;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Routing;

namespace Radiant.Chat;

/// <summary>Who wrote a message of a conversation.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChatMessageRole>))]
public enum ChatMessageRole
{
    /// <summary>The user.</summary>
    [JsonStringEnumMemberName("user")]
    User,

    /// <summary>An earlier reply of the assistant.</summary>
    [JsonStringEnumMemberName("assistant")]
    Assistant,

    /// <summary>An instruction of the conversation's own (added after the persona's, focus mode's and domain mode's prompts).</summary>
    [JsonStringEnumMemberName("system")]
    System,
}

/// <summary>One message of the conversation sent with a chat request.</summary>
/// <param name="Role">Who wrote it.</param>
/// <param name="Content">Its text, 1 to <see cref="ChatLimits.MessageMaxLength"/> characters.</param>
public sealed record RadiantChatMessage(ChatMessageRole Role, string Content);

/// <summary>
/// A message to send through Radiant: the conversation so far (ending with the user's message) and how to answer it.
/// Everything but <see cref="Messages"/> is optional: without a model the router chooses one (<see cref="IModelRouter"/>).
/// </summary>
/// <param name="Messages">The conversation, oldest first; the last message is the user's. 1 to <see cref="ChatLimits.MaxMessages"/>.</param>
public sealed record RadiantChatRequest(IReadOnlyList<RadiantChatMessage> Messages)
{
    /// <summary>
    /// The caller's id for this message (1 to <see cref="ChatLimits.RequestIdMaxLength"/> characters of
    /// <c>A-Z a-z 0-9 . _ : -</c>), so that a retry is recognised: a request id already answered is refused with a
    /// conflict and charged once. Null: Radiant makes one (and the retry is a new message).
    /// </summary>
    public string? RequestId { get; init; }

    /// <summary>The model to use (a registry id the user may pick), or null / <c>auto</c> to let the router choose.</summary>
    public string? ModelId { get; init; }

    /// <summary>The domain mode (its system prompt, temperature and default model apply), or null for <c>general</c>.</summary>
    public DomainMode? DomainMode { get; init; }

    /// <summary>A persona the user can see: its system prompt comes first.</summary>
    public Guid? PersonaId { get; init; }

    /// <summary>A focus mode's name, with <see cref="PersonaId"/> (the persona's prompt then adds the mode's).</summary>
    public string? FocusMode { get; init; }

    /// <summary>The team whose pool pays for this message (the user must be an active member), or null for none.</summary>
    public Guid? TeamId { get; init; }

    /// <summary>The longest reply wanted, in tokens (1 to <see cref="ChatLimits.MaxOutputTokensLimit"/>), or null for the default.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>What the message carries besides text (images need a vision model).</summary>
    public IReadOnlyList<RoutingAttachments>? Attachments { get; init; }

    /// <summary>True when <see cref="ModelId"/> leaves the choice to the router.</summary>
    [JsonIgnore]
    public bool IsAuto => ModelId is null || string.Equals(ModelId, RoutingRules.Auto, StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field; nothing is sent or charged.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (Messages is null || Messages.Count == 0)
        {
            errors.Add("messages", "'messages' must hold at least one message.");
        }
        else if (Messages.Count > ChatLimits.MaxMessages)
        {
            errors.Add("messages", $"'messages' may hold at most {ChatLimits.MaxMessages} messages.");
        }
        else
        {
            long total = 0;
            for (var i = 0; i < Messages.Count; i++)
            {
                var message = Messages[i];
                if (message is null)
                {
                    errors.Add($"messages[{i}]", "A message cannot be null.");
                    continue;
                }

                if (!Enum.IsDefined(message.Role))
                {
                    errors.Add($"messages[{i}].role", "'role' must be user, assistant or system.");
                }

                errors.Required($"messages[{i}].content", message.Content, ChatLimits.MessageMaxLength);
                total += message.Content?.Length ?? 0;
            }

            if (total > ChatLimits.ConversationMaxLength)
            {
                errors.Add("messages", $"The conversation may hold at most {ChatLimits.ConversationMaxLength} characters in all.");
            }

            if (Messages[^1] is { Role: not ChatMessageRole.User })
            {
                errors.Add("messages", "The last message must be the user's.");
            }
        }

        if (RequestId is not null && !ChatLimits.IsValidRequestId(RequestId))
        {
            errors.Add("requestId", $"'requestId' must be 1 to {ChatLimits.RequestIdMaxLength} characters of letters, digits, '.', '_', ':' or '-'.");
        }

        errors.Optional("modelId", ModelId, ChatLimits.ModelIdMaxLength);
        if (DomainMode is { } mode && !Enum.IsDefined(mode))
        {
            errors.Add("domainMode", "'domainMode' is not a domain mode.");
        }

        errors.Optional("focusMode", FocusMode, ChatLimits.FocusModeMaxLength);
        if (FocusMode is not null && PersonaId is null)
        {
            errors.Add("focusMode", "'focusMode' needs a 'personaId'.");
        }

        if (MaxOutputTokens is < 1 or > ChatLimits.MaxOutputTokensLimit)
        {
            errors.Add("maxOutputTokens", $"'maxOutputTokens' must be between 1 and {ChatLimits.MaxOutputTokensLimit}.");
        }

        if (Attachments is not null)
        {
            for (var i = 0; i < Attachments.Count; i++)
            {
                if (Attachments[i] is RoutingAttachments.None || (Attachments[i] & ~RoutingRules.AllAttachments) != 0 || !Enum.IsDefined(Attachments[i]))
                {
                    errors.Add($"attachments[{i}]", "An attachment must be image, audio or file.");
                }
            }
        }

        errors.ThrowIfAny();
    }

    /// <summary>The attachments as the router's flags.</summary>
    public RoutingAttachments AttachmentFlags()
    {
        var flags = RoutingAttachments.None;
        foreach (var attachment in Attachments ?? [])
        {
            flags |= attachment;
        }

        return flags;
    }
}

/// <summary>Bounds of chat requests.</summary>
public static class ChatLimits
{
    /// <summary>Most messages in one request.</summary>
    public const int MaxMessages = 200;

    /// <summary>Longest single message, in characters.</summary>
    public const int MessageMaxLength = 100_000;

    /// <summary>Longest conversation (all messages), in characters.</summary>
    public const int ConversationMaxLength = 400_000;

    /// <summary>Longest request id.</summary>
    public const int RequestIdMaxLength = 100;

    /// <summary>Longest model id.</summary>
    public const int ModelIdMaxLength = 100;

    /// <summary>Longest focus mode name.</summary>
    public const int FocusModeMaxLength = 50;

    /// <summary>Largest reply budget a request may ask for.</summary>
    public const int MaxOutputTokensLimit = 1_000_000;

    /// <summary>Whether <paramref name="requestId"/> is a valid request id.</summary>
    public static bool IsValidRequestId(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (requestId.Length is 0 or > RequestIdMaxLength)
        {
            return false;
        }

        foreach (var c in requestId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
