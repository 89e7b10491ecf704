using Dapper;
using Npgsql;
using Radiant.Errors;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Teams;

/// <summary>The team SQL, built once for the configured schema, its row types and the lookups every team concern uses.</summary>
internal sealed class TeamStore
{
    private const string PlanColumns =
        "p.id AS Id, p.tenant_id AS TenantId, p.plan_name AS Name, p.plan_type AS Type, p.owner_id AS OwnerId, p.max_members AS MaxMembers, " +
        "p.total_tokens_monthly AS TotalTokensMonthly, p.shared_pool AS SharedPool, p.billing_email AS BillingEmail, p.is_active AS IsActive, " +
        "p.tokens_used_this_period AS TokensUsedThisPeriod, p.current_period_start AS CurrentPeriodStart, " +
        "p.current_period_end AS CurrentPeriodEnd, p.created_at AS CreatedAt, p.period_anchor AS PeriodAnchor";

    private const string RoleRank = "CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END";

    private const string MemberColumns =
        "m.user_id AS UserId, u.email AS Email, u.display_name AS DisplayName, m.role AS Role, m.status AS Status, " +
        "m.token_allocation AS TokenAllocation, m.tokens_used_this_period AS TokensUsedThisPeriod, m.invited_by AS InvitedBy, " +
        "m.invited_at AS InvitedAt, m.accepted_at AS AcceptedAt";

    private readonly RadiantDb _db;

    public TeamStore(RadiantDb db)
    {
        _db = db;
        Sql = new Statements(db);
    }

    public Statements Sql { get; }

