using System.Text.Json;

namespace Radiant.Personas;

/// <summary>A user's custom persona. Private to its owner unless <see cref="IsPublic"/>, in which case the whole tenant sees it.</summary>
/// <param name="Id">The persona's id.</param>
/// <param name="TenantId">The tenant.</param>
/// <param name="OwnerId">The user who created it; only this user may change or delete it.</param>
/// <param name="Name">Name, 1–100 characters.</param>
/// <param name="DisplayName">Optional display name.</param>
/// <param name="AvatarUrl">Optional absolute http(s) URL.</param>
/// <param name="SystemPrompt">The persona's prompt.</param>
/// <param name="VoiceId">Optional voice identifier.</param>
/// <param name="Traits">Personality traits.</param>
/// <param name="Domains">Knowledge domains (areas of expertise).</param>
/// <param name="Style">Conversation style settings, always a JSON object.</param>
/// <param name="IsPublic">Shared with the tenant when true.</param>
/// <param name="UsageCount">How many times the persona was used.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it was last changed.</param>
public sealed record Persona(
    Guid Id,
    Guid TenantId,
    Guid OwnerId,
    string Name,
    string? DisplayName,
    string? AvatarUrl,
    string SystemPrompt,
    string? VoiceId,
    IReadOnlyList<string> Traits,
    IReadOnlyList<string> Domains,
    JsonElement Style,
    bool IsPublic,
    long UsageCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One use of a persona, as recorded by <see cref="IPersonaService.LogUsageAsync"/>.</summary>
/// <param name="ChatId">Optional id of the chat the persona was used in.</param>
/// <param name="TokensUsed">Optional number of tokens used (0 or more).</param>
public sealed record PersonaUsage(Guid? ChatId = null, int? TokensUsed = null)
{
    /// <summary>Throws <see cref="Errors.RadiantValidationException"/> naming every bad field; nothing is stored.</summary>
    public void Validate()
    {
        if (TokensUsed is < 0)
        {
            throw new Errors.RadiantValidationException("tokensUsed", "'tokensUsed' must be 0 or more.");
        }
    }
}

/// <summary>The result of logging a use.</summary>
/// <param name="PersonaId">The persona.</param>
/// <param name="UsageCount">The persona's usage count after this use.</param>
public sealed record PersonaUsageLogged(Guid PersonaId, long UsageCount);
