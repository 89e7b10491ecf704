using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Radiant.AspNetCore.Http;

/// <summary>
/// A request body read by Radiant, not by the framework: JSON is parsed, then checked against the contract of
/// <typeparamref name="T"/> (unknown fields, missing required fields, wrong types, numbers out of range, unknown enum
/// names, text PostgreSQL cannot store), and every fault is reported by field path. Binding never fails; a faulty
/// body carries its errors to <see cref="RadiantEndpointFilters.CheckRequestValues"/>, which answers 400.
/// </summary>
/// <typeparam name="T">The body's type.</typeparam>
internal sealed class JsonBody<T> : IJsonBody, IBindableFromHttpContext<JsonBody<T>>, IEndpointParameterMetadataProvider
    where T : class
{
    /// <summary>The largest body accepted: far above any valid one (the longest prompt is 32,000 characters).</summary>
    public const int MaxBytes = 1024 * 1024;

    // NullabilityInfoContext is not thread-safe: each parameter is read once, with a context of its own, and remembered.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ParameterInfo, bool> Optional = new();

    private JsonBody(T? value, IReadOnlyDictionary<string, string[]> errors, int status)
    {
        ValueOrNull = value;
        Errors = errors;
        Status = status;
    }

    /// <summary>The body; only read once the filter found no error.</summary>
    public T Value => ValueOrNull ?? throw new InvalidOperationException("The body has errors; the request-value filter should have answered 400.");

    /// <summary>The body, or null when it had errors or was absent and optional.</summary>
    public T? ValueOrNull { get; }

    /// <summary>Field path → messages; empty when the body is fine.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The status to answer with when <see cref="Errors"/> is not empty (400, 413 or 415).</summary>
    public int Status { get; }

    public static async ValueTask<JsonBody<T>?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(parameter);
        var optional = IsOptional(parameter);
        var request = context.Request;
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return optional ? null : Fail("$", "A JSON body is required.");
        }

        if (!request.HasJsonContentType())
        {
            return Fail("$", "The body must be JSON: send Content-Type: application/json.", StatusCodes.Status415UnsupportedMediaType);
        }

        if (request.ContentLength > MaxBytes)
        {
            return Fail("$", $"The body must be at most {MaxBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length > MaxBytes)
        {
            return Fail("$", $"The body must be at most {MaxBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        if (buffer.Length == 0)
        {
            return optional ? null : Fail("$", "A JSON body is required.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : string.Empty;
            return Fail("$", $"The body is not valid JSON{where}.");
        }

        using (document)
        {
            var typeInfo = (JsonTypeInfo<T>)RadiantJsonContext.Default.Options.GetTypeInfo(typeof(T));
            var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            JsonContract.Check(document.RootElement, typeInfo, "$", allowNull: false, errors);
            if (errors.Count == 0)
            {
                try
                {
                    var value = document.RootElement.Deserialize(typeInfo);
                    return value is null ? Fail("$", "A JSON object is required.") : new JsonBody<T>(value, new Dictionary<string, string[]>(), StatusCodes.Status200OK);
                }
                catch (JsonException e)
                {
                    // The contract check should have caught it; this keeps any gap a 400 rather than a 500.
                    JsonContract.Add(errors, JsonContract.Key(e.Path ?? "$"), "has a value this field cannot take.");
                }
            }

            return new JsonBody<T>(null, errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal), StatusCodes.Status400BadRequest);
        }
    }

    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new BodyMetadata(typeof(T), IsOptional(parameter)));
    }

    /// <summary>A body declared nullable (<c>JsonBody&lt;T&gt;?</c>) may be absent.</summary>
    private static bool IsOptional(ParameterInfo parameter) =>
        Optional.GetOrAdd(parameter, p => new NullabilityInfoContext().Create(p).ReadState == NullabilityState.Nullable);

    private static JsonBody<T> Fail(string key, string message, int status = StatusCodes.Status400BadRequest) =>
        new(null, new Dictionary<string, string[]>(StringComparer.Ordinal) { [key] = [message] }, status);

    private sealed record BodyMetadata(Type RequestType, bool IsOptional) : IAcceptsMetadata
    {
        public IReadOnlyList<string> ContentTypes { get; } = ["application/json"];

        Type? IAcceptsMetadata.RequestType => RequestType;
    }
}

