using Radiant.Common;
using Radiant.Errors;
using Radiant.Tenancy;
using Radiant.ThinkTank;

namespace Radiant.Tests.ThinkTank;

public sealed class ThinkTankUserServiceTests(ThinkTankFixture db) : IClassFixture<ThinkTankFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A tenant with a known set of users: varied case, missing emails and names, tiers, ties in spend, never-active users.</summary>
    private async Task<(RadiantCaller Admin, List<RadiantCaller> Users)> SeedAsync()
    {
        var tenant = Guid.NewGuid();
        var admin = (await db.UserAsync(tenant, "admin@corp.test", "Zed Admin")).AsTenantAdmin();
        var specs = new (string? Email, string? Name, SubscriptionTier? Tier, decimal[] Charges)[]
        {
            ("alice@corp.test", "Alice Smith", SubscriptionTier.Pro, [1.25m, 0.5m]),
            ("Bob@Corp.test", "bob jones", SubscriptionTier.Free, [0.75m]),
            ("carol@other.test", "Alibek Nur", SubscriptionTier.Team, [1.75m]),
            ("dave@corp.test", null, null, []),
            (null, "Eve Nameless", SubscriptionTier.Enterprise, [0.75m]),
            ("a_b@corp.test", "Under Score", SubscriptionTier.Free, [0.1m]),
            ("axb@corp.test", "Ex Bee", SubscriptionTier.Free, []),
            ("frank@corp.test", "Frank", SubscriptionTier.Pro, [3m]),
            ("ALICE2@corp.test", "alice two", null, [0.75m]),
        };
        var users = new List<RadiantCaller>();
        foreach (var (email, name, tier, charges) in specs)
        {
            var user = await db.UserAsync(tenant, email, name, tier);
            foreach (var charge in charges)
            {
                Assert.True(await db.RecordAsync(user, charge));
            }

            users.Add(user);
        }

        users.Insert(0, admin with { IsTenantAdmin = false });
        return (admin, users);
    }

    private async Task<List<ThinkTankUser>> AllPagesAsync(RadiantCaller admin, ThinkTankUserQuery query, int limit)
    {
        var all = new List<ThinkTankUser>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await db.Users.ListAsync(admin, query, new PageRequest(cursor, limit), Ct);
            Assert.True(page.Items.Count <= limit);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
            Assert.True(++pages < 100);
        }
        while (cursor is not null);
        return all;
    }

    private static string Id(ThinkTankUser u) => u.UserId.ToString("N");

    /// <summary>The order the database must give: the key, then the user id as PostgreSQL orders uuids (their hex text).</summary>
    private static List<ThinkTankUser> Expected(IEnumerable<ThinkTankUser> users, ThinkTankUserSort sort, SortDirection direction)
    {
        Comparison<ThinkTankUser> byKey = sort switch
        {
            ThinkTankUserSort.Email => (a, b) => string.CompareOrdinal((a.Email ?? "").ToLowerInvariant(), (b.Email ?? "").ToLowerInvariant()),
            ThinkTankUserSort.Name => (a, b) => string.CompareOrdinal((a.DisplayName ?? "").ToLowerInvariant(), (b.DisplayName ?? "").ToLowerInvariant()),
            ThinkTankUserSort.Spend => (a, b) => a.Spend.CompareTo(b.Spend),
            ThinkTankUserSort.LastActive => (a, b) => (a.LastActiveAt ?? DateTimeOffset.UnixEpoch).CompareTo(b.LastActiveAt ?? DateTimeOffset.UnixEpoch),
            _ => (a, b) => a.CreatedAt.CompareTo(b.CreatedAt),
        };
        var list = users.ToList();
        list.Sort((a, b) =>
        {
            var c = byKey(a, b);
            c = c != 0 ? c : string.CompareOrdinal(Id(a), Id(b));
            return direction == SortDirection.Ascending ? c : -c;
        });
        return list;
    }

    [Fact]
    public async Task Each_user_shows_their_requests_tokens_spend_and_last_activity_from_the_recorded_usage()
    {
        var (admin, users) = await SeedAsync();
        var failing = users[1];
        Assert.True(await db.RecordAsync(failing, 0m, input: 40, output: 0, failed: true));
        Assert.False(await db.RecordAsync(failing, 9m, requestId: "dup") && await db.RecordAsync(failing, 9m, requestId: "dup"));

        var alice = await db.Users.GetAsync(admin, failing.UserId, Ct);
        Assert.Equal(("alice@corp.test", "Alice Smith", SubscriptionTier.Pro, UserStatus.Active), (alice.Email, alice.DisplayName, alice.Tier, alice.Status));
        Assert.Equal((4L, 1L, 340L, 150L, 490L), (alice.Requests, alice.FailedRequests, alice.InputTokens, alice.OutputTokens, alice.TotalTokens));
        Assert.Equal(1.25m + 0.5m + 9m, alice.Spend);
        Assert.NotNull(alice.LastActiveAt);
        Assert.InRange(alice.LastActiveAt!.Value, alice.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(1));

        var dave = await db.Users.GetAsync(admin, users[4].UserId, Ct);
        Assert.Equal((0L, 0m, (DateTimeOffset?)null, (SubscriptionTier?)null), (dave.Requests, dave.Spend, dave.LastActiveAt, dave.Tier));
    }

    [Fact]
    public async Task Every_sort_in_both_directions_pages_through_every_user_once_in_order()
    {
        var (admin, users) = await SeedAsync();
        var everyone = (await db.Users.ListAsync(admin, ThinkTankUserQuery.All, new PageRequest(null, 200), Ct)).Items;
        Assert.Equal(users.Select(u => u.UserId).Order(), everyone.Select(u => u.UserId).Order());

        foreach (var sort in Enum.GetValues<ThinkTankUserSort>())
        {
            foreach (var direction in Enum.GetValues<SortDirection>())
            {
                var paged = await AllPagesAsync(admin, new ThinkTankUserQuery(Sort: sort, Direction: direction), limit: 3);
                Assert.Equal(Expected(everyone, sort, direction).Select(Id), paged.Select(Id));
            }
        }

        // Defaults: email and name ascending, the figures descending.
        var bySpend = await db.Users.ListAsync(admin, new ThinkTankUserQuery(Sort: ThinkTankUserSort.Spend), new PageRequest(null, 1), Ct);
        Assert.Equal("frank@corp.test", Assert.Single(bySpend.Items).Email);
        var byName = await db.Users.ListAsync(admin, new ThinkTankUserQuery(Sort: ThinkTankUserSort.Name), new PageRequest(null, 1), Ct);
        Assert.Equal("dave@corp.test", Assert.Single(byName.Items).Email);
    }

    [Fact]
    public async Task Paging_is_stable_while_users_arrive_and_figures_change()
    {
        var (admin, users) = await SeedAsync();
        var query = new ThinkTankUserQuery(Sort: ThinkTankUserSort.Email);
        var first = await db.Users.ListAsync(admin, query, new PageRequest(null, 4), Ct);
        var tenant = admin.TenantId;

        // Meanwhile: a user sorting before the cursor, one after, and new usage for someone on the first page.
        await db.UserAsync(tenant, "aaa-early@corp.test", "Early");
        var late = await db.UserAsync(tenant, "zzz-late@corp.test", "Late");
        await db.RecordAsync(users.First(u => u.UserId == first.Items[0].UserId), 5m);

        var rest = new List<ThinkTankUser>();
        var cursor = first.NextCursor;
        while (cursor is not null)
        {
            var page = await db.Users.ListAsync(admin, query, new PageRequest(cursor, 4), Ct);
            rest.AddRange(page.Items);
            cursor = page.NextCursor;
        }

        var seen = first.Items.Concat(rest).Select(u => u.UserId).ToList();
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(users.Select(u => u.UserId).Append(late.UserId).Order(), seen.Order());
    }

    [Fact]
    public async Task Search_is_a_case_insensitive_prefix_of_the_email_or_the_name_with_wildcards_taken_literally()
    {
        var (admin, _) = await SeedAsync();

        async Task<string[]> Search(string text) =>
            [.. (await db.Users.ListAsync(admin, new ThinkTankUserQuery(Search: text), PageRequest.First, Ct)).Items.Select(u => u.Email ?? u.DisplayName!)];

        Assert.Equal(["ALICE2@corp.test", "alice@corp.test", "carol@other.test"], await Search("ALI"));
        Assert.Equal(["Bob@Corp.test"], await Search("bob"));
        Assert.Equal(["Bob@Corp.test"], await Search("BOB J"));
        Assert.Equal(["a_b@corp.test"], await Search("a_b"));
        Assert.Empty(await Search("%"));
        Assert.Empty(await Search("corp.test"));
        Assert.Equal(["Eve Nameless"], await Search("eve"));
    }

    [Fact]
    public async Task Filters_by_status_tier_and_activity_combine_with_search_and_sort()
    {
        var (admin, users) = await SeedAsync();
        await db.Users.SuspendAsync(admin, users[2].UserId, Ct);
        await db.ExecuteAsync(
            "UPDATE radiant.user_usage_totals SET last_active_at = now() - interval '30 days' WHERE tenant_id = @t AND user_id = @u",
            new { t = admin.TenantId, u = users[8].UserId });

        async Task<string?[]> List(ThinkTankUserQuery query) =>
            [.. (await db.Users.ListAsync(admin, query, PageRequest.First, Ct)).Items.Select(u => u.Email)];

        Assert.Equal(["Bob@Corp.test"], await List(new ThinkTankUserQuery(Status: UserStatus.Suspended)));
        Assert.DoesNotContain("Bob@Corp.test", await List(new ThinkTankUserQuery(Status: UserStatus.Active)));
        Assert.Equal(["frank@corp.test", "alice@corp.test"], await List(new ThinkTankUserQuery(Tier: SubscriptionTier.Pro, Sort: ThinkTankUserSort.Spend)));
        Assert.Equal(["a_b@corp.test", "axb@corp.test"], await List(new ThinkTankUserQuery(Search: "a", Tier: SubscriptionTier.Free)));
        var active = await List(new ThinkTankUserQuery(ActiveSince: DateTimeOffset.UtcNow.AddDays(-7)));
        Assert.Equal(["a_b@corp.test", "ALICE2@corp.test", "alice@corp.test", "Bob@Corp.test", "carol@other.test"], active.Where(e => e is not null).ToArray()[..5]);
        Assert.DoesNotContain("frank@corp.test", active);
        Assert.DoesNotContain("dave@corp.test", active);
    }

    [Fact]
    public async Task Stats_count_users_activity_newcomers_suspensions_and_this_months_spend()
    {
        var tenant = Guid.NewGuid();
        var admin = (await db.UserAsync(tenant, "admin@s.test", "Admin")).AsTenantAdmin();
        var active = await db.UserAsync(tenant, "a@s.test", "A");
        var lapsed = await db.UserAsync(tenant, "b@s.test", "B");
        var veteran = await db.UserAsync(tenant, "c@s.test", "C");
        await db.RecordAsync(active, 1.5m);
        await db.RecordAsync(active, 0.25m);
        await db.ExecuteAsync(
            """
            UPDATE radiant.user_usage_totals SET last_active_at = now() - interval '8 days', requests = 1, spend = 10 WHERE tenant_id = @t AND user_id = @b;
            INSERT INTO radiant.user_usage_months (tenant_id, month, user_id, requests, spend)
            VALUES (@t, (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date, @b, 1, 10);
            UPDATE radiant.users SET created_at = now() - interval '40 days' WHERE tenant_id = @t AND user_id = @c;
            """,
            new { t = tenant, b = lapsed.UserId, c = veteran.UserId });
        await db.Users.SuspendAsync(admin, veteran.UserId, Ct);

        var stats = await db.Users.GetStatsAsync(admin, Ct);

        Assert.Equal((4L, 1L, 3L, 1L, 1.75m), (stats.TotalUsers, stats.ActiveUsers7d, stats.NewUsersThisMonth, stats.SuspendedUsers, stats.SpendThisMonth));
        Assert.Equal(new DateTimeOffset(stats.AsOf.UtcDateTime.Year, stats.AsOf.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero), stats.MonthStart);
    }

    [Fact]
    public async Task The_export_streams_the_filtered_list_in_its_order()
    {
        var (admin, _) = await SeedAsync();
        var query = new ThinkTankUserQuery(Search: "a", Sort: ThinkTankUserSort.Spend);
        var listed = await AllPagesAsync(admin, query, limit: 2);

        var exported = new List<ThinkTankUser>();
        await foreach (var user in db.Users.ExportAsync(admin, query, Ct))
        {
            exported.Add(user);
        }

        Assert.Equal(listed, exported);
        Assert.NotEmpty(exported);
    }

    [Fact]
    public async Task Suspension_and_reactivation_are_audited_idempotent_and_for_admins_of_the_tenant_only()
    {
        var (admin, users) = await SeedAsync();
        var target = users[3];

        var suspended = await db.Users.SuspendAsync(admin, target.UserId, Ct);
        Assert.Equal((UserStatus.Suspended, admin.UserId), (suspended.Status, suspended.StatusChangedBy));
        Assert.NotNull(suspended.StatusChangedAt);
        Assert.Equal(suspended, await db.Users.SuspendAsync(admin, target.UserId, Ct));
        Assert.Equal(UserStatus.Suspended, await db.Directory.EnsureUserAsync(new UserProfile(target, "carol@other.test", "Alibek Nur", Tier: SubscriptionTier.Team), Ct));

        var reactivated = await db.Users.ReactivateAsync(admin, target.UserId, Ct);
        Assert.Equal(UserStatus.Active, reactivated.Status);
        Assert.Equal(UserStatus.Active, await db.Directory.EnsureUserAsync(new UserProfile(target, "carol@other.test", "Alibek Nur", Tier: SubscriptionTier.Team), Ct));
        var events = await db.QueryAsync<(string Status, Guid ChangedBy)>(
            "SELECT status, changed_by FROM radiant.user_status_events WHERE tenant_id = @t AND user_id = @u ORDER BY changed_at, id",
            new { t = admin.TenantId, u = target.UserId });
        Assert.Equal([("suspended", admin.UserId), ("active", admin.UserId)], events);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.Users.SuspendAsync(users[1], target.UserId, Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.Users.ListAsync(users[1], ThinkTankUserQuery.All, PageRequest.First, Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() => db.Users.SuspendAsync(admin, admin.UserId, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Users.SuspendAsync(admin, Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task Concurrent_suspensions_and_reactivations_serialize_the_final_status_is_the_last_audited_change()
    {
        var (admin, users) = await SeedAsync();
        var second = RadiantCaller.ForTenantAdmin(admin.TenantId, users[0].UserId);
        var target = users[5];

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(
            () => i % 2 == 0 ? db.Users.SuspendAsync(i % 4 == 0 ? admin : second, target.UserId, Ct) : db.Users.ReactivateAsync(admin, target.UserId, Ct), Ct)));

        var events = await db.QueryAsync<string>(
            "SELECT status FROM radiant.user_status_events WHERE tenant_id = @t AND user_id = @u ORDER BY changed_at, id",
            new { t = admin.TenantId, u = target.UserId });
        Assert.NotEmpty(events);
        // Every recorded change was a change: the statuses alternate, starting from active.
        Assert.Equal("suspended", events[0]);
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        var user = await db.Users.GetAsync(admin, target.UserId, Ct);
        Assert.Equal(events[^1], user.Status == UserStatus.Suspended ? "suspended" : "active");
    }

    [Fact]
    public async Task Another_tenants_users_are_invisible_and_their_ids_not_found()
    {
        var (admin, users) = await SeedAsync();
        var (otherAdmin, _) = await SeedAsync();

        var seen = await AllPagesAsync(otherAdmin, ThinkTankUserQuery.All, limit: 50);
        Assert.DoesNotContain(seen, u => users.Any(x => x.UserId == u.UserId));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Users.GetAsync(otherAdmin, users[1].UserId, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Users.SuspendAsync(otherAdmin, users[1].UserId, Ct));
        Assert.Equal(UserStatus.Active, (await db.Users.GetAsync(admin, users[1].UserId, Ct)).Status);
        Assert.Equal(users.Count, (await db.Users.GetStatsAsync(admin, Ct)).TotalUsers);
    }

    [Fact]
    public async Task A_cursor_of_another_sort_and_bad_queries_are_validation_errors()
    {
        var (admin, _) = await SeedAsync();
        var page = await db.Users.ListAsync(admin, ThinkTankUserQuery.All, new PageRequest(null, 2), Ct);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            db.Users.ListAsync(admin, new ThinkTankUserQuery(Sort: ThinkTankUserSort.Spend), new PageRequest(page.NextCursor, 2), Ct));
        Assert.Contains("cursor", error.Errors.Keys);
        await Assert.ThrowsAsync<RadiantValidationException>(() =>
            db.Users.ListAsync(admin, ThinkTankUserQuery.All with { Direction = SortDirection.Descending }, new PageRequest(page.NextCursor, 2), Ct));
        var bad = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            db.Users.ListAsync(admin, new ThinkTankUserQuery(Search: new string('x', 201), Sort: (ThinkTankUserSort)42), PageRequest.First, Ct));
        Assert.Equal(["search", "sort"], bad.Errors.Keys.Order());
        Assert.Throws<RadiantValidationException>(() => db.Users.ExportAsync(admin, new ThinkTankUserQuery(Status: (UserStatus)7), Ct));
    }
}
