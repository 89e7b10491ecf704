using System.Text;
using Radiant.FocusModes;

namespace Radiant.Personas;

/// <summary>
/// Composes the system prompt for a persona: the persona's own prompt, then its personality traits and areas of
/// expertise (as the seed words them), then, when a focus mode is given, the mode's focus.
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
