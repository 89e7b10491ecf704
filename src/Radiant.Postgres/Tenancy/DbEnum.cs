using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// The one mapping between Radiant's enums and the text the database stores: each member's
/// <see cref="JsonStringEnumMemberNameAttribute"/> name, the same one the API uses (<c>"self_hosted"</c>,
/// <c>"not_required"</c>). The columns' CHECK constraints list the same names.
/// </summary>
internal static class DbEnum
{
    /// <summary>The stored name of <paramref name="value"/>.</summary>
    public static string Name<T>(T value)
        where T : struct, Enum =>
        Names<T>.ByValue.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"{value} is not a {typeof(T).Name}.");

    /// <summary>The member stored as <paramref name="name"/>; a name the enum does not know means the schema and the code disagree.</summary>
    public static T Parse<T>(string name)
        where T : struct, Enum =>
        Names<T>.ByName.TryGetValue(name, out var value)
            ? value
            : throw new InvalidOperationException($"The database holds '{name}', which is not a {typeof(T).Name} this version of Radiant knows.");

    private static class Names<T>
        where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> ByValue = typeof(T)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToFrozenDictionary(
                f => (T)f.GetValue(null)!,
                f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                    ?? throw new InvalidOperationException($"{typeof(T).Name}.{f.Name} has no stored name ([JsonStringEnumMemberName])."));

        public static readonly FrozenDictionary<string, T> ByName = ByValue.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}
