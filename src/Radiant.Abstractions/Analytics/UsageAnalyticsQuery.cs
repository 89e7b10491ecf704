using System.Text.Json.Serialization;
using Radiant.Errors;

namespace Radiant.Analytics;

/// <summary>Bounds of the analytics queries.</summary>
public static class UsageAnalyticsLimits
{
    /// <summary>The preset ranges: the last 24 hours or 7 days (hour buckets), the last 30 or 90 days (day buckets).</summary>
    public static IReadOnlyList<string> Ranges { get; } = ["24h", "7d", "30d", "90d"];

    /// <summary>The range used when none is given.</summary>
    public const string DefaultRange = "30d";

    /// <summary>The longest custom range, in days.</summary>
    public const int MaxSpanDays = 400;

    /// <summary>A range up to this many days is answered in hour buckets; a longer one in day buckets.</summary>
    public const int HourBucketsUpToDays = 7;

    /// <summary>The most rows a list (top users, user × model) returns.</summary>
    public const int MaxLimit = 500;

    /// <summary>The rows a list returns when no limit is given.</summary>
    public const int DefaultLimit = 20;

    /// <summary>The domain modes a filter may name.</summary>
    public static IReadOnlyList<string> DomainModes { get; } = ["general", "medical", "legal", "code", "academic", "creative", "scientific"];

    /// <summary>Longest model id (the column's length).</summary>
    public const int ModelIdMaxLength = 100;

    /// <summary>Longest provider id (the column's length).</summary>
    public const int ProviderIdMaxLength = 50;
}

/// <summary>
/// What an analytics query covers: a range — a preset (<c>24h</c>, <c>7d</c>, <c>30d</c>, <c>90d</c>; <c>30d</c>
/// when nothing is given) or a custom <see cref="From"/>/<see cref="To"/> of at most
/// <see cref="UsageAnalyticsLimits.MaxSpanDays"/> days — and optional filters. Every figure is bounded by the range.
/// </summary>
/// <param name="Range">A preset range; leave it out (or <c>custom</c>) with <see cref="From"/> and <see cref="To"/>.</param>
/// <param name="From">Start of a custom range (inclusive), rounded down to its bucket (hour or UTC day).</param>
/// <param name="To">End of a custom range (exclusive), rounded up to its bucket.</param>
/// <param name="TeamId">Only usage charged to this team.</param>
/// <param name="ModelId">Only this model.</param>
/// <param name="ProviderId">Only this provider.</param>
/// <param name="DomainMode">Only this domain mode (<c>general</c>, <c>medical</c>, ...).</param>
public sealed record UsageAnalyticsQuery(
    string? Range = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    Guid? TeamId = null,
    string? ModelId = null,
    string? ProviderId = null,
    string? DomainMode = null)
{
    /// <summary>True when a team or domain mode filter is set (read from the segment rollups rather than the model ones).</summary>
    [JsonIgnore]
    public bool FiltersSegment => TeamId is not null || DomainMode is not null;

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new Dictionary<string, string[]>();
        var custom = From is not null || To is not null;
        if (Range is not null && Range != "custom" && !UsageAnalyticsLimits.Ranges.Contains(Range))
        {
            errors["range"] = [$"must be one of {string.Join(", ", UsageAnalyticsLimits.Ranges)} or custom (with from and to)."];
        }
        else if (custom && Range is not null && Range != "custom")
        {
            errors["range"] = ["must be left out (or custom) when from and to are given."];
        }
        else if (Range == "custom" && !custom)
        {
            errors["range"] = ["custom needs from and to."];
        }

        if (custom)
        {
            if (From is null)
            {
                errors["from"] = ["is required with to."];
            }

            if (To is null)
            {
                errors["to"] = ["is required with from."];
            }

            if (From is { } from && To is { } to)
            {
                if (to <= from)
                {
                    errors["to"] = ["must be after from."];
                }
                else if (to - from > TimeSpan.FromDays(UsageAnalyticsLimits.MaxSpanDays))
                {
                    errors["to"] = [$"must be at most {UsageAnalyticsLimits.MaxSpanDays} days after from."];
                }
                else if (from.Year < 2000 || to.Year > 9000)
                {
                    errors["from"] = ["must be between the years 2000 and 9000."];
                }
            }
        }

        CheckText(errors, "modelId", ModelId, UsageAnalyticsLimits.ModelIdMaxLength);
        CheckText(errors, "providerId", ProviderId, UsageAnalyticsLimits.ProviderIdMaxLength);
        if (DomainMode is not null && !UsageAnalyticsLimits.DomainModes.Contains(DomainMode))
        {
            errors["domainMode"] = [$"must be one of {string.Join(", ", UsageAnalyticsLimits.DomainModes)}."];
        }

        if (errors.Count > 0)
        {
            throw new RadiantValidationException(errors);
        }
    }

    /// <summary>
    /// The range this query covers at <paramref name="now"/> (the database's clock): a preset ends with the current
    /// hour (24h, 7d) or UTC day (30d, 90d) and starts its length before; a custom range is rounded outward to its
    /// buckets — hours up to <see cref="UsageAnalyticsLimits.HourBucketsUpToDays"/> days, UTC days beyond. The previous
    /// range has the same length and ends where this one starts. Call after <see cref="Validate"/>.
    /// </summary>
    public UsageRange Resolve(DateTimeOffset now)
    {
        var hour = TimeSpan.FromHours(1);
        var day = TimeSpan.FromDays(1);
        DateTimeOffset from, to;
        UsageBucket bucket;
        string range;
        if (From is { } customFrom && To is { } customTo)
        {
            range = "custom";
            bucket = customTo - customFrom <= TimeSpan.FromDays(UsageAnalyticsLimits.HourBucketsUpToDays) ? UsageBucket.Hour : UsageBucket.Day;
            var size = bucket == UsageBucket.Hour ? hour : day;
            from = Floor(customFrom, size);
            to = Floor(customTo, size);
            if (to < customTo)
            {
                to += size;
            }
        }
        else
        {
            range = Range is null or "custom" ? UsageAnalyticsLimits.DefaultRange : Range;
            (bucket, var length) = range switch
            {
                "24h" => (UsageBucket.Hour, TimeSpan.FromHours(24)),
                "7d" => (UsageBucket.Hour, TimeSpan.FromDays(7)),
                "90d" => (UsageBucket.Day, TimeSpan.FromDays(90)),
                _ => (UsageBucket.Day, TimeSpan.FromDays(30)),
            };
            var size = bucket == UsageBucket.Hour ? hour : day;
            to = Floor(now, size) + size;
            from = to - length;
        }

        return new UsageRange(range, from, to, from - (to - from), bucket);
    }

    private static DateTimeOffset Floor(DateTimeOffset instant, TimeSpan size)
    {
        var utc = instant.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % size.Ticks), TimeSpan.Zero);
    }

    /// <summary>Throws <see cref="RadiantValidationException"/> when a list's limit is out of 1–<see cref="UsageAnalyticsLimits.MaxLimit"/>.</summary>
    public static void ValidateLimit(int limit)
    {
        if (limit is < 1 or > UsageAnalyticsLimits.MaxLimit)
        {
            throw new RadiantValidationException("limit", $"must be between 1 and {UsageAnalyticsLimits.MaxLimit}.");
        }
    }

    private static void CheckText(Dictionary<string, string[]> errors, string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length is 0 || value.Length > maxLength)
        {
            errors[field] = [$"must be 1–{maxLength} characters."];
        }
        else if (TextRules.FirstUnstorable(value) is not null)
        {
            errors[field] = ["contains a character that cannot be stored."];
        }
    }
}
