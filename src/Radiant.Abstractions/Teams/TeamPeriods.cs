namespace Radiant.Teams;

/// <summary>
/// Billing periods of a team plan: calendar months from the plan's anchor, on the anchor's day of month clamped to
/// the month's length (anchor Jan 31 → Feb 28 or 29 → Mar 31 → Apr 30), at the anchor's time of day, in UTC.
/// </summary>
public static class TeamPeriods
{
    /// <summary>The start of period <paramref name="index"/> (0 = the anchor itself).</summary>
    public static DateTimeOffset Start(DateTimeOffset anchor, int index)
    {
        var utc = anchor.ToUniversalTime();
        var month = new DateTime(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(index);
        var day = Math.Min(utc.Day, DateTime.DaysInMonth(month.Year, month.Month));
        return new DateTimeOffset(month.Year, month.Month, day, 0, 0, 0, TimeSpan.Zero).Add(utc.TimeOfDay);
    }

    /// <summary>The period containing <paramref name="instant"/>: [start, end).</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Containing(DateTimeOffset anchor, DateTimeOffset instant)
    {
        // Estimate the index from the month difference, then step to the exact period.
        var utc = anchor.ToUniversalTime();
        var at = instant.ToUniversalTime();
        var index = ((at.Year - utc.Year) * 12) + at.Month - utc.Month;
        while (Start(anchor, index) > at)
        {
            index--;
        }

        while (Start(anchor, index + 1) <= at)
        {
            index++;
        }

        return (Start(anchor, index), Start(anchor, index + 1));
    }
}
