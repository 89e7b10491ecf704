using System.Text;
using System.Text.Json;

namespace Radiant.Errors;

/// <summary>
/// What text PostgreSQL can store, decided once. <c>text</c>, <c>varchar</c> and <c>jsonb</c> refuse the NUL
/// character, and UTF-8 cannot encode an unpaired UTF-16 surrogate. Callers' input with such characters is refused
/// with a field error; text Radiant did not receive from a caller (a model's output, an error message) is stored
/// cleaned with <see cref="Clean"/>.
/// </summary>
/// <remarks>
/// Public because the storage provider and the HTTP layer apply the same rule (they ship as separate packages); a
/// provider author stores text through it too. Hosts do not need it: inputs check it in their <c>Validate</c> methods.
/// </remarks>
public static class TextRules
{
    /// <summary>The index of the first character PostgreSQL cannot store, or null when all can be stored.</summary>
    public static int? FirstUnstorable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return i;
            }

            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return i;
                }

                i++;
            }
        }

        return null;
    }

    /// <summary>
    /// The text with NUL characters dropped and unpaired surrogates replaced by U+FFFD, for text that is stored as
    /// received rather than refused (a model's output).
    /// </summary>
    public static string? Clean(string? text)
    {
        if (text is null || FirstUnstorable(text) is null)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return builder.ToString();
    }

    internal static string Describe(string text, int index) => text[index] == '\0' ? "U+0000" : $"an unpaired surrogate U+{(int)text[index]:X4}";

    /// <summary>The JSON path of the first string or property name <c>jsonb</c> cannot store, or null.</summary>
    internal static string? FirstUnstorableJson(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsStorable(element) ? null : path;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstUnstorableJson(item, $"{path}[{i++}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsStorableName(property) || FirstUnstorableJson(property.Value, $"{path}.{property.Name}") is not null)
                    {
                        return IsStorableName(property) ? FirstUnstorableJson(property.Value, $"{path}.{property.Name}") : path;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool IsStorable(JsonElement element)
    {
        try
        {
            return FirstUnstorable(element.GetString()!) is null;
        }
        catch (InvalidOperationException)
        {
            return false; // An escaped lone surrogate cannot even be read as a .NET string.
        }
    }

    private static bool IsStorableName(JsonProperty property)
    {
        try
        {
            return FirstUnstorable(property.Name) is null;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
