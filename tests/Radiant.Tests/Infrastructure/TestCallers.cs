namespace Radiant.Tests.Infrastructure;

/// <summary>Callers for tests that exercise admin operations without caring which admin acts.</summary>
public static class TestCallers
{
    /// <summary>The user id tests use for "some admin of the tenant".</summary>
    public static readonly Guid AdminUserId = new("0a0a0a0a-0000-4000-8000-00000000ad01");

    /// <summary>An admin of <paramref name="tenantId"/>.</summary>
    public static RadiantCaller Admin(Guid tenantId) => RadiantCaller.ForTenantAdmin(tenantId, AdminUserId);

    /// <summary><paramref name="userId"/> acting as an admin of <paramref name="tenantId"/>.</summary>
    public static RadiantCaller Admin(Guid tenantId, Guid userId) => RadiantCaller.ForTenantAdmin(tenantId, userId);
}
