using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Postgres.Tenancy;
using Radiant.Chat;
using Radiant.Errors;
using Radiant.Tests.Chat;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.ThinkTank;

/// <summary>
/// The per-user totals the Think Tank user list reads are kept by the chat pipeline as it records usage, and a
/// suspended user is refused by the pipeline itself (a host calling <see cref="IRadiantChat"/> without HTTP).
/// </summary>
public sealed class UserUsageTotalsTests(ChatFixture chat) : IClassFixture<ChatFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Recorded_calls_add_to_the_users_totals_and_month_exactly_once_including_failed_ones_and_not_duplicates()
    {
        var user = await chat.NewUserAsync();
        var other = await chat.NewUserAsync(user.TenantId);
        var tag = $"totals-{Guid.NewGuid():N}";
        chat.Peer.Script = r => r.Prompt.Contains(tag, StringComparison.Ordinal)
            ? r.Prompt.Contains("fail", StringComparison.Ordinal) ? new PeerReply.Fail(400, "refused") : new PeerReply.Answer("ok", 100, 20)
            : new PeerReply.Answer();

        await chat.Chat.GetResponseAsync(user, ChatFixture.Ask(tag + " one", "gpt-4o") with { RequestId = tag + "-1" }, Ct);
        await chat.Chat.GetResponseAsync(user, ChatFixture.Ask(tag + " two", "gpt-4o-mini"), Ct);
        await Assert.ThrowsAsync<ChatProviderException>(() => chat.Chat.GetResponseAsync(user, ChatFixture.Ask(tag + " fail", "gpt-4o"), Ct));
        // The same request again is refused before anything is recorded; a record written twice counts once.
        await Assert.ThrowsAsync<RadiantConflictException>(() => chat.Chat.GetResponseAsync(user, ChatFixture.Ask(tag + " one", "gpt-4o") with { RequestId = tag + "-1" }, Ct));
        await chat.Chat.GetResponseAsync(other, ChatFixture.Ask(tag + " three", "gpt-4o"), Ct);

        var expected = await AggregateOfRecordsAsync(user.TenantId);
        Assert.Equal(expected, await TotalsAsync(user.TenantId));
        Assert.Equal(expected, await MonthsAsync(user.TenantId));
        var mine = expected.Single(t => t.UserId == user.UserId);
        Assert.Equal((3L, 1L), (mine.Requests, mine.FailedRequests));
        Assert.True(mine.Spend > 0);
    }

    [Fact]
    public async Task A_suspended_user_is_refused_by_the_pipeline_before_anything_is_sent_and_served_again_once_reactivated()
    {
        var user = await chat.NewUserAsync();
        chat.Peer.Script = _ => new PeerReply.Answer("fine", 10, 2);
        await SetStatusAsync(user.TenantId, user.UserId, "suspended");
        var before = chat.Peer.RequestCount;

        var refused = await Assert.ThrowsAsync<RadiantAccountSuspendedException>(() => chat.Chat.GetResponseAsync(user, ChatFixture.Ask("hello", "gpt-4o"), Ct));
        Assert.StartsWith("Your account is suspended", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RadiantAccountSuspendedException>(async () =>
        {
            await foreach (var _ in chat.Chat.GetStreamingResponseAsync(user, ChatFixture.Ask("hello", "gpt-4o"), Ct))
            {
            }
        });
        // With a request id of the caller's, the repeated-request check refuses too (in the database).
        await Assert.ThrowsAsync<RadiantAccountSuspendedException>(() => chat.Chat.GetResponseAsync(user, ChatFixture.Ask("hello", "gpt-4o") with { RequestId = "suspended-1" }, Ct));
        Assert.Equal(before, chat.Peer.RequestCount);
        Assert.Empty(await chat.UsageRecordsAsync(user.TenantId));

        await SetStatusAsync(user.TenantId, user.UserId, "active");
        Assert.Equal("fine", (await chat.Chat.GetResponseAsync(user, ChatFixture.Ask("hello", "gpt-4o"), Ct)).Text);
    }

    /// <summary>Changes the status in the database and has the directory forget the user, as the Think Tank service does.</summary>
    private async Task SetStatusAsync(Guid tenantId, Guid userId, string status)
    {
        await using var connection = new NpgsqlConnection(chat.ConnectionString);
        await connection.ExecuteAsync("UPDATE radiant.users SET status = @status WHERE tenant_id = @tenantId AND user_id = @userId", new { tenantId, userId, status });
        chat.Services.GetRequiredService<PostgresTenantDirectory>().Forget(tenantId, userId);
    }

    private async Task<List<Totals>> AggregateOfRecordsAsync(Guid tenantId) => await QueryAsync(
        """
        SELECT user_id AS UserId, count(*) AS Requests, count(*) FILTER (WHERE outcome = 'failed') AS FailedRequests,
               sum(input_tokens)::bigint AS InputTokens, sum(output_tokens)::bigint AS OutputTokens, sum(charge) AS Spend
        FROM radiant.usage_records WHERE tenant_id = @tenantId GROUP BY user_id ORDER BY user_id
        """, tenantId);

    private async Task<List<Totals>> TotalsAsync(Guid tenantId) => await QueryAsync(
        """
        SELECT user_id AS UserId, requests AS Requests, failed_requests AS FailedRequests, input_tokens AS InputTokens, output_tokens AS OutputTokens, spend AS Spend
        FROM radiant.user_usage_totals WHERE tenant_id = @tenantId AND requests > 0 ORDER BY user_id
        """, tenantId);

    private async Task<List<Totals>> MonthsAsync(Guid tenantId) => await QueryAsync(
        """
        SELECT user_id AS UserId, sum(requests)::bigint AS Requests, sum(failed_requests)::bigint AS FailedRequests, sum(input_tokens)::bigint AS InputTokens,
               sum(output_tokens)::bigint AS OutputTokens, sum(spend) AS Spend
        FROM radiant.user_usage_months WHERE tenant_id = @tenantId GROUP BY user_id ORDER BY user_id
        """, tenantId);

    private async Task<List<Totals>> QueryAsync(string sql, Guid tenantId)
    {
        await using var connection = new NpgsqlConnection(chat.ConnectionString);
        return [.. await connection.QueryAsync<Totals>(sql, new { tenantId })];
    }

    private sealed record Totals(Guid UserId, long Requests, long FailedRequests, long InputTokens, long OutputTokens, decimal Spend);
}
