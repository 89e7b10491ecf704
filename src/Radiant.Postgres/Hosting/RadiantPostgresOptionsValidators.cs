using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Radiant.Postgres.Hosting;

/// <summary>The attribute rules of <see cref="RadiantPostgresOptions"/>, checked by generated code at start-up.</summary>
[OptionsValidator]
internal sealed partial class RadiantPostgresOptionsValidator : IValidateOptions<RadiantPostgresOptions>;

/// <summary>Checks that the options lead to a data source: a connection string, a data source given, or one in the container.</summary>
internal sealed class RadiantPostgresDataSourceValidator(IServiceProvider services) : IValidateOptions<RadiantPostgresOptions>
{
    public ValidateOptionsResult Validate(string? name, RadiantPostgresOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString) || services.GetService<ExternalDataSource>() is not null)
        {
            return ValidateOptionsResult.Success;
        }

        var fromContainer = options.DataSourceKey is { } key
            ? services.GetService<IServiceProviderIsKeyedService>()?.IsKeyedService(typeof(NpgsqlDataSource), key) == true
            : services.GetService<IServiceProviderIsService>()?.IsService(typeof(NpgsqlDataSource)) == true;
        if (fromContainer)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(options.DataSourceKey is null
            ? "RadiantPostgresOptions.ConnectionString is required: pass a connection string or an NpgsqlDataSource to UsePostgres(...), " +
              "set Radiant:Postgres:ConnectionString, or register an NpgsqlDataSource (AddNpgsqlDataSource) for Radiant to use."
            : $"RadiantPostgresOptions.DataSourceKey is '{options.DataSourceKey}', but no NpgsqlDataSource is registered with that key " +
              "(AddNpgsqlDataSource(connectionString, serviceKey: ...)).");
    }
}
