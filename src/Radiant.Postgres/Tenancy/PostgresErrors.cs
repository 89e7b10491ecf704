using Npgsql;
using Radiant.Errors;

namespace Radiant.Postgres.Tenancy;

internal static class PostgresErrors
{
    public static bool IsUniqueViolation(this PostgresException e) => e.SqlState == PostgresErrorCodes.UniqueViolation;

    public static bool IsForeignKeyViolation(this PostgresException e) => e.SqlState == PostgresErrorCodes.ForeignKeyViolation;

    /// <summary>
    /// The database refused a value (class 22, data exception: too long, out of range, an invalid character; or a
    /// CHECK or NOT NULL constraint): the caller's input was at fault, not the server.
    /// </summary>
    public static bool IsRefusedValue(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal)
        || e.SqlState is PostgresErrorCodes.CheckViolation or PostgresErrorCodes.NotNullViolation;

    public static RadiantValidationException ToValidationError(PostgresException e) =>
        new(e.ColumnName is { Length: > 0 } column ? column : "$",
            e.ConstraintName is { Length: > 0 } constraint
                ? $"A value is outside what Radiant stores (constraint {constraint})."
                : $"A value is outside what Radiant stores: {e.MessageText}.");
}
