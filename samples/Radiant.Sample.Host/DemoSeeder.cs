using Radiant.Chat;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Tenancy;

namespace Radiant.Sample.Host;

/// <summary>
/// Provisions the demo tenants and users once the schema is migrated (it runs after Radiant's start-up), then sends a
/// few demo chats for each user through the real pipeline (answered by the offline client, priced, recorded), so the
/// usage figures have data on a fresh machine. The chats' request ids are fixed: a later start finds them answered
/// and sends nothing again.
/// </summary>
internal sealed partial class DemoSeeder(ITenantDirectory directory, IRadiantChat chat, ILogger<DemoSeeder> logger) : IHostedService
{
    private static readonly (string Prompt, string? Model, DomainMode Mode)[] DemoChats =
    [
        ("Summarise row-level security in two sentences", null, DomainMode.General),
        ("Write a C# record for an invoice line", null, DomainMode.Code),
        ("What does a markup of 0.40 mean for a $2.50 price?", "gpt-4o-mini", DomainMode.General),
        ("Explain p95 latency to a product manager", "claude-3.5-haiku", DomainMode.Academic),
        ("List three ways to cut token costs", null, DomainMode.General),
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var user in DemoUsers.All)
        {
            await directory.EnsureUserAsync(
                new UserProfile(new RadiantCaller(user.TenantId, user.UserId), user.Email, user.DisplayName, user.TenantName),
                cancellationToken);
        }

        var sent = 0;
        foreach (var user in DemoUsers.All)
        {
            var caller = new RadiantCaller(user.TenantId, user.UserId, user.IsAdmin);
            for (var i = 0; i < DemoChats.Length; i++)
            {
                var (prompt, model, mode) = DemoChats[i];
                try
                {
                    await chat.GetResponseAsync(
                        caller,
                        new RadiantChatRequest([new RadiantChatMessage(ChatMessageRole.User, prompt)])
                        {
                            RequestId = $"demo-{user.UserId:N}-{i}", ModelId = model, DomainMode = mode, MaxOutputTokens = 200,
                        },
                        cancellationToken);
                    sent++;
                }
                catch (RadiantConflictException)
                {
                    // Sent at an earlier start.
                }
                catch (RadiantException e)
                {
                    // A demo tenant whose admin switched the model off, for example: the demo goes on without it.
                    LogDemoChatRefused(e, user.Email, i);
                }
            }
        }

        if (sent > 0)
        {
            LogDemoChats(sent);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {Count} demo chats through the pipeline (offline client), so the usage figures have data")]
    private partial void LogDemoChats(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo chat {Index} of {Email} was refused")]
    private partial void LogDemoChatRefused(Exception exception, string email, int index);
}
