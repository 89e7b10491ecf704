using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Radiant.Common;

/// <summary>The name the API uses for an enum member (its <see cref="JsonStringEnumMemberNameAttribute"/>), for error paths.</summary>
internal static class JsonNames
{
    private static readonly ConcurrentDictionary<Enum, string> Names = new();

    public static string Of<T>(T value)
        where T : struct, Enum =>
        Names.GetOrAdd(value, v => typeof(T).GetField(v.ToString(), BindingFlags.Public | BindingFlags.Static)
            ?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? v.ToString());
}
