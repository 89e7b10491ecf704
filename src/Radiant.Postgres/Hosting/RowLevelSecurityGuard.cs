using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Radiant.Postgres.Tenancy;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// Checks, before the host serves, that row-level security binds the services even against SQL injected into a
/// request: the role transactions run as is not a superuser, has no BYPASSRLS and owns no Radiant table; and the
/// login itself — which such SQL returns to with <c>RESET ROLE</c> — can become no role that is a superuser, has
/// BYPASSRLS or CREATEROLE, or owns the schema or its tables. A privileged login is refused unless
/// <see cref="RadiantPostgresOptions.AllowPrivilegedLogin"/> allows it (development), and then logged.
/// </summary>
internal sealed partial class RowLevelSecurityGuard(RadiantDb db, IOptions<RadiantPostgresOptions> options, ILogger<RowLevelSecurityGuard> logger)
{
    public async Task VerifyAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var (role, login, privileged) = await db.WithoutTenantAsync(
            async (connection, transaction) =>
            {
                var role = await connection.QuerySingleAsync<(string Name, bool IsSuperuser, bool BypassesRls, long OwnedTables)>(new CommandDefinition(
                    """
                    SELECT r.rolname, r.rolsuper, r.rolbypassrls,
                           (SELECT count(*) FROM pg_tables t WHERE t.schemaname = @schema AND t.tableowner = r.rolname)
                    FROM pg_roles r WHERE r.rolname = current_user
                    """,
                    new { schema = settings.Schema },
                    transaction,
                    cancellationToken: cancellationToken));

                // Every role the login may switch to (itself included) that would lift row-level security.
                var privileged = await connection.QueryAsync<string>(new CommandDefinition(
                    """
                    SELECT r.rolname || ' (' || concat_ws(', ',
                               CASE WHEN r.rolsuper THEN 'superuser' END,
                               CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,
                               CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
                               CASE WHEN EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = @schema AND n.nspowner = r.oid)
                                      OR EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                                 WHERE n.nspname = @schema AND c.relowner = r.oid)
                                    THEN 'owns schema ' || @schema END) || ')'
                    FROM pg_roles r
                    WHERE pg_has_role(session_user, r.oid, 'MEMBER')
                      AND (r.rolsuper OR r.rolbypassrls OR r.rolcreaterole
                           OR EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = @schema AND n.nspowner = r.oid)
                           OR EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                      WHERE n.nspname = @schema AND c.relowner = r.oid))
                    ORDER BY r.rolname
                    """,
                    new { schema = settings.Schema },
                    transaction,
                    cancellationToken: cancellationToken));
                var login = await connection.QuerySingleAsync<string>(new CommandDefinition("SELECT session_user::text", transaction: transaction, cancellationToken: cancellationToken));
                return (role, login, privileged.ToList());
            },
            cancellationToken);

        var problems = new List<string>();
        if (role.IsSuperuser)
        {
            problems.Add("is a superuser");
        }

        if (role.BypassesRls)
        {
            problems.Add("has BYPASSRLS");
        }

        if (role.OwnedTables > 0)
        {
            problems.Add($"owns {role.OwnedTables} table(s) in schema '{settings.Schema}'");
        }

        if (problems.Count > 0)
        {
            var fix = settings.SwitchToApplicationRole
                ? $"Use an ApplicationRole that is NOSUPERUSER NOBYPASSRLS and owns nothing (ALTER ROLE {role.Name} NOSUPERUSER NOBYPASSRLS), and let a different login own the schema."
                : $"Connect the services with a login that is NOSUPERUSER NOBYPASSRLS, owns no Radiant table and is a member of '{settings.ApplicationRole}', or set SwitchToApplicationRole = true.";
            throw new InvalidOperationException(
                $"Radiant refuses to start: service queries run as role '{role.Name}', which {string.Join(" and ", problems)}, so row-level security would not isolate tenants. {fix}");
        }

        if (privileged.Count == 0)
        {
            return;
        }

        if (!settings.AllowPrivilegedLogin)
        {
            throw new InvalidOperationException(
                $"Radiant refuses to start: the services' login '{login}' can become {string.Join(", ", privileged)}, so SQL injected into a " +
                "request could leave the application role (RESET ROLE) and reach every tenant. Connect the services with a login that is only " +
                $"a member of '{settings.ApplicationRole}' (CREATE ROLE radiant_service LOGIN PASSWORD '...' IN ROLE {settings.ApplicationRole}), " +
                "and give the owner's login to MigrationConnectionString. For a local development database only, set AllowPrivilegedLogin = true.");
        }

        LogPrivilegedLogin(login, string.Join(", ", privileged));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Radiant serves with the privileged login {Login}, which can become {Roles}: AllowPrivilegedLogin is on, so tenant isolation does not hold against SQL injected into a request. Development only")]
    private partial void LogPrivilegedLogin(string login, string roles);
}
