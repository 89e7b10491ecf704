namespace Radiant.Common;

/// <summary>
/// Which page of a list to return: the first one, or the one after <see cref="Cursor"/>. Lists are read by key (keyset
/// paging), not by offset, so a page costs the same however deep it is and rows written meanwhile neither repeat nor
/// vanish between pages.
/// </summary>
/// <param name="Cursor">The <see cref="Page{T}.NextCursor"/> of the previous page, or null for the first page.</param>
/// <param name="Limit">Maximum number of items to return (1 to <see cref="MaxLimit"/>).</param>
public readonly record struct PageRequest(string? Cursor = null, int Limit = PageRequest.DefaultLimit)
{
    /// <summary>The limit used when the caller gives none.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The largest limit accepted.</summary>
    public const int MaxLimit = 200;

    /// <summary>The longest cursor accepted (cursors Radiant returns are far shorter).</summary>
    public const int MaxCursorLength = 1024;

    /// <summary>The first page with the default limit.</summary>
    public static PageRequest First => new(null, DefaultLimit);

    /// <summary>Throws a validation error naming <c>cursor</c> or <c>limit</c> when out of range.</summary>
    public void Validate()
    {
        var errors = new Errors.ValidationErrors();
        if (Limit is < 1 or > MaxLimit)
        {
            errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        }

        if (Cursor is not null)
        {
            errors.MaxLength("cursor", Cursor, MaxCursorLength);
        }

        errors.ThrowIfAny();
    }
}

/// <summary>One page of a list.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items of this page, in the list's order.</param>
/// <param name="NextCursor">Pass it as <see cref="PageRequest.Cursor"/> for the next page; null when this is the last one.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
