using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.Postgres.Chat;
using Radiant.Teams;

namespace Radiant.Tests.Chat;

/// <summary>
/// <see cref="ChatRecorder"/>: the calls of one tenant that finish together are recorded and settled in combined
/// transactions, and combining changes nothing that is charged or refused.
/// </summary>
public sealed class ChatRecorderTests(ChatFixture chat) : IClassFixture<ChatFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static UsageRecord Record(string requestId, Guid teamId, int input, int output) => new(
        requestId, 1, teamId, "gpt-4o-mini", "openai", "general", null, "requested", input, output, 0, 0.0001m, 1, 20, null, UsageOutcome.Completed, null);

    [Fact]
    public async Task Concurrent_recordings_on_one_team_each_settle_once_and_a_refused_settlement_fails_only_its_own_call()
    {
        var recorder = chat.Services.GetRequiredService<ChatRecorder>();
        var owner = await chat.NewUserAsync();
        var team = (await chat.Teams.CreateAsync(owner, new TeamCreate("Recorder", TeamPlanType.Team, 5, 1_000_000), Ct)).Id;
        var members = new[] { owner }.Concat(await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            var member = await chat.NewUserAsync(owner.TenantId);
            await chat.Teams.InviteAsync(owner, team, new TeamInvitation(member.UserId), Ct);
            await chat.Teams.AcceptInvitationAsync(member, team, Ct);
            return member;
        }))).ToArray();

        var holds = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            chat.Teams.ReserveAsync(members[i % members.Length], team, new TeamReservationRequest(1_000, 100), Ct)));
        // The hold of call 7 is released behind the pipeline's back: settling it is refused.
        await chat.Teams.ReleaseAsync(members[7 % members.Length], team, holds[7].Id, Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            try
            {
                return (Added: await recorder.RecordAsync(new ChatRecording(members[i % members.Length], Record($"rec-{i}", team, 100 + i, 10), holds[i])), Error: (Exception?)null);
            }
            catch (Exception e)
            {
                return (Added: false, Error: e);
            }
        }));

        Assert.IsType<RadiantConflictException>(results[7].Error);
        Assert.All(results.Where((_, i) => i != 7), r => Assert.True(r.Added, r.Error?.ToString()));
        var records = await chat.UsageRecordsAsync(owner.TenantId);
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i != 7).Select(i => $"rec-{i}").Order(StringComparer.Ordinal), records.Select(r => r.RequestId).Order(StringComparer.Ordinal));
        var stats = await chat.Teams.GetStatsAsync(owner, team, Ct);
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i != 7).Sum(i => 100L + i + 10), stats.TokensUsed);
    }

    [Fact]
    public async Task A_request_recorded_twice_at_once_is_added_and_settled_once_and_the_other_hold_is_released()
    {
        var recorder = chat.Services.GetRequiredService<ChatRecorder>();
        var owner = await chat.NewUserAsync();
        var team = (await chat.Teams.CreateAsync(owner, new TeamCreate("Twice", TeamPlanType.Team, 5, 1_000_000), Ct)).Id;
        var holds = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => chat.Teams.ReserveAsync(owner, team, new TeamReservationRequest(1_000, 100), Ct)));

        // Six calls claim the same request and attempt (a retried commit, two hosts): one is recorded.
        var added = await Task.WhenAll(holds.Select(h => recorder.RecordAsync(new ChatRecording(owner, Record("same-request", team, 200, 20), h))));

        Assert.Equal(1, added.Count(a => a));
        Assert.Single(await chat.UsageRecordsAsync(owner.TenantId, "same-request"));
        var stats = await chat.Teams.GetStatsAsync(owner, team, Ct);
        Assert.Equal(220, stats.TokensUsed);
        Assert.Equal(1_000_000 - 220, stats.TokensRemaining);
    }
}
