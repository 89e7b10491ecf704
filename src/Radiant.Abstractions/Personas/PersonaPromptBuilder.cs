using System.Text;
using Radiant.FocusModes;

namespace Radiant.Personas;

/// <summary>
/// Composes the system prompt for a persona: the persona's own prompt, then its personality traits
/// (<c>Personality traits: a, b.</c>) and areas of expertise (<c>Areas of expertise: a, b.</c>), then, when a focus
/// mode is given, the mode's display name and prompt (<c>Focus mode: Display name.</c>, then the mode's system prompt on the next line).
/// Storage providers implement <see cref="IPersonaService.BuildPromptAsync"/> with it, so every provider composes the
/// same text.
/// </summary>
public static class PersonaPromptBuilder
{
    /// <summary>Builds the prompt. Pure: the same inputs always give the same text.</summary>
    public static string Build(Persona persona, FocusMode? focusMode = null)
    {
        ArgumentNullException.ThrowIfNull(persona);
        var prompt = new StringBuilder(persona.SystemPrompt.Length + 256);
        prompt.Append(persona.SystemPrompt.TrimEnd());
        if (persona.Traits.Count > 0)
        {
            prompt.Append("\n\nPersonality traits: ").AppendJoin(", ", persona.Traits).Append('.');
        }

        if (persona.Domains.Count > 0)
        {
            prompt.Append("\n\nAreas of expertise: ").AppendJoin(", ", persona.Domains).Append('.');
        }

        if (focusMode is not null)
        {
            prompt.Append("\n\nFocus mode: ").Append(focusMode.DisplayName).Append(".\n").Append(focusMode.SystemPrompt.TrimEnd());
        }

        return prompt.ToString();
    }
}
