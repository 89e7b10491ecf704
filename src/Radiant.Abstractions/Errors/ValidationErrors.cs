namespace Radiant.Errors;

/// <summary>
/// Collects field errors while validating an input, then throws one <see cref="RadiantValidationException"/>
/// listing all of them, so a caller fixes every field in one round trip.
/// </summary>
public sealed class ValidationErrors
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

    /// <summary>Requires a string of at most <paramref name="maxLength"/> characters.</summary>
    public void MaxLength(string field, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            Add(field, $"'{field}' must be at most {maxLength} characters (got {value.Length}).");
        }
    }

    /// <summary>Accepts null; otherwise requires an absolute http or https URL of bounded length.</summary>
    public void HttpUrl(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > maxLength)
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

    /// <summary>Accepts null; otherwise a list of at most <paramref name="maxItems"/> non-blank, distinct, short strings.</summary>
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