    public async Task<PlanRow> LockPlanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, CancellationToken cancellationToken)
    {
        var plan = await connection.QuerySingleOrDefaultAsync<PlanRow>(new CommandDefinition(
            Sql.LockPlan, new { caller.TenantId, Id = teamId }, transaction, cancellationToken: cancellationToken));
        if (plan is null)
        {
            throw new RadiantNotFoundException("team", teamId);
        }

        return plan;
    }

    public async Task<MemberRow> RequireMembershipAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, bool allowPending, CancellationToken cancellationToken)
    {
        var me = await FindMemberAsync(connection, transaction, caller.TenantId, teamId, caller.UserId, cancellationToken);
        return me is { Status: "active" } || (allowPending && me is { Status: "pending" })
            ? me
            : throw new RadiantNotFoundException("team", teamId);
    }

    public async Task<MemberRow> RequireManagerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid teamId, CancellationToken cancellationToken)
    {
        var me = await RequireMembershipAsync(connection, transaction, caller, teamId, allowPending: false, cancellationToken);
        return me.Role is "owner" or "admin" ? me : throw new RadiantForbiddenException("Only the plan's owner and admins can do this.");
    }

    public Task<MemberRow?> FindMemberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, Guid userId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<MemberRow>(new CommandDefinition(
            Sql.FindMember, new { TenantId = tenantId, TeamId = teamId, UserId = userId }, transaction, cancellationToken: cancellationToken));

    public Task<int> CountSeatsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(Sql.CountSeats, new { TenantId = tenantId, TeamId = teamId }, transaction, cancellationToken: cancellationToken));

    public Task<long> SumAllocationsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, Guid? except, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(Sql.SumAllocations, new { TenantId = tenantId, TeamId = teamId, Except = except }, transaction, cancellationToken: cancellationToken));

    public async Task<TeamPlan> ReadPlanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, CancellationToken cancellationToken) =>
        (await ReadPlanRowAsync(connection, transaction, tenantId, teamId, cancellationToken)).ToPlan();

    public async Task<PlanRow> ReadPlanRowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid teamId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<PlanRow>(new CommandDefinition(Sql.GetPlan, new { TenantId = tenantId, Id = teamId }, transaction, cancellationToken: cancellationToken))
        ?? throw new RadiantNotFoundException("team", teamId);

    public Task<DateTimeOffset> NowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        _db.NowAsync(connection, transaction, cancellationToken);

    internal sealed class Statements(RadiantDb db)
    {
        public string InsertPlan { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_plans (tenant_id, id, plan_name, plan_type, owner_id, max_members, total_tokens_monthly, shared_pool,
                billing_email, period_anchor, current_period_start, current_period_end, created_at)
            VALUES (@TenantId, @Id, @Name, @Type, @OwnerId, @MaxMembers, @TotalTokensMonthly, @SharedPool, @BillingEmail, @Anchor, @Start, @End, @Anchor);
            INSERT INTO {schema}.team_members (tenant_id, team_id, user_id, role, status, invited_by, accepted_at)
            VALUES (@TenantId, @Id, @OwnerId, 'owner', 'active', @OwnerId, @Anchor);
            """);

        public string GetPlan { get; } = db.Sql($"SELECT {PlanColumns} FROM {{schema}}.team_plans p WHERE p.tenant_id = @TenantId AND p.id = @Id");

        public string LockPlan { get; } = db.Sql($"SELECT {PlanColumns} FROM {{schema}}.team_plans p WHERE p.tenant_id = @TenantId AND p.id = @Id FOR UPDATE");

        public string ListPlans { get; } = db.Sql(
            $$"""
            SELECT {{PlanColumns}} FROM {schema}.team_plans p
            JOIN {schema}.team_members m ON m.tenant_id = p.tenant_id AND m.team_id = p.id
            WHERE p.tenant_id = @TenantId AND m.user_id = @UserId AND m.status IN ('active', 'pending')
              AND (@AfterName::varchar IS NULL OR (p.plan_name, p.id) > (@AfterName, @AfterId::uuid))
            ORDER BY p.plan_name, p.id
            LIMIT @Take
            """);

        public string UpdatePlan { get; } = db.Sql(
            """
            UPDATE {schema}.team_plans SET
                plan_name = @Name, max_members = @MaxMembers, total_tokens_monthly = @TotalTokensMonthly, shared_pool = @SharedPool,
                is_active = @IsActive, billing_email = @BillingEmail, updated_at = now()
            WHERE tenant_id = @TenantId AND id = @Id
            """);

        public string FindMember { get; } = db.Sql(
            $$"""
            SELECT {{MemberColumns}} FROM {schema}.team_members m
            JOIN {schema}.users u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId AND m.user_id = @UserId
            """);

        public string ListMembers { get; } = db.Sql(
            $$"""
            SELECT {{MemberColumns}} FROM {schema}.team_members m
            JOIN {schema}.users u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId
            ORDER BY {{RoleRank}}, m.invited_at, m.user_id
            """);

        public string ListMembersPage { get; } = db.Sql(
            $$"""
            SELECT {{MemberColumns}}, {{RoleRank}} AS RoleRank FROM {schema}.team_members m
            JOIN {schema}.users u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId
              AND (@AfterRank::int IS NULL OR ({{RoleRank}}, m.invited_at, m.user_id) > (@AfterRank, @AfterInvited::timestamptz, @AfterUser::uuid))
            ORDER BY {{RoleRank}}, m.invited_at, m.user_id
            LIMIT @Take
            """);

        public string CountSeats { get; } = db.Sql(
            "SELECT count(*)::int FROM {schema}.team_members WHERE tenant_id = @TenantId AND team_id = @TeamId AND status IN ('active', 'pending')");

        public string SumAllocations { get; } = db.Sql(
            """
            SELECT coalesce(sum(token_allocation), 0)::bigint FROM {schema}.team_members
            WHERE tenant_id = @TenantId AND team_id = @TeamId AND status IN ('active', 'pending') AND (@Except::uuid IS NULL OR user_id <> @Except)
            """);

        // A removed or declining user is invited again by reactivating their row (their usage this period stays counted).
        public string Invite { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_members (tenant_id, team_id, user_id, role, status, invited_by)
            VALUES (@TenantId, @TeamId, @UserId, @Role, 'pending', @InvitedBy)
            ON CONFLICT (tenant_id, team_id, user_id) DO UPDATE SET role = EXCLUDED.role, status = 'pending',
                invited_by = EXCLUDED.invited_by, invited_at = now(), accepted_at = NULL, removed_at = NULL
            """);

        public string Answer { get; } = db.Sql(
            """
            UPDATE {schema}.team_members SET status = @Status, accepted_at = CASE WHEN @Status = 'active' THEN now() END
            WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId AND status = 'pending'
            """);

        public string SetRole { get; } = db.Sql("UPDATE {schema}.team_members SET role = @Role WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId");

        public string TransferOwnership { get; } = db.Sql(
            """
            UPDATE {schema}.team_members SET role = 'admin' WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @From;
            UPDATE {schema}.team_members SET role = 'owner' WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @To;
            UPDATE {schema}.team_plans SET owner_id = @To, updated_at = now() WHERE tenant_id = @TenantId AND id = @TeamId;
            """);

        public string SetAllocation { get; } = db.Sql(
            "UPDATE {schema}.team_members SET token_allocation = @Allocation WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId");

        public string Remove { get; } = db.Sql(
            "UPDATE {schema}.team_members SET status = 'removed', removed_at = now() WHERE tenant_id = @TenantId AND team_id = @TeamId AND user_id = @UserId");

        public string DuePlans { get; } = db.Sql(
            "SELECT tenant_id, id FROM {schema}.team_plans WHERE current_period_end <= clock_timestamp() ORDER BY current_period_end LIMIT 500");

        // Locks the plan and tells whether its period is still over (as the charge statement sees now()).
        public string LockPlanIfDue { get; } = db.Sql(
            "SELECT current_period_end <= clock_timestamp() FROM {schema}.team_plans WHERE tenant_id = @TenantId AND id = @Id FOR UPDATE");

        public string LockDuePlan { get; } = db.Sql(
            "SELECT current_period_end FROM {schema}.team_plans WHERE tenant_id = @TenantId AND id = @Id AND current_period_end <= clock_timestamp() FOR UPDATE SKIP LOCKED");

        public string RollOver { get; } = db.Sql(
            """
            INSERT INTO {schema}.team_periods (tenant_id, team_id, period_start, period_end, total_tokens_monthly, tokens_used)
            SELECT tenant_id, id, current_period_start, @ClosedAt, total_tokens_monthly, tokens_used_this_period
            FROM {schema}.team_plans WHERE tenant_id = @TenantId AND id = @TeamId;
            INSERT INTO {schema}.team_member_periods (tenant_id, team_id, period_start, user_id, tokens_used, token_allocation)
            SELECT m.tenant_id, m.team_id, p.current_period_start, m.user_id, m.tokens_used_this_period, m.token_allocation
            FROM {schema}.team_members m JOIN {schema}.team_plans p ON p.tenant_id = m.tenant_id AND p.id = m.team_id
            WHERE m.tenant_id = @TenantId AND m.team_id = @TeamId AND (m.status = 'active' OR m.tokens_used_this_period > 0);
            UPDATE {schema}.team_members SET tokens_used_this_period = 0 WHERE tenant_id = @TenantId AND team_id = @TeamId;
            UPDATE {schema}.team_plans SET tokens_used_this_period = 0, current_period_start = @NextStart, current_period_end = @NextEnd, updated_at = now()
            WHERE tenant_id = @TenantId AND id = @TeamId;
            """);

        public string ListPeriods { get; } = db.Sql(
            """
            SELECT period_start, period_end, total_tokens_monthly, tokens_used FROM {schema}.team_periods
            WHERE tenant_id = @TenantId AND team_id = @TeamId AND (@After::timestamptz IS NULL OR period_start < @After)
            ORDER BY period_start DESC
            LIMIT @Take
            """);
    }

    internal sealed class PlanRow
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Name { get; init; } = "";
        public string Type { get; init; } = "";
        public Guid OwnerId { get; init; }
        public int MaxMembers { get; init; }
        public long TotalTokensMonthly { get; init; }
        public bool SharedPool { get; init; }
        public string? BillingEmail { get; init; }
        public bool IsActive { get; init; }
        public long TokensUsedThisPeriod { get; init; }
        public DateTime CurrentPeriodStart { get; init; }
        public DateTime CurrentPeriodEnd { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime PeriodAnchor { get; init; }

        public TeamPlan ToPlan() => new(
            Id, TenantId, Name, DbEnum.Parse<TeamPlanType>(Type), OwnerId, MaxMembers, TotalTokensMonthly, SharedPool, BillingEmail,
            IsActive, TokensUsedThisPeriod, JsonColumns.Utc(CurrentPeriodStart), JsonColumns.Utc(CurrentPeriodEnd), JsonColumns.Utc(CreatedAt));
    }

    internal sealed class MemberRow
    {
        public Guid UserId { get; init; }
        public string? Email { get; init; }
        public string? DisplayName { get; init; }
        public string Role { get; init; } = "";
        public string Status { get; init; } = "";
        public long? TokenAllocation { get; init; }
        public long TokensUsedThisPeriod { get; init; }
        public Guid? InvitedBy { get; init; }
        public DateTime InvitedAt { get; init; }
        public DateTime? AcceptedAt { get; init; }
        public int RoleRank { get; init; }

        public TeamMember ToMember() => new(
            UserId, Email, DisplayName, DbEnum.Parse<TeamRole>(Role), DbEnum.Parse<MemberStatus>(Status), TokenAllocation, TokensUsedThisPeriod,
            InvitedBy, JsonColumns.Utc(InvitedAt), AcceptedAt is { } a ? JsonColumns.Utc(a) : null);
    }
}
