using System.Text.Json;

namespace Radiant.Common;

/// <summary>The JSON values Radiant's free-form settings fall back to.</summary>
internal static class JsonObjects
{
    /// <summary><c>{}</c>: what a cleared settings or style object becomes.</summary>
    public static JsonElement Empty { get; } = JsonDocument.Parse("{}").RootElement.Clone();
}
