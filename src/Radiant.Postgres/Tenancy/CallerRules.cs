using Radiant.Errors;
using Radiant.Tenancy;

namespace Radiant.Postgres.Tenancy;

/// <summary>The authorization rules every service applies to its caller, written once.</summary>
internal static class CallerRules
{
    /// <summary>Refuses callers who are not admins of their tenant; <paramref name="action"/> completes "Only tenant admins may ...".</summary>
    public static void RequireTenantAdmin(this RadiantCaller caller, string action)
    {
        if (!caller.IsTenantAdmin)
        {
            throw new RadiantForbiddenException($"Only tenant admins may {action}.");
        }
    }
}
