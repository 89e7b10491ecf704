namespace Radiant.Common;

/// <summary>
/// A field of a partial update: either absent (leave the stored value as it is) or present with a value,
/// where a present <see langword="null"/> clears the stored value.
/// </summary>
/// <typeparam name="T">The field's type.</typeparam>
[System.Text.Json.Serialization.JsonConverter(typeof(OptionalJsonConverterFactory))]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "Optional<T> is the name .NET developers expect for this shape.")]
public readonly record struct Optional<T>
{
    private readonly T _value;

    /// <summary>Creates a present field.</summary>
    public Optional(T value)
    {
        _value = value;
        HasValue = true;
    }

    /// <summary>True when the field was given (even as null).</summary>
    public bool HasValue { get; }

    /// <summary>The given value; throws when the field is absent.</summary>
    public T Value => HasValue ? _value : throw new InvalidOperationException("The optional field has no value.");

    /// <summary>The given value, or <paramref name="fallback"/> when absent.</summary>
    public T GetValueOrDefault(T fallback) => HasValue ? _value : fallback;

    /// <summary>Wraps a value as a present field.</summary>
#pragma warning disable CA2225 // A From method would add nothing over the constructor.
    public static implicit operator Optional<T>(T value) => new(value);
#pragma warning restore CA2225

    /// <inheritdoc />
    public override string ToString() => HasValue ? $"{_value}" : "(absent)";
}
