using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Radiant.Postgres.Hosting;

internal sealed partial class RadiantPostgresOptionsValidator(DataSourceOrigin origin) : IValidateOptions<RadiantPostgresOptions>
{
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    public ValidateOptionsResult Validate(string? name, RadiantPostgresOptions options)
    {
        var failures = new List<string>();
        if (!origin.HasDataSource && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("RadiantPostgresOptions.ConnectionString is required: pass a connection string or an NpgsqlDataSource to UsePostgres(...), or set ConnectionStrings:Radiant.");
        }

        if (options.Schema is null || !Identifier().IsMatch(options.Schema))
        {
            failures.Add($"RadiantPostgresOptions.Schema '{options.Schema}' is not a valid schema name: use 1-63 lowercase letters, digits and '_', not starting with a digit.");
        }

        if (options.ApplicationRole is null || !Identifier().IsMatch(options.ApplicationRole))
        {
            failures.Add($"RadiantPostgresOptions.ApplicationRole '{options.ApplicationRole}' is not a valid role name: use 1-63 lowercase letters, digits and '_', not starting with a digit.");
        }

        if (options.PricingRefreshInterval < TimeSpan.FromSeconds(1) || options.PricingRefreshInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"RadiantPostgresOptions.PricingRefreshInterval must be between 1 second and 1 hour (got {options.PricingRefreshInterval}).");
        }

        if (options.TeamPeriodCheckInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add($"RadiantPostgresOptions.TeamPeriodCheckInterval must be at least 1 second (got {options.TeamPeriodCheckInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Whether the host handed us a ready data source (then no connection string is needed).</summary>
internal sealed record DataSourceOrigin(bool HasDataSource);
