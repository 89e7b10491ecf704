using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.ModelSelection;
using Radiant.Personas;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Tenancy;

/// <summary>
/// Row-level security proven on its own, with raw SQL as the application role: no service filter helps here.
/// </summary>
public sealed class RowLevelSecurityTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every tenant-owned table, with an INSERT that targets another tenant (parameters @tenant, @user, @persona).</summary>
    public static TheoryData<string, string> TenantTables => new()
    {
        { "tenants", "INSERT INTO radiant.tenants (tenant_id, name) VALUES (@tenant, 'x')" },
        { "users", "INSERT INTO radiant.users (tenant_id, user_id) VALUES (@tenant, gen_random_uuid())" },
        { "focus_modes", "INSERT INTO radiant.focus_modes (tenant_id, id, mode_name, display_name, system_prompt) VALUES (@tenant, gen_random_uuid(), 'm', 'M', 'p')" },
        { "user_personas", "INSERT INTO radiant.user_personas (tenant_id, id, user_id, persona_name, system_prompt) VALUES (@tenant, gen_random_uuid(), @user, 'p', 'p')" },
        { "persona_usage_log", "INSERT INTO radiant.persona_usage_log (tenant_id, id, persona_id, user_id) VALUES (@tenant, gen_random_uuid(), @persona, @user)" },
        { "pricing_config", "INSERT INTO radiant.pricing_config (tenant_id) VALUES (@tenant)" },
        { "tenant_model_settings", "INSERT INTO radiant.tenant_model_settings (tenant_id, model_id, is_enabled) VALUES (@tenant, 'gpt-4o', false)" },
        { "model_pricing_overrides", "INSERT INTO radiant.model_pricing_overrides (tenant_id, id, model_id, markup, effective_from) VALUES (@tenant, gen_random_uuid(), 'gpt-4o', 0.1, now())" },
        { "tenant_base_prices", "INSERT INTO radiant.tenant_base_prices (tenant_id, model_id, effective_from, input_price, output_price) VALUES (@tenant, 'gpt-4o', now(), 0, 0)" },
        { "price_history", "INSERT INTO radiant.price_history (tenant_id, id, model_id, change_source, effective_from) VALUES (@tenant, gen_random_uuid(), 'gpt-4o', 'admin', now())" },
        { "team_plans", "INSERT INTO radiant.team_plans (tenant_id, id, plan_name, plan_type, owner_id, max_members, total_tokens_monthly, period_anchor, current_period_start, current_period_end) VALUES (@tenant, gen_random_uuid(), 'p', 'team', @user, 5, 1000, now(), now(), now() + interval '1 month')" },
        { "team_members", "INSERT INTO radiant.team_members (tenant_id, team_id, user_id) VALUES (@tenant, gen_random_uuid(), @user)" },
        { "team_usage_log", "INSERT INTO radiant.team_usage_log (tenant_id, id, team_id, user_id, tokens_used, period_start) VALUES (@tenant, gen_random_uuid(), gen_random_uuid(), @user, 1, now())" },
        { "team_periods", "INSERT INTO radiant.team_periods (tenant_id, team_id, period_start, period_end, total_tokens_monthly, tokens_used) VALUES (@tenant, gen_random_uuid(), now(), now(), 1, 0)" },
        { "team_member_periods", "INSERT INTO radiant.team_member_periods (tenant_id, team_id, period_start, user_id, tokens_used) VALUES (@tenant, gen_random_uuid(), now(), @user, 0)" },
        { "team_usage_warnings", "INSERT INTO radiant.team_usage_warnings (tenant_id, team_id, period_start, subject_id, threshold) VALUES (@tenant, gen_random_uuid(), now(), @user, 80)" },
        { "team_reservations", "INSERT INTO radiant.team_reservations (tenant_id, id, team_id, user_id, tokens_requested, tokens_held, expires_at) VALUES (@tenant, gen_random_uuid(), gen_random_uuid(), @user, 1, 1, now() + interval '1 minute')" },
        { "scheduled_prompts", "INSERT INTO radiant.scheduled_prompts (tenant_id, id, user_id, prompt_name, prompt_text, model, schedule_type, run_at, next_run) VALUES (@tenant, gen_random_uuid(), @user, 'p', 'p', 'gpt-4o', 'once', now(), now())" },
        { "scheduled_prompt_runs", "INSERT INTO radiant.scheduled_prompt_runs (tenant_id, id, prompt_id, scheduled_for, run_trigger) VALUES (@tenant, gen_random_uuid(), gen_random_uuid(), now(), 'manual')" },
        { "outbox", "INSERT INTO radiant.outbox (tenant_id, id, topic, payload) VALUES (@tenant, gen_random_uuid(), 'price_change', '{}')" },
        { "domain_modes", "INSERT INTO radiant.domain_modes (tenant_id, mode) VALUES (@tenant, 'legal')" },
        { "model_preferences", "INSERT INTO radiant.model_preferences (tenant_id, user_id) VALUES (@tenant, @user)" },
        { "user_usage_totals", "INSERT INTO radiant.user_usage_totals (tenant_id, user_id) VALUES (@tenant, @user) ON CONFLICT DO NOTHING" },
        { "user_usage_months", "INSERT INTO radiant.user_usage_months (tenant_id, month, user_id) VALUES (@tenant, date_trunc('month', now())::date, @user)" },
        { "user_status_events", "INSERT INTO radiant.user_status_events (tenant_id, id, user_id, status, changed_by, changed_at) VALUES (@tenant, gen_random_uuid(), @user, 'suspended', @user, now())" },
        { "usage_records", "INSERT INTO radiant.usage_records (tenant_id, id, request_id, attempt, user_id, model_id, provider_id, routing_rule, input_tokens, output_tokens, charge, pricing_version, latency_ms, outcome) VALUES (@tenant, gen_random_uuid(), gen_random_uuid()::text, 1, @user, 'gpt-4o', 'openai', 'requested', 1, 1, 0, 1, 1, 'completed')" },
        { "usage_record_keys", "INSERT INTO radiant.usage_record_keys (tenant_id, request_id, attempt, answered) VALUES (@tenant, gen_random_uuid()::text, 1, true)" },
        { "usage_rollup_model_hourly", "INSERT INTO radiant.usage_rollup_model_hourly (tenant_id, bucket, model_id, provider_id, requests, completed, failed, input_tokens, output_tokens, cached_tokens, charge, latency_ms_sum, first_token_ms_sum, first_token_count, latency_histogram) VALUES (@tenant, '2001-01-01', 'm', 'p', 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, '{}')" },
        { "usage_rollup_model_daily", "INSERT INTO radiant.usage_rollup_model_daily (tenant_id, bucket, model_id, provider_id, requests, completed, failed, input_tokens, output_tokens, cached_tokens, charge, latency_ms_sum, first_token_ms_sum, first_token_count, latency_histogram) VALUES (@tenant, '2001-01-01', 'm', 'p', 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, '{}')" },
        { "usage_rollup_segment_hourly", "INSERT INTO radiant.usage_rollup_segment_hourly (tenant_id, bucket, model_id, provider_id, requests, completed, failed, input_tokens, output_tokens, cached_tokens, charge, latency_ms_sum, first_token_ms_sum, first_token_count, latency_histogram) VALUES (@tenant, '2001-01-01', 'm', 'p', 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, '{}')" },
        { "usage_rollup_segment_daily", "INSERT INTO radiant.usage_rollup_segment_daily (tenant_id, bucket, model_id, provider_id, requests, completed, failed, input_tokens, output_tokens, cached_tokens, charge, latency_ms_sum, first_token_ms_sum, first_token_count, latency_histogram) VALUES (@tenant, '2001-01-01', 'm', 'p', 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, '{}')" },
        { "usage_rollup_user_daily", "INSERT INTO radiant.usage_rollup_user_daily (tenant_id, bucket, user_id, model_id, provider_id, requests, completed, failed, input_tokens, output_tokens, cached_tokens, charge, latency_ms_sum, first_at, last_at) VALUES (@tenant, '2001-01-01', @user, 'm', 'p', 1, 1, 0, 1, 1, 0, 0, 1, now(), now())" },
    };

    [Fact]
    public async Task Every_table_with_a_tenant_column_has_forced_row_level_security()
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        var tables = new List<(string Name, bool Enabled, bool Forced)>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'radiant' AND c.relkind IN ('r', 'p') AND NOT c.relispartition -- partitions are reached through their table
              AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
            ORDER BY c.relname
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                tables.Add((reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
            }
        }

        // Exactly the tables this class tests one by one: the check cannot pass by finding nothing, and a new tenant
        // table fails here until it has its isolation rows in TenantTables.
        Assert.Equal(TenantTables.Select(row => (string)row.Data.Item1).Order(StringComparer.Ordinal), tables.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(tables, t => Assert.True(t.Enabled && t.Forced, $"{t.Name}: RLS enabled={t.Enabled}, forced={t.Forced}"));
    }

    [Fact]
    public async Task Tenant_id_leads_every_primary_key_foreign_key_and_index_of_tenant_tables()
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT t.relname || ': index ' || i.relname || ' starts with ' || a.attname
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'radiant'
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
            WHERE EXISTS (SELECT FROM pg_attribute ta WHERE ta.attrelid = t.oid AND ta.attname = 'tenant_id')
              AND a.attname <> 'tenant_id'
              -- The cross-tenant claim indexes of the scheduler and the outbox: plain (non-unique) indexes, which Citus allows
              -- without the distribution column.
              AND NOT (NOT x.indisunique AND i.relname IN ('scheduled_prompts_due_idx', 'scheduled_prompt_runs_pending_idx', 'scheduled_prompt_runs_lease_idx', 'outbox_available_idx', 'usage_record_keys_expiry_idx'))
            UNION ALL
            SELECT t.relname || ': foreign key ' || con.conname || ' starts with ' || a.attname
            FROM pg_constraint con
            JOIN pg_class t ON t.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'radiant'
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = con.conkey[1]
            -- Foreign keys to global catalogue (reference) tables need no tenant column; those between tenant tables do.
            WHERE con.contype = 'f' AND a.attname <> 'tenant_id'
              AND EXISTS (SELECT FROM pg_attribute ra WHERE ra.attrelid = con.confrelid AND ra.attname = 'tenant_id')
            """, connection);
        var offenders = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            offenders.Add(reader.GetString(0));
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public async Task Every_policy_reads_the_signed_context_through_a_subquery_and_never_a_setting()
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT tablename || '.' || policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'radiant'",
            connection);
        var policies = new List<(string Name, string Expression)>();
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                policies.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        // A context function called bare is evaluated per row (a MAC check each time); through (SELECT ...) once per
        // statement. A setting read directly would trust what injected SQL can set.
        var contextCall = new System.Text.RegularExpressions.Regex(@"(current_tenant_id|current_user_id|in_\w+_scope)\(\)");
        var inSubquery = new System.Text.RegularExpressions.Regex(@"\(\s*SELECT\s+(radiant\.)?(current_tenant_id|current_user_id|in_\w+_scope)\(\)");
        Assert.True(policies.Count >= 30, $"{policies.Count} policies");
        Assert.All(policies, p =>
        {
            Assert.DoesNotContain("current_setting", p.Expression, StringComparison.Ordinal);
            Assert.True(contextCall.Count(p.Expression) == inSubquery.Count(p.Expression), $"{p.Name}: {p.Expression}");
        });
    }

    [Fact]
    public async Task Views_run_with_the_callers_rights()
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'radiant' AND c.relkind = 'v'
              AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
            """, connection);
        Assert.Equal(0L, await command.ExecuteScalarAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task Another_tenant_sees_no_row_and_no_tenant_sees_nothing(string table, string unused)
    {
        _ = unused;
        var (owner, _) = await SeedTenantAsync();
        var stranger = await db.NewUserAsync();

        await using var connection = await db.OpenOwnerConnectionAsync();
        await using (var tx = await RawSql.BeginAsAppAsync(connection, owner.TenantId, owner.UserId))
        {
            Assert.True(await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.{table} WHERE tenant_id = '{owner.TenantId}'") > 0, "sanity: the owner sees the seeded rows");
        }

        await using (var tx = await RawSql.BeginAsAppAsync(connection, stranger.TenantId, stranger.UserId))
        {
            Assert.Equal(0, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.{table} WHERE tenant_id = '{owner.TenantId}'"));
            var mayUpdate = await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM (SELECT has_table_privilege('radiant.{table}', 'UPDATE') AS p) x WHERE p") == 1;
            var mayDelete = await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM (SELECT has_table_privilege('radiant.{table}', 'DELETE') AS p) x WHERE p") == 1;
            if (mayUpdate)
            {
                Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"UPDATE radiant.{table} SET tenant_id = tenant_id WHERE tenant_id = '{owner.TenantId}'"));
            }

            if (mayDelete)
            {
                Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"DELETE FROM radiant.{table} WHERE tenant_id = '{owner.TenantId}'"));
            }
            else
            {
                // Written once (usage records and their keys) or only ever added to (the rollups, by the records' trigger;
                // the users' usage totals; the status audit): the application role may not remove any row, its own
                // tenant's included.
                Assert.True(
                    table.StartsWith("usage_", StringComparison.Ordinal) || ((string[])["user_usage_totals", "user_usage_months", "user_status_events"]).Contains(table),
                    table);
            }
        }

        await using (var tx = await RawSql.BeginAsAppAsync(connection, tenantId: null, userId: null))
        {
            Assert.Equal(0, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.{table}"));
        }
    }

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task Writing_into_another_tenant_is_refused(string table, string insert)
    {
        var (owner, persona) = await SeedTenantAsync();
        var stranger = await db.NewUserAsync();
        await using var connection = await db.OpenOwnerConnectionAsync();

        // As the stranger, aim a row at the owner's tenant.
        await using (var tx = await RawSql.BeginAsAppAsync(connection, stranger.TenantId, stranger.UserId))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() =>
                RawSql.ExecuteAsync(connection, tx, insert, ("tenant", owner.TenantId), ("user", owner.UserId), ("persona", persona.Id)));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }

        // With no tenant at all, nothing can be written either.
        await using (var tx = await RawSql.BeginAsAppAsync(connection, null, null))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() =>
                RawSql.ExecuteAsync(connection, tx, insert, ("tenant", owner.TenantId), ("user", owner.UserId), ("persona", persona.Id)));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }

        _ = table;
    }

    [Fact]
    public async Task A_colleague_can_count_a_use_of_a_public_persona_but_not_change_it()
    {
        var (owner, persona) = await SeedTenantAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);
        await using var connection = await db.OpenOwnerConnectionAsync();

        await using (var tx = await RawSql.BeginAsAppAsync(connection, colleague.TenantId, colleague.UserId))
        {
            Assert.Equal(1, await RawSql.ExecuteAsync(connection, tx, $"UPDATE radiant.user_personas SET usage_count = usage_count + 1 WHERE id = '{persona.Id}'"));
            var error = await Assert.ThrowsAsync<PostgresException>(() =>
                RawSql.ExecuteAsync(connection, tx, $"UPDATE radiant.user_personas SET persona_name = 'hijacked' WHERE id = '{persona.Id}'"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }

        await using (var tx = await RawSql.BeginAsAppAsync(connection, colleague.TenantId, colleague.UserId))
        {
            Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"DELETE FROM radiant.user_personas WHERE id = '{persona.Id}'"));
        }
    }

    [Fact]
    public async Task A_colleague_can_neither_see_nor_write_another_users_model_preferences()
    {
        var (owner, _) = await SeedTenantAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);
        await using var connection = await db.OpenOwnerConnectionAsync();

        await using (var tx = await RawSql.BeginAsAppAsync(connection, colleague.TenantId, colleague.UserId))
        {
            Assert.Equal(0, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.model_preferences WHERE user_id = '{owner.UserId}'"));
            Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"UPDATE radiant.model_preferences SET favorite_models = '{{}}' WHERE user_id = '{owner.UserId}'"));
            Assert.Equal(0, await RawSql.ExecuteAsync(connection, tx, $"DELETE FROM radiant.model_preferences WHERE user_id = '{owner.UserId}'"));
            var error = await Assert.ThrowsAsync<PostgresException>(() => RawSql.ExecuteAsync(
                connection, tx, "INSERT INTO radiant.model_preferences (tenant_id, user_id) VALUES (@tenant, @user)", ("tenant", owner.TenantId), ("user", Guid.NewGuid())));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }

        await using (var tx = await RawSql.BeginAsAppAsync(connection, owner.TenantId, owner.UserId))
        {
            Assert.Equal(1, await RawSql.CountAsync(connection, tx, "SELECT count(*) FROM radiant.model_preferences WHERE 'claude-4-sonnet' = ANY (favorite_models)"));
        }
    }

    [Fact]
    public async Task The_application_role_cannot_touch_the_system_catalogue_or_migrations()
    {
        var (owner, _) = await SeedTenantAsync();
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, owner.TenantId, owner.UserId);

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            RawSql.ExecuteAsync(connection, tx, "UPDATE radiant.system_focus_modes SET display_name = 'x'"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task Thousands_of_requests_alternating_two_tenants_over_two_connections_never_cross()
    {
        var builder = new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 2 };
        await using var services = await RadiantDatabase.BuildAsync(builder.ConnectionString);
        var personas = (IPersonaService)services.GetService(typeof(IPersonaService))!;
        var (a, aPersona) = await SeedTenantAsync();
        var (b, bPersona) = await SeedTenantAsync();
        var callers = new[] { (User: a, Own: aPersona.Id, Foreign: bPersona.Id), (User: b, Own: bPersona.Id, Foreign: aPersona.Id) };
        var crossings = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, 2_000), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
        {
            var (user, own, foreign) = callers[i % 2];
            var page = await personas.ListAsync(user, new Radiant.Common.PageRequest(Limit: 10), ct);
            if (page.Items.Count != 1 || page.Items[0].Id != own || page.Items.Any(p => p.TenantId != user.TenantId))
            {
                Interlocked.Increment(ref crossings);
            }

            if (i % 10 == 0)
            {
                try
                {
                    await personas.GetAsync(user, foreign, ct);
                    Interlocked.Increment(ref crossings);
                }
                catch (Radiant.Errors.RadiantNotFoundException)
                {
                }
            }
        });

        Assert.Equal(0, crossings);
    }

    /// <summary>
    /// A new tenant with a user, a public persona with one logged use, a tenant focus mode, and a row in each pricing
    /// table: a lower gpt-4o override (pricing_config, model_pricing_overrides, price_history), a disabled model
    /// (tenant_model_settings) and a tenant base price (tenant_base_prices, written only by a sync, so inserted here as
    /// the tenant with raw SQL).
    /// </summary>
    private async Task<(RadiantCaller Owner, Persona Persona)> SeedTenantAsync()
    {
        var owner = await db.NewUserAsync();
        var persona = await db.Personas.CreateAsync(owner, new PersonaCreate("Seeded", "p", IsPublic: true), Ct);
        await db.Personas.LogUsageAsync(owner, persona.Id, new PersonaUsage(TokensUsed: 5), Ct);
        await db.FocusModes.CreateAsync(owner.AsTenantAdmin(), new Radiant.FocusModes.FocusModeCreate("seeded", "Seeded", "p"), Ct);

        // This fixture does not enable the registry feature, so the catalogue is synced here (idempotent).
        await db.Services.GetRequiredService<IModelRegistry>().SyncAsync(BuiltInCatalog.Catalog, Ct);
        await db.Services.GetRequiredService<IPricingAdminService>().SetOverrideAsync(owner.AsTenantAdmin(), "gpt-4o", new PriceOverrideInput(Markup: 0.1m), Ct);
        await db.Services.GetRequiredService<IModelRegistry>().SetEnabledAsync(Admin(owner.TenantId), "gpt-4o", false, Ct);
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, owner.TenantId, owner.UserId);
        await RawSql.ExecuteAsync(
            connection,
            tx,
            "INSERT INTO radiant.tenant_base_prices (tenant_id, model_id, effective_from, input_price, output_price) VALUES (@tenant, 'gpt-4o', '-infinity', 2.5, 10)",
            ("tenant", owner.TenantId));
        await tx.CommitAsync(Ct);

        // A team plan with a member, usage past 80 % (log, warning), a closed period (team and member history) and a reservation.
        var teams = db.Services.GetRequiredService<Radiant.Teams.ITeamService>();
        var team = await teams.CreateAsync(owner, new Radiant.Teams.TeamCreate("Seeded", Radiant.Teams.TeamPlanType.Family, 5, 100), Ct);
        await teams.RecordUsageAsync(owner, team.Id, new Radiant.Teams.TeamUsage(90), Ct);
        await teams.ResetPeriodAsync(Admin(owner.TenantId), team.Id, Ct);
        await teams.ReserveAsync(owner, team.Id, new Radiant.Teams.TeamReservationRequest(5), Ct);

        // A schedule with one recorded run.
        await using var scheduleConnection = await db.OpenOwnerConnectionAsync();
        await using var scheduleTx = await RawSql.BeginAsAppAsync(scheduleConnection, owner.TenantId, owner.UserId);
        await RawSql.ExecuteAsync(
            scheduleConnection,
            scheduleTx,
            """
            WITH s AS (
                INSERT INTO radiant.scheduled_prompts (tenant_id, id, user_id, prompt_name, prompt_text, model, schedule_type, run_at, next_run)
                VALUES (@tenant, gen_random_uuid(), @user, 'Seeded', 'Hello', 'gpt-4o', 'once', now() + interval '1 hour', now() + interval '1 hour')
                RETURNING tenant_id, id)
            INSERT INTO radiant.scheduled_prompt_runs (tenant_id, id, prompt_id, scheduled_for, run_trigger) SELECT tenant_id, gen_random_uuid(), id, now(), 'manual' FROM s;
            -- Never due, so the fixture's dispatcher leaves it in place.
            INSERT INTO radiant.outbox (tenant_id, id, topic, payload, available_at) VALUES (@tenant, gen_random_uuid(), 'price_change', '{}', 'infinity');
            """,
            ("tenant", owner.TenantId),
            ("user", owner.UserId));
        await scheduleTx.CommitAsync(Ct);

        // A changed domain mode and the owner's model preferences (a favourite).
        await db.Services.GetRequiredService<IDomainModeService>().UpdateAsync(
            Admin(owner.TenantId),
            new DomainModesUpdate(new Dictionary<DomainMode, DomainModeUpdate> { [DomainMode.Code] = new() { Temperature = 0.2m } }),
            Ct);
        await db.Services.GetRequiredService<IModelPreferenceService>().ToggleFavoriteAsync(owner, "claude-4-sonnet", Ct);

        // A usage record of the chat pipeline.
        await using var usageTx = await RawSql.BeginAsAppAsync(connection, owner.TenantId, owner.UserId);
        await RawSql.ExecuteAsync(
            connection,
            usageTx,
            (string)TenantTables.Single(row => (string)row.Data.Item1 == "usage_records").Data.Item2,
            ("tenant", owner.TenantId),
            ("user", owner.UserId));
        await RawSql.ExecuteAsync(
            connection,
            usageTx,
            (string)TenantTables.Single(row => (string)row.Data.Item1 == "usage_record_keys").Data.Item2,
            ("tenant", owner.TenantId));

        // The Think Tank users' month of usage and a status change (their totals row came with the user).
        foreach (var table in new[] { "user_usage_months", "user_status_events" })
        {
            await RawSql.ExecuteAsync(
                connection, usageTx, (string)TenantTables.Single(row => (string)row.Data.Item1 == table).Data.Item2, ("tenant", owner.TenantId), ("user", owner.UserId));
        }

        await usageTx.CommitAsync(Ct);
        return (owner, persona);
    }
}
