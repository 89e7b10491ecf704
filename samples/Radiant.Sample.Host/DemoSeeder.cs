using Radiant.Tenancy;

namespace Radiant.Sample.Host;

/// <summary>Provisions the demo tenants and users once the schema is migrated (it runs after Radiant's start-up).</summary>
internal sealed class DemoSeeder(ITenantDirectory directory) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var user in DemoUsers.All)
        {
            await directory.EnsureUserAsync(
                new UserProfile(new RadiantCaller(user.TenantId, user.UserId), user.Email, user.DisplayName, user.TenantName),
                cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
