namespace Radiant.Sample.Host;

/// <summary>
/// The demo tenants and users the sample seeds (an admin and a user in each tenant), with the passwords printed at
/// start-up. Demo only.
/// </summary>
internal static class DemoUsers
{
    public static readonly Guid AcmeTenant = Guid.Parse("a1000000-0000-4000-8000-000000000001");
    public static readonly Guid GlobexTenant = Guid.Parse("b2000000-0000-4000-8000-000000000002");

    public static readonly IReadOnlyList<DemoUser> All =
    [
        new("admin@acme.test", "admin-demo", Guid.Parse("a1000000-0000-4000-8000-00000000a001"), AcmeTenant, "Acme", "Ada Admin", IsAdmin: true),
        new("user@acme.test", "user-demo", Guid.Parse("a1000000-0000-4000-8000-00000000b002"), AcmeTenant, "Acme", "Uma User", IsAdmin: false),
        new("admin@globex.test", "globex-admin", Guid.Parse("b2000000-0000-4000-8000-00000000d004"), GlobexTenant, "Globex", "Gia Admin", IsAdmin: true),
        new("user@globex.test", "globex-demo", Guid.Parse("b2000000-0000-4000-8000-00000000c003"), GlobexTenant, "Globex", "Gus Globex", IsAdmin: false),
    ];

    /// <summary>One admin per demo tenant, in tenant order.</summary>
    public static IEnumerable<DemoUser> Admins => All.Where(u => u.IsAdmin);

    public static DemoUser? Find(string email, string password) =>
        All.FirstOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase) && u.Password == password);
}

internal sealed record DemoUser(string Email, string Password, Guid UserId, Guid TenantId, string TenantName, string DisplayName, bool IsAdmin);
