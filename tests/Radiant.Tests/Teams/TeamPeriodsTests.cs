using System.Globalization;
using Radiant.Teams;

namespace Radiant.Tests.Teams;

/// <summary>Month arithmetic of billing periods (pure): calendar months from the anchor, clamped to short months.</summary>
public sealed class TeamPeriodsTests
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Fact]
    public void An_anchor_on_the_31st_lands_on_the_last_day_of_short_months_and_returns_to_the_31st()
    {
        var anchor = At("2026-01-31T00:00:00Z");

        Assert.Equal(At("2026-01-31T00:00:00Z"), TeamPeriods.Start(anchor, 0));
        Assert.Equal(At("2026-02-28T00:00:00Z"), TeamPeriods.Start(anchor, 1));
        Assert.Equal(At("2026-03-31T00:00:00Z"), TeamPeriods.Start(anchor, 2));
        Assert.Equal(At("2026-04-30T00:00:00Z"), TeamPeriods.Start(anchor, 3));
        Assert.Equal(At("2026-05-31T00:00:00Z"), TeamPeriods.Start(anchor, 4));
        Assert.Equal(At("2026-06-30T00:00:00Z"), TeamPeriods.Start(anchor, 5));
        Assert.Equal(At("2026-12-31T00:00:00Z"), TeamPeriods.Start(anchor, 11));
        Assert.Equal(At("2027-02-28T00:00:00Z"), TeamPeriods.Start(anchor, 13));
    }

    [Fact]
    public void In_a_leap_year_february_ends_on_the_29th()
    {
        var anchor = At("2028-01-31T00:00:00Z");

        Assert.Equal(At("2028-02-29T00:00:00Z"), TeamPeriods.Start(anchor, 1));
        Assert.Equal(At("2028-03-31T00:00:00Z"), TeamPeriods.Start(anchor, 2));
        Assert.Equal(At("2028-04-30T00:00:00Z"), TeamPeriods.Start(anchor, 3));
        Assert.Equal(At("2029-02-28T00:00:00Z"), TeamPeriods.Start(anchor, 13));
        Assert.Equal(At("2032-02-29T00:00:00Z"), TeamPeriods.Start(anchor, 49));
    }

    [Theory]
    [InlineData("2026-01-30", "2026-02-28", "2026-03-30", "2026-04-30")]
    [InlineData("2028-01-30", "2028-02-29", "2028-03-30", "2028-04-30")]
    [InlineData("2026-01-29", "2026-02-28", "2026-03-29", "2026-04-29")]
    [InlineData("2028-01-29", "2028-02-29", "2028-03-29", "2028-04-29")]
    [InlineData("2026-01-28", "2026-02-28", "2026-03-28", "2026-04-28")]
    [InlineData("2028-01-28", "2028-02-28", "2028-03-28", "2028-04-28")]
    [InlineData("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01")]
    [InlineData("2025-11-30", "2025-12-30", "2026-01-30", "2026-02-28")]
    [InlineData("2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31")]
    public void Each_anchor_day_keeps_its_day_clamped_to_the_month(string anchor, string first, string second, string third)
    {
        var a = At(anchor + "T00:00:00Z");

        Assert.Equal(At(first + "T00:00:00Z"), TeamPeriods.Start(a, 1));
        Assert.Equal(At(second + "T00:00:00Z"), TeamPeriods.Start(a, 2));
        Assert.Equal(At(third + "T00:00:00Z"), TeamPeriods.Start(a, 3));
    }

    [Fact]
    public void A_clamped_month_does_not_drag_later_months_back()
    {
        // Feb 28 is a clamp of the 30th, not a new anchor: March is back on the 30th.
        var anchor = At("2026-01-30T08:00:00Z");

        Assert.Equal(At("2026-02-28T08:00:00Z"), TeamPeriods.Start(anchor, 1));
        Assert.Equal(At("2026-03-30T08:00:00Z"), TeamPeriods.Start(anchor, 2));
    }

    [Fact]
    public void The_anchors_time_of_day_is_kept_to_the_tick_in_utc()
    {
        var anchor = At("2026-01-31T13:45:12.3456789Z");

        Assert.Equal(At("2026-02-28T13:45:12.3456789Z"), TeamPeriods.Start(anchor, 1));
        Assert.Equal(At("2026-03-31T13:45:12.3456789Z"), TeamPeriods.Start(anchor, 2));
        Assert.Equal(TimeSpan.Zero, TeamPeriods.Start(anchor, 1).Offset);
    }

    [Fact]
    public void An_anchor_with_an_offset_is_counted_in_utc()
    {
        // 23:30 at +02:00 on Jan 31 is 21:30 UTC on Jan 31.
        var anchor = new DateTimeOffset(2026, 1, 31, 23, 30, 0, TimeSpan.FromHours(2));

        Assert.Equal(At("2026-02-28T21:30:00Z"), TeamPeriods.Start(anchor, 1));
        Assert.Equal(TimeSpan.Zero, TeamPeriods.Start(anchor, 1).Offset);
    }

    [Fact]
    public void Negative_indexes_count_back_from_the_anchor()
    {
        var anchor = At("2026-03-31T06:00:00Z");

        Assert.Equal(At("2026-02-28T06:00:00Z"), TeamPeriods.Start(anchor, -1));
        Assert.Equal(At("2026-01-31T06:00:00Z"), TeamPeriods.Start(anchor, -2));
        Assert.Equal(At("2025-12-31T06:00:00Z"), TeamPeriods.Start(anchor, -3));
    }

    [Fact]
    public void An_instant_exactly_on_a_boundary_belongs_to_the_period_it_starts()
    {
        var anchor = At("2026-01-31T10:00:00Z");

        Assert.Equal((At("2026-01-31T10:00:00Z"), At("2026-02-28T10:00:00Z")), TeamPeriods.Containing(anchor, anchor));
        Assert.Equal((At("2026-02-28T10:00:00Z"), At("2026-03-31T10:00:00Z")), TeamPeriods.Containing(anchor, At("2026-02-28T10:00:00Z")));
        Assert.Equal((At("2026-03-31T10:00:00Z"), At("2026-04-30T10:00:00Z")), TeamPeriods.Containing(anchor, At("2026-03-31T10:00:00Z")));
    }

    [Fact]
    public void One_tick_before_a_boundary_is_still_in_the_previous_period()
    {
        var anchor = At("2026-01-31T10:00:00Z");

        Assert.Equal((At("2026-01-31T10:00:00Z"), At("2026-02-28T10:00:00Z")), TeamPeriods.Containing(anchor, At("2026-02-28T10:00:00Z").AddTicks(-1)));
        Assert.Equal((At("2026-02-28T10:00:00Z"), At("2026-03-31T10:00:00Z")), TeamPeriods.Containing(anchor, At("2026-03-31T10:00:00Z").AddTicks(-1)));
        // Earlier on the 28th (before the anchor's time of day) is still January's period.
        Assert.Equal((At("2026-01-31T10:00:00Z"), At("2026-02-28T10:00:00Z")), TeamPeriods.Containing(anchor, At("2026-02-28T09:00:00Z")));
    }

    [Fact]
    public void Leap_day_boundaries_are_exact()
    {
        var anchor = At("2028-01-31T00:00:00Z");

        Assert.Equal((At("2028-01-31T00:00:00Z"), At("2028-02-29T00:00:00Z")), TeamPeriods.Containing(anchor, At("2028-02-29T00:00:00Z").AddTicks(-1)));
        Assert.Equal((At("2028-02-29T00:00:00Z"), At("2028-03-31T00:00:00Z")), TeamPeriods.Containing(anchor, At("2028-02-29T00:00:00Z")));
        Assert.Equal((At("2028-02-29T00:00:00Z"), At("2028-03-31T00:00:00Z")), TeamPeriods.Containing(anchor, At("2028-03-30T23:59:59Z")));
    }

    [Fact]
    public void Periods_are_found_across_years()
    {
        var anchor = At("2025-12-31T00:00:00Z");

        Assert.Equal((At("2027-02-28T00:00:00Z"), At("2027-03-31T00:00:00Z")), TeamPeriods.Containing(anchor, At("2027-03-15T12:00:00Z")));
        Assert.Equal((At("2026-12-31T00:00:00Z"), At("2027-01-31T00:00:00Z")), TeamPeriods.Containing(anchor, At("2027-01-01T00:00:00Z")));
        Assert.Equal((At("2030-12-31T00:00:00Z"), At("2031-01-31T00:00:00Z")), TeamPeriods.Containing(anchor, At("2030-12-31T00:00:00Z")));
    }

    [Fact]
    public void Instants_before_the_anchor_fall_in_earlier_periods()
    {
        var anchor = At("2026-03-31T06:00:00Z");

        Assert.Equal((At("2026-02-28T06:00:00Z"), At("2026-03-31T06:00:00Z")), TeamPeriods.Containing(anchor, At("2026-03-31T06:00:00Z").AddTicks(-1)));
        Assert.Equal((At("2026-02-28T06:00:00Z"), At("2026-03-31T06:00:00Z")), TeamPeriods.Containing(anchor, At("2026-03-01T00:00:00Z")));
        Assert.Equal((At("2024-12-31T06:00:00Z"), At("2025-01-31T06:00:00Z")), TeamPeriods.Containing(anchor, At("2025-01-15T00:00:00Z")));
    }

    [Fact]
    public void An_instant_with_an_offset_is_placed_by_its_utc_value()
    {
        var anchor = At("2026-01-31T00:00:00Z");
        // 01:00 on Feb 28 at +02:00 is 23:00 UTC on Feb 27: still January's period.
        var instant = new DateTimeOffset(2026, 2, 28, 1, 0, 0, TimeSpan.FromHours(2));

        Assert.Equal((At("2026-01-31T00:00:00Z"), At("2026-02-28T00:00:00Z")), TeamPeriods.Containing(anchor, instant));
    }

    [Fact]
    public void Every_instant_is_in_exactly_one_period_whose_bounds_are_consecutive_starts()
    {
        // A sweep over anchors on every day of a leap year and a common year, and instants over three years around them.
        for (var anchor = At("2027-01-01T07:30:00Z"); anchor < At("2029-01-01T00:00:00Z"); anchor = anchor.AddDays(1))
        {
            for (var instant = anchor.AddDays(-400).AddHours(5); instant < anchor.AddDays(700); instant = instant.AddHours(131))
            {
                var (start, end) = TeamPeriods.Containing(anchor, instant);
                Assert.True(start <= instant && instant < end, $"anchor {anchor:O}, instant {instant:O}: [{start:O}, {end:O})");
                var index = ((start.Year - anchor.Year) * 12) + start.Month - anchor.Month;
                Assert.Equal(TeamPeriods.Start(anchor, index), start);
                Assert.Equal(TeamPeriods.Start(anchor, index + 1), end);
                Assert.Equal(anchor.TimeOfDay, start.TimeOfDay);
                Assert.Equal(Math.Min(anchor.Day, DateTime.DaysInMonth(start.Year, start.Month)), start.Day);
            }
        }
    }
}
