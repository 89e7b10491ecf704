using Microsoft.Extensions.Options;

namespace Radiant.Analytics;

/// <summary>Options of usage analytics (configuration sub-section <c>Analytics</c>).</summary>
public sealed class RadiantAnalyticsOptions
{
    /// <summary>The configuration sub-section the options bind from.</summary>
    public const string SectionName = "Analytics";

    /// <summary>
    /// Whole months of usage records kept before the current month (1–120, default 13): older monthly partitions are
    /// dropped whole, not deleted row by row. The rollups are not dropped with them, so dashboards keep older months.
    /// </summary>
    public int RetentionMonths { get; set; } = 13;

    /// <summary>
    /// Days of hourly rollups kept (8–400, default 35; counted back from the start of the current UTC day). They serve
    /// ranges of 7 days or less; such a range that starts before the window is answered from the usage records (kept for
    /// <see cref="RetentionMonths"/>), and the daily rollups are kept for ever.
    /// </summary>
    public int HourlyRollupDays { get; set; } = 35;

    /// <summary>How often the maintenance worker drops expired months and creates the next ones (1 minute–1 day, default 1 hour).</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);
}

internal sealed class RadiantAnalyticsOptionsValidator : IValidateOptions<RadiantAnalyticsOptions>
{
    public ValidateOptionsResult Validate(string? name, RadiantAnalyticsOptions options)
    {
        var failures = new List<string>();
        if (options.RetentionMonths is < 1 or > 120)
        {
            failures.Add("RadiantAnalyticsOptions.RetentionMonths must be between 1 and 120.");
        }

        if (options.HourlyRollupDays is < 8 or > 400)
        {
            failures.Add("RadiantAnalyticsOptions.HourlyRollupDays must be between 8 and 400.");
        }

        if (options.MaintenanceInterval < TimeSpan.FromMinutes(1) || options.MaintenanceInterval > TimeSpan.FromDays(1))
        {
            failures.Add("RadiantAnalyticsOptions.MaintenanceInterval must be between 1 minute and 1 day.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
