namespace Radiant.Common;

/// <summary>Which slice of a list to return.</summary>
/// <param name="Offset">Number of items to skip (0 or more).</param>
/// <param name="Limit">Maximum number of items to return (1 to <see cref="MaxLimit"/>).</param>
public readonly record struct PageRequest(int Offset = 0, int Limit = PageRequest.DefaultLimit)
{
    /// <summary>The limit used when the caller gives none.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The largest limit accepted.</summary>
    public const int MaxLimit = 200;

    /// <summary>The first page with the default limit.</summary>
    public static PageRequest First => new(0, DefaultLimit);

    /// <summary>Throws a validation error naming <c>offset</c> or <c>limit</c> when out of range.</summary>
    public void Validate()
    {
        var errors = new Errors.ValidationErrors();
        if (Offset < 0)
        {
            errors.Add("offset", "'offset' must be 0 or more.");
        }

        if (Limit is < 1 or > MaxLimit)
        {
            errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        }

        errors.ThrowIfAny();
    }
}

/// <summary>One page of a list.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items of this page.</param>
/// <param name="NextOffset">The offset of the next page, or null when this is the last one.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, int? NextOffset);
