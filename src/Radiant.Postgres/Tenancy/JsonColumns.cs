using System.Text.Json;

namespace Radiant.Postgres.Tenancy;

/// <summary>Converts free-form jsonb object columns to and from <see cref="JsonElement"/>.</summary>
internal static class JsonColumns
{
    private static readonly JsonElement EmptyObject = Parse("{}");

    public static JsonElement Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return EmptyObject;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>The text to store: an absent or null element is stored as an empty object.</summary>
    public static string ToJson(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } value ? value.GetRawText() : "{}";

    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
