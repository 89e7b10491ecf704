namespace Radiant.Postgres.Tenancy;

internal static class SqlIdentifier
{
    /// <summary>Quotes an identifier already validated as <c>[a-z_][a-z0-9_]*</c> by the options validator.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
