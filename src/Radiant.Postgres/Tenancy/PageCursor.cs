using System.Buffers.Text;
using System.Text.Json;
using Radiant.Common;
using Radiant.Errors;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// Keyset paging, written once: a cursor is the sort key of the last row of a page, with the name of the list it
/// belongs to, as base64url-encoded JSON. It is opaque to callers and carries no authority: the next page is read
/// with the same tenant, visibility and filters as the first.
/// </summary>
internal static class PageCursor
{
    /// <summary>Reads the key of <paramref name="page"/>'s cursor, or null for the first page; a cursor of another list, or not a cursor, is a validation error.</summary>
    public static JsonElement[]? Decode(string list, PageRequest page, int keyLength)
    {
        page.Validate();
        if (page.Cursor is not { } cursor)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(cursor));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() == keyLength + 1 && root[0].GetString() == list)
            {
                return [.. root.EnumerateArray().Skip(1).Select(e => e.Clone())];
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
        }

        throw new RadiantValidationException("cursor", "'cursor' is not a cursor of this list: pass the nextCursor of the previous page.");
    }

    /// <summary>
    /// The page of <paramref name="rows"/> (read with a limit of <c>page.Limit + 1</c>): its first <c>Limit</c> items,
    /// and a cursor made of the last one's key when more rows follow.
    /// </summary>
    public static Page<T> ToPage<TRow, T>(string list, List<TRow> rows, PageRequest page, Func<TRow, T> item, Func<TRow, object[]> key)
    {
        var hasMore = rows.Count > page.Limit;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        return new Page<T>([.. rows.Select(item)], hasMore ? Encode(list, key(rows[^1])) : null);
    }

    private static string Encode(string list, object[] key)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(list);
            foreach (var part in key)
            {
                switch (part)
                {
                    case DateTime t:
                        writer.WriteStringValue(new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)));
                        break;
                    case DateTimeOffset t:
                        writer.WriteStringValue(t);
                        break;
                    case Guid g:
                        writer.WriteStringValue(g);
                        break;
                    case long n:
                        writer.WriteNumberValue(n);
                        break;
                    case int n:
                        writer.WriteNumberValue(n);
                        break;
                    case decimal n:
                        writer.WriteNumberValue(n);
                        break;
                    case string s:
                        writer.WriteStringValue(s);
                        break;
                    default:
                        throw new ArgumentException($"A cursor cannot hold a {part?.GetType().Name ?? "null"}.", nameof(key));
                }
            }

            writer.WriteEndArray();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }
}
