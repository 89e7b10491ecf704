using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Postgres.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Tenancy;

/// <summary>
/// The README's threat model, run as SQL: an attacker whose SQL runs inside one of Radiant's own request transactions
/// (tenant B's, through the data kernel, on the production service login) tries every door to tenant A, to a
/// cross-tenant scope, to the global catalogue and out of the application role. Each door stays closed, and A's rows
/// are exactly as they were.
/// </summary>
public sealed class InjectedSqlTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RadiantDb Kernel => db.Services.GetRequiredService<RadiantDb>();

    /// <summary>Counts of tenant A's rows in the tables the attacks aim at; A has at least one row in each.</summary>
    private static readonly string[] VictimTables =
        ["users", "user_personas", "team_plans", "pricing_config", "scheduled_prompts", "scheduled_prompt_runs", "tenants"];

    [Theory]
    [InlineData("SELECT set_config('radiant.scope', 'scheduler', false)")]
    [InlineData("SELECT set_config('radiant.scope', 'system', true)")]
    [InlineData("SELECT set_config('radiant.scope', 'outbox', true)")]
    [InlineData("SELECT set_config('radiant.tenant_id', '{victim}', true), set_config('radiant.user_id', '{victimUser}', true)")]
    [InlineData("SELECT set_config('radiant.context', '{victim}|{victimUser}|scheduler|' || repeat('0', 64), true)")]
    [InlineData("SELECT set_config('radiant.context', '{victim}||system|' || encode(sha256('guess'), 'hex'), false)")]
    public async Task Whatever_the_attacker_sets_no_row_of_another_tenant_is_visible_or_writable(string setting)
    {
        var (victim, victimUser) = await SeedVictimAsync();
        var attacker = await db.NewUserAsync();
        var before = await VictimRowsAsync(victim);
        var sql = setting.Replace("{victim}", victim.ToString(), StringComparison.Ordinal).Replace("{victimUser}", victimUser.ToString(), StringComparison.Ordinal);

        var seen = await Kernel.InTenantAsync(attacker, async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, sql);
            var visible = 0L;
            foreach (var table in VictimTables)
            {
                visible += await ScalarAsync<long>(connection, transaction, $"SELECT count(*) FROM radiant.{table} WHERE tenant_id = '{victim}'");
                visible += await ScalarAsync<long>(connection, transaction, $"WITH u AS (UPDATE radiant.{table} SET tenant_id = tenant_id WHERE tenant_id = '{victim}' RETURNING 1) SELECT count(*) FROM u");
                visible += await ScalarAsync<long>(connection, transaction, $"WITH d AS (DELETE FROM radiant.{table} WHERE tenant_id = '{victim}' RETURNING 1) SELECT count(*) FROM d");
            }

            return visible;
        }, Ct);

        Assert.Equal(0, seen);
        Assert.Equal(before, await VictimRowsAsync(victim));
    }

    [Fact]
    public async Task A_forged_context_is_refused_and_a_second_session_key_cannot_be_registered()
    {
        var (victim, _) = await SeedVictimAsync();
        var attacker = await db.NewUserAsync();

        var forged = await RefusalAsync(attacker, $"SELECT radiant.enter_context('{victim}||scheduler', sha256('{victim}||scheduler'))");
        var newKey = await RefusalAsync(attacker, "SELECT radiant.register_session_key(sha256('a') || sha256('b'), sha256('c') || sha256('d'))");
        var readKeys = await RefusalAsync(attacker, "SELECT inner_pad FROM radiant.session_keys");
        var readMac = await RefusalAsync(attacker, "SELECT radiant.context_mac('\\x00', '\\x00', 'x')");

        Assert.Equal(SessionKeys.BadSignature, forged.SqlState);
        Assert.Equal(SessionKeys.KeyConflict, newKey.SqlState);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, readKeys.SqlState);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, readMac.SqlState);
    }

    [Fact]
    public async Task A_fake_key_table_on_the_search_path_does_not_fool_the_context_functions()
    {
        var (victim, _) = await SeedVictimAsync();
        var attacker = await db.NewUserAsync();
        var claim = $"{victim}||scheduler";
        var key = new byte[64];

        var error = await RefusalAsync(
            attacker,
            $"""
            CREATE TEMP TABLE session_keys (pid integer, inner_pad bytea, outer_pad bytea, registered_at timestamptz);
            INSERT INTO pg_temp.session_keys VALUES (pg_backend_pid(), '\x{Convert.ToHexString(Pad(key, 0x36))}', '\x{Convert.ToHexString(Pad(key, 0x5c))}', now());
            SET LOCAL search_path = pg_temp, radiant, public;
            SELECT radiant.enter_context('{claim}', '\x{Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(new byte[32], System.Text.Encoding.UTF8.GetBytes(claim)))}');
            """);

        Assert.Equal(SessionKeys.BadSignature, error.SqlState);
    }

    [Fact]
    public async Task A_context_copied_from_an_earlier_transaction_is_worthless()
    {
        var me = await db.NewUserAsync();
        await db.Personas.CreateAsync(me, new Radiant.Personas.PersonaCreate("Mine", "p"), Ct);
        var copied = await Kernel.InTenantAsync(me, (connection, transaction) => ScalarAsync<string>(connection, transaction, "SELECT current_setting('radiant.context')"), Ct);

        // Replayed in a later transaction (as a session-level leftover would be), it verifies no more: even the
        // attacker's own rows disappear.
        var visible = await Kernel.WithoutTenantAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, $"SELECT set_config('radiant.context', '{copied}', true)");
            return await ScalarAsync<long>(connection, transaction, $"SELECT count(*) FROM radiant.user_personas WHERE tenant_id = '{me.TenantId}'");
        }, Ct);
        var own = await Kernel.InTenantAsync(me, (connection, transaction) => ScalarAsync<long>(connection, transaction, "SELECT count(*) FROM radiant.user_personas"), Ct);

        Assert.Equal(0, visible);
        Assert.Equal(1, own);
    }

    [Theory]
    [InlineData("UPDATE radiant.models SET input_price = 0")]
    [InlineData("UPDATE radiant.providers SET api_base = 'https://attacker.example'")]
    [InlineData("INSERT INTO radiant.providers (id, display_name, api_base, auth_type) VALUES ('evil', 'Evil', 'https://attacker.example', 'api_key')")]
    [InlineData("DELETE FROM radiant.models")]
    [InlineData("UPDATE radiant.system_focus_modes SET system_prompt = 'x'")]
    [InlineData("ALTER TABLE radiant.scheduled_prompts DISABLE ROW LEVEL SECURITY")]
    [InlineData("DROP POLICY tenant_isolation ON radiant.users")]
    [InlineData("CREATE OR REPLACE FUNCTION radiant.current_tenant_id() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$")]
    [InlineData("TRUNCATE radiant.session_keys")]
    public async Task The_global_catalogue_and_the_schema_cannot_be_changed(string sql)
    {
        var attacker = await db.NewUserAsync();
        var prices = await CataloguePricesAsync();

        var error = await RefusalAsync(attacker, sql);

        Assert.True(error.SqlState is PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {error.SqlState} {error.MessageText}");
        Assert.Equal(prices, await CataloguePricesAsync());
    }

    [Theory]
    [InlineData("RESET ROLE")]
    [InlineData("SET ROLE NONE")]
    [InlineData("SELECT set_config('role', 'none', true)")]
    public async Task Leaving_the_application_role_leads_to_the_login_which_row_level_security_still_binds(string escape)
    {
        var (victim, _) = await SeedVictimAsync();
        var attacker = await db.NewUserAsync();

        var (login, superuser, visible) = await Kernel.InTenantAsync(attacker, async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, escape);
            await ExecuteAsync(connection, transaction, "SELECT set_config('radiant.scope', 'scheduler', true)");
            var login = await ScalarAsync<string>(connection, transaction, "SELECT current_user::text");
            var superuser = await ScalarAsync<bool>(connection, transaction, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user");
            var visible = await ScalarAsync<long>(connection, transaction, $"SELECT count(*) FROM radiant.scheduled_prompts WHERE tenant_id = '{victim}'");
            return (login, superuser, visible);
        }, Ct);

        Assert.Equal(TestLogins.Service, login);
        Assert.False(superuser);
        Assert.Equal(0, visible);
    }

    [Theory]
    [InlineData("SET ROLE radiant_test_owner")]
    [InlineData("SET ROLE postgres")]
    [InlineData("SELECT set_config('role', 'radiant_test_owner', true)")]
    [InlineData("SET SESSION AUTHORIZATION postgres")]
    public async Task No_more_powerful_role_can_be_taken(string escape)
    {
        var attacker = await db.NewUserAsync();

        var error = await RefusalAsync(attacker, escape);

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task A_schedule_cannot_be_moved_into_another_tenant_and_no_run_can_be_forged_there()
    {
        var (victim, victimUser) = await SeedVictimAsync();
        var attacker = await db.NewUserAsync();
        var before = await VictimRowsAsync(victim);
        await ExecuteAsAdminAsync(
            $"""
            INSERT INTO radiant.scheduled_prompts (tenant_id, id, user_id, prompt_name, prompt_text, model, schedule_type, run_at, next_run)
            VALUES ('{attacker.TenantId}', gen_random_uuid(), '{attacker.UserId}', 'Mine', 'p', 'gpt-4o', 'once', now() + interval '1 day', now() + interval '1 day')
            """);

        var move = await RefusalAsync(attacker, $"UPDATE radiant.scheduled_prompts SET tenant_id = '{victim}', user_id = '{victimUser}'");
        var forge = await RefusalAsync(
            attacker,
            $"""
            SELECT set_config('radiant.scope', 'scheduler', true);
            INSERT INTO radiant.scheduled_prompt_runs (tenant_id, id, prompt_id, scheduled_for, run_trigger)
            VALUES ('{victim}', gen_random_uuid(), gen_random_uuid(), now(), 'manual');
            """);

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, move.SqlState);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, forge.SqlState);
        Assert.Equal(before, await VictimRowsAsync(victim));
    }

    /// <summary>Tenant A, written as the admin: a user, a private persona, a team plan, pricing, a schedule with a run.</summary>
    private async Task<(Guid Tenant, Guid User)> SeedVictimAsync()
    {
        var victim = await db.NewUserAsync();
        await ExecuteAsAdminAsync(
            $"""
            INSERT INTO radiant.user_personas (tenant_id, id, user_id, persona_name, system_prompt) VALUES ('{victim.TenantId}', gen_random_uuid(), '{victim.UserId}', 'Secret', 'p');
            INSERT INTO radiant.team_plans (tenant_id, id, plan_name, plan_type, owner_id, max_members, total_tokens_monthly, period_anchor, current_period_start, current_period_end)
            VALUES ('{victim.TenantId}', gen_random_uuid(), 'Plan', 'team', '{victim.UserId}', 5, 1000, now(), now(), now() + interval '1 month');
            INSERT INTO radiant.pricing_config (tenant_id) VALUES ('{victim.TenantId}');
            WITH s AS (
                INSERT INTO radiant.scheduled_prompts (tenant_id, id, user_id, prompt_name, prompt_text, model, schedule_type, run_at, next_run, webhook_url, webhook_secret)
                VALUES ('{victim.TenantId}', gen_random_uuid(), '{victim.UserId}', 'Secret', 'p', 'gpt-4o', 'once', now() + interval '1 day', now() + interval '1 day', 'https://victim.example/hook', 'whsec_victim')
                RETURNING tenant_id, id)
            INSERT INTO radiant.scheduled_prompt_runs (tenant_id, id, prompt_id, scheduled_for, run_trigger, status, output, completed_at)
            SELECT tenant_id, gen_random_uuid(), id, now(), 'manual', 'completed', 'secret output', now() FROM s;
            """);
        return (victim.TenantId, victim.UserId);
    }

    private async Task<string> VictimRowsAsync(Guid victim)
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        var counts = new List<string>();
        foreach (var table in VictimTables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM radiant.{table} t WHERE tenant_id = '{victim}'", connection);
            counts.Add($"{table}={await command.ExecuteScalarAsync(Ct)}");
        }

        return string.Join(" ", counts);
    }

    private async Task<string> CataloguePricesAsync()
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT md5(string_agg(m::text, ',' ORDER BY m.id)) || md5((SELECT string_agg(p::text, ',' ORDER BY p.id) FROM radiant.providers p)) FROM radiant.models m", connection);
        return (string)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>Runs <paramref name="sql"/> inside a request transaction of <paramref name="caller"/> and returns how the database refused it.</summary>
    private async Task<PostgresException> RefusalAsync(RadiantCaller caller, string sql) =>
        await Assert.ThrowsAsync<PostgresException>(() => Kernel.InTenantAsync(caller, async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, sql);
            return 0;
        }, Ct));

    private async Task ExecuteAsAdminAsync(string sql)
    {
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static byte[] Pad(byte[] key, byte pad) => key.Select(b => (byte)(b ^ pad)).ToArray();
}
