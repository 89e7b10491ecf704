using System.Text.Json;
using System.Text.Json.Serialization;

namespace Radiant.Common;

/// <summary>
/// Reads a JSON property into <see cref="Optional{T}"/>: a property that is present (even as <c>null</c>) becomes a
/// present value; a missing property never reaches the converter and stays absent.
/// </summary>
/// <remarks>
/// <see cref="Optional{T}"/> names this factory in its <see cref="JsonConverterAttribute"/>, so every serializer picks
/// it up without registration. It is public because the System.Text.Json source generator instantiates the converter
/// named by that attribute directly (<c>new OptionalJsonConverterFactory()</c>) in the generated context of the
/// assembly that serializes the type: <c>Radiant.AspNetCore</c>'s, or a host's own <see cref="JsonSerializerContext"/>
/// for Radiant's update records. Hosts do not need to use it directly.
/// </remarks>
public sealed class OptionalJsonConverterFactory : JsonConverterFactory
{
    /// <inheritdoc />
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    /// <inheritdoc />
    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(typeToConvert);
        var converterType = typeof(OptionalJsonConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]);
        return (JsonConverter)Activator.CreateInstance(converterType)!;
    }
}

/// <summary>Converter for one <see cref="Optional{T}"/>, created by <see cref="OptionalJsonConverterFactory"/>.</summary>
/// <typeparam name="T">The field's type.</typeparam>
internal sealed class OptionalJsonConverter<T> : JsonConverter<Optional<T>>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return new Optional<T>(default!);
        }

        var typeInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        return new Optional<T>(JsonSerializer.Deserialize(ref reader, typeInfo)!);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        if (!value.HasValue || value.Value is null)
        {
            writer.WriteNullValue();
            return;
        }

        var typeInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        JsonSerializer.Serialize(writer, value.Value, typeInfo);
    }
}
