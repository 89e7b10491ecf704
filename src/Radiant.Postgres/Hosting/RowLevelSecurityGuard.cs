using Dapper;
using Microsoft.Extensions.Options;
using Radiant.Postgres.Tenancy;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// Checks that service transactions run as a role that row-level security applies to: not a superuser, without
/// BYPASSRLS, and owning none of Radiant's tables. A host that would silently bypass tenant isolation does not start.
/// </summary>
internal sealed class RowLevelSecurityGuard(RadiantDb db, IOptions<RadiantPostgresOptions> options)
{
    public async Task VerifyAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var role = await db.WithoutTenantAsync(
            (connection, transaction) => connection.QuerySingleAsync<(string Name, bool IsSuperuser, bool BypassesRls, long OwnedTables)>(new CommandDefinition(
                """
                SELECT r.rolname, r.rolsuper, r.rolbypassrls,
                       (SELECT count(*) FROM pg_tables t WHERE t.schemaname = @schema AND t.tableowner = r.rolname)
                FROM pg_roles r WHERE r.rolname = current_user
                """,
                new { schema = settings.Schema },
                transaction,
                cancellationToken: cancellationToken)),
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
    }
}
