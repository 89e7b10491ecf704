using Npgsql;

namespace Radiant.Postgres.Tenancy;

internal static class PostgresErrors
{
    public static bool IsUniqueViolation(this PostgresException e) => e.SqlState == PostgresErrorCodes.UniqueViolation;

    public static bool IsForeignKeyViolation(this PostgresException e) => e.SqlState == PostgresErrorCodes.ForeignKeyViolation;
}