/// <summary>A body's errors, whatever its type, for the request-value filter.</summary>
internal interface IJsonBody
{
    IReadOnlyDictionary<string, string[]> Errors { get; }

    int Status { get; }
}

/// <summary>Checks a parsed JSON value against a type's serialization contract and names every fault by its path.</summary>
internal static class JsonContract
{
    public static void Add(Dictionary<string, List<string>> errors, string key, string message)
    {
        if (!errors.TryGetValue(key, out var list))
        {
            errors[key] = list = [];
        }

        // Root messages are whole sentences; a field's message names the field.
        list.Add(key == "$" ? message : $"'{key}' {message}");
    }

    /// <summary>The error key of a JSON path: the field's path without the leading <c>$.</c> (the root stays <c>$</c>).</summary>
    public static string Key(string path) => path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    public static void Check(JsonElement element, JsonTypeInfo info, string path, bool allowNull, Dictionary<string, List<string>> errors)
    {
        var type = info.Type;
        if (IsOptional(type, out var inner))
        {
            // A present field of a partial update: null is the value "clear" wherever the inner type can hold it.
            Check(element, info.Options.GetTypeInfo(inner), path, CanHoldNull(inner), errors);
            return;
        }

        if (element.ValueKind == JsonValueKind.Null)
        {
            if (!allowNull && type != typeof(JsonElement))
            {
                Add(errors, Key(path), "must not be null.");
            }

            return;
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(JsonElement))
        {
            CheckStorableJson(element, path, errors);
            return;
        }

        if (target.IsEnum)
        {
            CheckEnum(element, target, path, errors);
            return;
        }

        if (Primitive(target) is { } expected)
        {
            if (!expected(element))
            {
                Add(errors, Key(path), Describe(target));
            }
            else if (target == typeof(string) && !IsStorable(element))
            {
                Add(errors, Key(path), "contains a character that cannot be stored (U+0000 or an unpaired surrogate).");
            }

            return;
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                CheckObject(element, info, path, errors);
                break;
            case JsonTypeInfoKind.Dictionary:
                CheckDictionary(element, info, path, errors);
                break;
            case JsonTypeInfoKind.Enumerable when element.ValueKind != JsonValueKind.Array:
                Add(errors, Key(path), "must be a JSON array.");
                break;
            case JsonTypeInfoKind.Enumerable:
                var itemInfo = info.Options.GetTypeInfo(info.ElementType!);
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Check(item, itemInfo, $"{path}[{i++}]", CanHoldNull(info.ElementType!), errors);
                }

                break;
        }
    }

    private static void CheckObject(JsonElement element, JsonTypeInfo info, string path, Dictionary<string, List<string>> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Add(errors, Key(path), "must be a JSON object.");
            return;
        }

        var comparer = info.Options.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var properties = info.Properties.Where(p => p.Get is not null || p.Set is not null || p.AssociatedParameter is not null)
            .ToDictionary(p => p.Name, comparer);
        var seen = new HashSet<string>(comparer);
        foreach (var property in element.EnumerateObject())
        {
            var name = SafeName(property);
            var childPath = $"{path}.{name}";
            if (!properties.TryGetValue(name, out var contract))
            {
                Add(errors, Key(childPath), $"is not a field of this request; the fields are: {string.Join(", ", properties.Keys)}.");
                continue;
            }

            seen.Add(contract.Name);
            var allowNull = contract.IsSetNullable || CanHoldNull(contract.PropertyType) && contract.AssociatedParameter is null;
            Check(property.Value, info.Options.GetTypeInfo(contract.PropertyType), childPath, allowNull, errors);
        }

        foreach (var required in properties.Values.Where(p => p.IsRequired && !seen.Contains(p.Name)))
        {
            Add(errors, Key($"{path}.{required.Name}"), "is required.");
        }
    }

    /// <summary>A map: a JSON object whose every key is one the key type can hold (an enum's names) and every value the value type's.</summary>
    private static void CheckDictionary(JsonElement element, JsonTypeInfo info, string path, Dictionary<string, List<string>> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Add(errors, Key(path), "must be a JSON object.");
            return;
        }

        var keyType = Nullable.GetUnderlyingType(info.KeyType!) ?? info.KeyType!;
        var keys = keyType.IsEnum ? EnumNames(keyType) : null;
        var valueInfo = info.Options.GetTypeInfo(info.ElementType!);
        foreach (var property in element.EnumerateObject())
        {
            var name = SafeName(property);
            var childPath = $"{path}.{name}";
            if (keys is not null && !keys.Contains(name, StringComparer.Ordinal))
            {
                Add(errors, Key(childPath), $"is not a key of this object; the keys are: {string.Join(", ", keys)}.");
            }
            else if (keys is null && keyType != typeof(string))
            {
                continue; // The deserializer judges other key types; a fault there is still a 400.
            }
            else if (!IsStorableName(property))
            {
                Add(errors, Key(path), "has a key that cannot be stored (U+0000 or an unpaired surrogate).");
            }
            else
            {
                Check(property.Value, valueInfo, childPath, CanHoldNull(info.ElementType!), errors);
            }
        }
    }

    private static List<string> EnumNames(Type type) =>
        [.. type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name)];

    private static void CheckEnum(JsonElement element, Type type, string path, Dictionary<string, List<string>> errors)
    {
        var names = EnumNames(type);
        if (element.ValueKind != JsonValueKind.String || !IsStorable(element) || !names.Contains(element.GetString()!, StringComparer.Ordinal))
        {
            Add(errors, Key(path), $"must be one of: {string.Join(", ", names)}.");
        }
    }

    private static void CheckStorableJson(JsonElement element, string path, Dictionary<string, List<string>> errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String when !IsStorable(element):
                Add(errors, Key(path), "contains a character that cannot be stored (U+0000 or an unpaired surrogate).");
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    CheckStorableJson(item, $"{path}[{i++}]", errors);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    CheckStorableJson(property.Value, $"{path}.{SafeName(property)}", errors);
                }

                break;
        }
    }

    private static Func<JsonElement, bool>? Primitive(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.String => e => e.ValueKind == JsonValueKind.String,
        TypeCode.Boolean => e => e.ValueKind is JsonValueKind.True or JsonValueKind.False,
        TypeCode.Int32 => e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _),
        TypeCode.Int64 => e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out _),
        TypeCode.Int16 => e => e.ValueKind == JsonValueKind.Number && e.TryGetInt16(out _),
        TypeCode.Decimal => e => e.ValueKind == JsonValueKind.Number && e.TryGetDecimal(out _),
        TypeCode.Double => e => e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && double.IsFinite(d),
        _ when type == typeof(Guid) => e => e.ValueKind == JsonValueKind.String && e.TryGetGuid(out _),
        _ when type == typeof(DateTimeOffset) => e => e.ValueKind == JsonValueKind.String && e.TryGetDateTimeOffset(out _),
        _ => null,
    };

    private static string Describe(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.String => "must be a string.",
        TypeCode.Boolean => "must be true or false.",
        TypeCode.Int32 => $"must be a whole number between {int.MinValue} and {int.MaxValue}.",
        TypeCode.Int64 => $"must be a whole number between {long.MinValue} and {long.MaxValue}.",
        TypeCode.Int16 => $"must be a whole number between {short.MinValue} and {short.MaxValue}.",
        TypeCode.Decimal => "must be a number (at most 28 significant digits).",
        TypeCode.Double => "must be a finite number.",
        _ when type == typeof(Guid) => "must be a UUID such as 3f2c4b8e-1d2a-4c5b-9e6f-7a8b9c0d1e2f.",
        _ when type == typeof(DateTimeOffset) => "must be an ISO 8601 date and time such as 2026-12-01T09:00:00Z.",
        _ => $"must be a {type.Name}.",
    };

    private static bool IsOptional(Type type, out Type inner)
    {
        var optional = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Common.Optional<>);
        inner = optional ? type.GetGenericArguments()[0] : type;
        return optional;
    }

    private static bool CanHoldNull(Type type) => !type.IsValueType || Nullable.GetUnderlyingType(type) is not null;

    private static bool IsStorable(JsonElement element)
    {
        try
        {
            return Errors.TextRules.FirstUnstorable(element.GetString()!) is null;
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
            return Errors.TextRules.FirstUnstorable(property.Name) is null;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string SafeName(JsonProperty property)
    {
        try
        {
            return Errors.TextRules.FirstUnstorable(property.Name) is null ? property.Name : "(unreadable name)";
        }
        catch (InvalidOperationException)
        {
            return "(unreadable name)";
        }
    }
}
