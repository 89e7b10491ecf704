using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Hosting;
using Radiant.Postgres.Hosting;

namespace Radiant.Tests.Infrastructure;

/// <summary>
/// The logins Radiant's test hosts use, as the README's production setup: <see cref="Owner"/> owns each test database
/// and its schema (migrations, the catalogue sync) without being a superuser; <see cref="Service"/> serves and is only
/// a member of <c>radiant_app</c>. Tests keep the admin (superuser) connection strings for their own raw SQL.
/// </summary>
public static class TestLogins
{
    public const string Owner = "radiant_test_owner";
    public const string Service = "radiant_test_service";

    /// <summary>One password for both logins, new for every test run.</summary>
    public static readonly string Password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>The admin connection string <paramref name="adminConnectionString"/> with the service login instead.</summary>
    public static string ServiceConnectionString(string adminConnectionString) => As(adminConnectionString, Service);

    /// <summary>The admin connection string <paramref name="adminConnectionString"/> with the owner login instead.</summary>
    public static string OwnerConnectionString(string adminConnectionString) => As(adminConnectionString, Owner);

    /// <summary>
    /// <c>UsePostgres</c> as a production host is configured: services with the service login, migrations and the
    /// catalogue sync with the owner, then <paramref name="configure"/>.
    /// </summary>
    public static IRadiantBuilder UseTestPostgres(this IRadiantBuilder radiant, string adminConnectionString, Action<RadiantPostgresOptions>? configure = null) =>
        radiant.UsePostgres(ServiceConnectionString(adminConnectionString), options =>
        {
            options.MigrationConnectionString = OwnerConnectionString(adminConnectionString);
            configure?.Invoke(options);
        });

    private static string As(string adminConnectionString, string login) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Username = login, Password = Password }.ConnectionString;
}
