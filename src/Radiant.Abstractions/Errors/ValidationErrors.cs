using System.Text.Json;

namespace Radiant.Errors;

/// <summary>
/// Collects field errors while an input validates itself, then throws one <see cref="RadiantValidationException"/>
/// listing all of them, so a caller fixes every field in one round trip. Every text check also refuses text that
/// PostgreSQL cannot store (NUL characters, unpaired UTF-16 surrogates): callers' input is never silently changed.
/// </summary>
internal sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>True when no error was recorded.</summary>
    public bool IsEmpty => _errors.Count == 0;

    /// <summary>Records an error for a field.</summary>
    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>Requires a non-blank string no longer than <paramref name="maxLength"/>.</summary>
    public void Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, $"'{field}' is required.");
        }
        else
        {
            MaxLength(field, value, maxLength);
        }
    }

    /// <summary>Accepts null; otherwise requires a non-blank string no longer than <paramref name="maxLength"/>.</summary>
    public void Optional(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, $"'{field}' must not be blank; send null to leave it empty.");
        }
        else
        {
            MaxLength(field, value, maxLength);
        }
    }

    /// <summary>Requires storable text of at most <paramref name="maxLength"/> characters.</summary>
    public void MaxLength(string field, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            Add(field, $"'{field}' must be at most {maxLength} characters (got {value.Length}).");
        }
        else
        {
            Storable(field, value);
        }
    }

    /// <summary>Refuses text PostgreSQL cannot store: a NUL character or an unpaired UTF-16 surrogate.</summary>
    public void Storable(string field, string? value)
    {
        if (value is not null && TextRules.FirstUnstorable(value) is { } index)
        {
            Add(field, $"'{field}' contains a character that cannot be stored ({TextRules.Describe(value, index)} at position {index}).");
        }
    }

    /// <summary>Requires a present value: an explicit null is refused for fields that cannot be cleared.</summary>
    public void NotNull<T>(string field, Common.Optional<T> value)
    {
        if (value.HasValue && value.Value is null)
        {
            Add(field, $"'{field}' cannot be null.");
        }
    }

    /// <summary>Accepts null; otherwise requires an absolute http or https URL of bounded length.</summary>
    public void HttpUrl(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > maxLength || TextRules.FirstUnstorable(value) is not null)
        {
            MaxLength(field, value, maxLength);
        }
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) ||
                 (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
                 string.IsNullOrEmpty(uri.Host))
        {
            Add(field, $"'{field}' must be an absolute http or https URL.");
        }
    }

    /// <summary>Accepts null; otherwise requires a plausible email address of at most <paramref name="maxLength"/> characters.</summary>
    public void Email(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return;
        }

        Optional(field, value, maxLength);
        if (!string.IsNullOrWhiteSpace(value)
            && (value.IndexOf('@', StringComparison.Ordinal) <= 0 || value.EndsWith('@') || value.Any(char.IsWhiteSpace)))
        {
            Add(field, $"'{field}' must be an email address.");
        }
    }

    /// <summary>Accepts null; otherwise a list of at most <paramref name="maxItems"/> non-blank, short, storable strings.</summary>
    public void ShortStrings(string field, IReadOnlyList<string>? values, int maxItems, int maxItemLength)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count > maxItems)
        {
            Add(field, $"'{field}' may hold at most {maxItems} items (got {values.Count}).");
        }

        for (var i = 0; i < values.Count; i++)
        {
            var item = values[i];
            if (string.IsNullOrWhiteSpace(item))
            {
                Add(field, $"'{field}[{i}]' must not be blank.");
            }
            else if (item.Length > maxItemLength)
            {
                Add(field, $"'{field}[{i}]' must be at most {maxItemLength} characters.");
            }
            else
            {
                Storable($"{field}[{i}]", item);
            }
        }
    }

    /// <summary>
    /// Accepts null; otherwise requires a JSON object of at most <paramref name="maxBytes"/> bytes whose strings and
    /// property names PostgreSQL's <c>jsonb</c> can store (no <c>\u0000</c>, no unpaired surrogate escapes).
    /// </summary>
    public void JsonObject(string field, JsonElement? value, int maxBytes)
    {
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            Add(field, $"'{field}' must be a JSON object.");
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(element.GetRawText()) > maxBytes)
        {
            Add(field, $"'{field}' must be at most {maxBytes} bytes of JSON.");
        }
        else if (TextRules.FirstUnstorableJson(element, field) is { } path)
        {
            Add(field, $"'{path}' contains a character that cannot be stored (U+0000 or an unpaired surrogate).");
        }
    }

    /// <summary>A partial update's field: checked with <see cref="Required(string, string?, int)"/> when present.</summary>
    public void Required(string field, Common.Optional<string?> value, int maxLength)
    {
        if (value.HasValue)
        {
            Required(field, value.Value, maxLength);
        }
    }

    /// <summary>A partial update's field: checked with <see cref="Optional(string, string?, int)"/> when present.</summary>
    public void Optional(string field, Common.Optional<string?> value, int maxLength)
    {
        if (value.HasValue)
        {
            Optional(field, value.Value, maxLength);
        }
    }

    /// <summary>A partial update's field: checked with <see cref="HttpUrl(string, string?, int)"/> when present.</summary>
    public void HttpUrl(string field, Common.Optional<string?> value, int maxLength)
    {
        if (value.HasValue)
        {
            HttpUrl(field, value.Value, maxLength);
        }
    }

    /// <summary>A partial update's field: checked with <see cref="ShortStrings(string, IReadOnlyList{string}?, int, int)"/> when present.</summary>
    public void ShortStrings(string field, Common.Optional<IReadOnlyList<string>?> values, int maxItems, int maxItemLength)
    {
        if (values.HasValue)
        {
            ShortStrings(field, values.Value, maxItems, maxItemLength);
        }
    }

    /// <summary>A partial update's field: checked with <see cref="JsonObject(string, JsonElement?, int)"/> when present.</summary>
    public void JsonObject(string field, Common.Optional<JsonElement?> value, int maxBytes)
    {
        if (value.HasValue)
        {
            JsonObject(field, value.Value, maxBytes);
        }
    }

    /// <summary>Throws a <see cref="RadiantValidationException"/> if any error was recorded.</summary>
    public void ThrowIfAny()
    {
        if (!IsEmpty)
        {
            throw new RadiantValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}
