using System.Globalization;
using Radiant.Errors;

namespace Radiant.AspNetCore.Http;

/// <summary>
/// A route or query value Radiant parses itself. Binding one never fails: a malformed value is carried with its
/// error, and <see cref="RadiantEndpointFilters.CheckRequestValues"/> answers 400 naming every bad value (with the
/// body's field errors) before the handler runs. The framework's own binding would answer a bare 400 instead.
/// </summary>
internal interface IRequestValue
{
    /// <summary>Why the value is not acceptable, or null when it is.</summary>
    string? Error { get; }
}

/// <summary>A UUID from the route or query (an id).</summary>
internal readonly record struct UuidValue(Guid Value, string? Error) : IRequestValue
{
    public static bool TryParse(string? text, IFormatProvider? provider, out UuidValue value)
    {
        value = Guid.TryParse(text, provider, out var id)
            ? new UuidValue(id, null)
            : new UuidValue(Guid.Empty, "must be a UUID such as 3f2c4b8e-1d2a-4c5b-9e6f-7a8b9c0d1e2f.");
        return true;
    }
}

/// <summary>A whole number from the query.</summary>
internal readonly record struct IntValue(int Value, string? Error) : IRequestValue
{
    public static bool TryParse(string? text, IFormatProvider? provider, out IntValue value)
    {
        value = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? new IntValue(number, null)
            : new IntValue(0, $"must be a whole number between {int.MinValue} and {int.MaxValue}.");
        return true;
    }
}

/// <summary>true or false from the query.</summary>
internal readonly record struct BoolValue(bool Value, string? Error) : IRequestValue
{
    public static bool TryParse(string? text, IFormatProvider? provider, out BoolValue value)
    {
        value = bool.TryParse(text, out var flag) ? new BoolValue(flag, null) : new BoolValue(false, "must be true or false.");
        return true;
    }
}

/// <summary>Text from the route or query (a model id, a name): storable and of bounded length.</summary>
internal readonly record struct TextValue(string Value, string? Error) : IRequestValue
{
    /// <summary>The longest text a route or query value may carry (the longest id or name Radiant stores).</summary>
    public const int MaxLength = 200;

    public static bool TryParse(string? text, IFormatProvider? provider, out TextValue value)
    {
        text ??= string.Empty;
        value = text.Length > MaxLength
            ? new TextValue(text, $"must be at most {MaxLength} characters (got {text.Length}).")
            : TextRules.FirstUnstorable(text) is { } index
                ? new TextValue(text, $"contains a character that cannot be stored (at position {index}).")
                : new TextValue(text, null);
        return true;
    }
}

/// <summary>An instant from the query, ISO 8601 with its offset (<c>2025-06-01T00:00:00Z</c>) or a date (<c>2025-06-01</c>, midnight UTC); a time without an offset is refused.</summary>
internal readonly record struct InstantValue(DateTimeOffset Value, string? Error) : IRequestValue
{
    private static readonly string[] Formats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    public static bool TryParse(string? text, IFormatProvider? provider, out InstantValue value)
    {
        // A time without its offset is ambiguous (whose midnight?): refused, while a bare date is midnight UTC.
        var offsetGiven = text is not null && (!text.Contains('T', StringComparison.Ordinal) || text.EndsWith('Z') || text.EndsWith('z') || text.LastIndexOfAny(['+', '-']) > 10);
        value = offsetGiven && DateTimeOffset.TryParseExact(
                text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)
            ? new InstantValue(instant, null)
            : new InstantValue(default, "must be an ISO 8601 instant with its offset, such as 2025-06-01T00:00:00Z, or a date such as 2025-06-01.");
        return true;
    }
}

/// <summary>One of an enum's API names from the query (its <see cref="System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute"/> names).</summary>
internal readonly record struct EnumValue<T>(T Value, string? Error) : IRequestValue
    where T : struct, Enum
{
    private static readonly Dictionary<string, T> ByName = typeof(T)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .ToDictionary(
            f => System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>(f)?.Name ?? f.Name,
            f => (T)f.GetValue(null)!,
            StringComparer.Ordinal);

    private static readonly string Expected = string.Join(", ", ByName.Keys);

    public static bool TryParse(string? text, IFormatProvider? provider, out EnumValue<T> value)
    {
        value = text is not null && ByName.TryGetValue(text, out var member)
            ? new EnumValue<T>(member, null)
            : new EnumValue<T>(default, $"must be one of: {Expected}.");
        return true;
    }
}
