-- A tenant context that SQL run inside a request cannot forge.
--
-- Threat model: an attacker who can run any SQL inside one of Radiant's request transactions (an injection anywhere
-- in a request). Until this migration the tenant, the user and the cross-tenant scopes were plain settings
-- (radiant.tenant_id, radiant.scope) that such SQL could change. From here on a transaction's context is valid only
-- when it carries a MAC made with a key the attacker cannot read:
--
--   * each connection (backend) registers a key once, chosen by the host process that opened it and kept in
--     session_keys, which the application role cannot read; a second registration with another key is refused, so
--     injected SQL cannot replace the host's key with its own;
--   * enter_context(claim, signature) checks the host's HMAC of the claim (tenant | user | scope) with that key and
--     stores the claim with a second MAC bound to this backend and this transaction's start, so a value copied from
--     one transaction (or left on the session with set_config(..., false)) is worthless in the next;
--   * the functions the policies call (current_tenant_id(), current_user_id(), in_*_scope()) return the claim only
--     when that MAC verifies: with anything else set they return NULL / false, and no row matches.
--
-- HMAC-SHA256 is computed with the core sha256() from the key's inner and outer pads (the host sends both), so no
-- extension is needed. The policies call the functions through (SELECT ...): one evaluation per statement, not
-- per row.

CREATE TABLE {schema}.session_keys (
    pid            integer      PRIMARY KEY,
    inner_pad      bytea        NOT NULL CHECK (length(inner_pad) = 64),
    outer_pad      bytea        NOT NULL CHECK (length(outer_pad) = 64),
    registered_at  timestamptz  NOT NULL DEFAULT now()
);
REVOKE ALL ON {schema}.session_keys FROM PUBLIC;

CREATE FUNCTION {schema}.context_mac(p_inner bytea, p_outer bytea, p_message text) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT pg_catalog.sha256(p_outer || pg_catalog.sha256(p_inner || pg_catalog.convert_to(p_message, 'UTF8'))) $$;
REVOKE ALL ON FUNCTION {schema}.context_mac(bytea, bytea, text) FROM PUBLIC;

-- What the second MAC binds a claim to: this backend and this transaction (now() is the transaction's start).
CREATE FUNCTION {schema}.transaction_stamp() RETURNS text
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$ SELECT pg_catalog.pg_backend_pid() || '|' || (extract(epoch FROM pg_catalog.now()) * 1000000)::bigint $$;
REVOKE ALL ON FUNCTION {schema}.transaction_stamp() FROM PUBLIC;

-- Called by the host on a connection it has just opened, before anything else runs on it. Idempotent for the same
-- key; refused (RDN01) when this backend already has another one. Forgets the keys of backends that have gone.
CREATE FUNCTION {schema}.register_session_key(p_inner_pad bytea, p_outer_pad bytea) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    DELETE FROM {schema}.session_keys
    WHERE pid IN (SELECT k.pid FROM {schema}.session_keys k
                  WHERE NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = k.pid)
                  FOR UPDATE SKIP LOCKED);
    INSERT INTO {schema}.session_keys (pid, inner_pad, outer_pad) VALUES (pg_backend_pid(), p_inner_pad, p_outer_pad)
    ON CONFLICT (pid) DO NOTHING;
    IF NOT EXISTS (SELECT FROM {schema}.session_keys
                   WHERE pid = pg_backend_pid() AND inner_pad = p_inner_pad AND outer_pad = p_outer_pad) THEN
        RAISE EXCEPTION 'this connection already has a different session key' USING ERRCODE = 'RDN01';
    END IF;
END
$$;

-- p_claim is 'tenant|user|scope' (empty for none), signed by the host: HMAC-SHA256(key, claim). Each body is one
-- statement: the host's pool runs DISCARD ALL between transactions, so every statement here is planned again in
-- each transaction, and fewer statements cost less.
CREATE FUNCTION {schema}.enter_context(p_claim text, p_signature bytea) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM set_config('radiant.context',
        p_claim || '|' || encode({schema}.context_mac(k.inner_pad, k.outer_pad, p_claim || '|' || {schema}.transaction_stamp()), 'hex'),
        true)
    FROM {schema}.session_keys k
    WHERE k.pid = pg_backend_pid() AND {schema}.context_mac(k.inner_pad, k.outer_pad, p_claim) = p_signature;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the tenant context is not signed with this connection''s session key' USING ERRCODE = 'RDN02';
    END IF;
END
$$;

-- The claim of this transaction when its MAC verifies, else NULL.
CREATE FUNCTION {schema}.verified_claim() RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN (
        SELECT left(c.v, -65)
        FROM (SELECT current_setting('radiant.context', true) AS v) c
        JOIN {schema}.session_keys k ON k.pid = pg_backend_pid()
        WHERE length(c.v) >= 66
          AND right(c.v, 64) = encode({schema}.context_mac(k.inner_pad, k.outer_pad, left(c.v, -65) || '|' || {schema}.transaction_stamp()), 'hex'));
END
$$;

CREATE OR REPLACE FUNCTION {schema}.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$ SELECT NULLIF(split_part({schema}.verified_claim(), '|', 1), '')::uuid $$;

CREATE OR REPLACE FUNCTION {schema}.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$ SELECT NULLIF(split_part({schema}.verified_claim(), '|', 2), '')::uuid $$;

CREATE OR REPLACE FUNCTION {schema}.in_system_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$ SELECT coalesce(split_part({schema}.verified_claim(), '|', 3) = 'system', false) $$;

CREATE OR REPLACE FUNCTION {schema}.in_scheduler_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$ SELECT coalesce(split_part({schema}.verified_claim(), '|', 3) = 'scheduler', false) $$;

CREATE OR REPLACE FUNCTION {schema}.in_outbox_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$ SELECT coalesce(split_part({schema}.verified_claim(), '|', 3) = 'outbox', false) $$;

-- Every policy again, each function call wrapped in (SELECT ...) so that it is evaluated once per statement. The
-- tenant_isolation and system_read policies are alike on every table that has them.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenants', 'users', 'focus_modes', 'tenant_model_settings', 'pricing_config',
                             'model_pricing_overrides', 'tenant_base_prices', 'price_history', 'team_plans',
                             'team_members', 'team_usage_log', 'team_periods', 'team_member_periods',
                             'team_usage_warnings', 'scheduled_prompts', 'scheduled_prompt_runs', 'outbox'] LOOP
        EXECUTE format('ALTER POLICY tenant_isolation ON {schema}.%I USING (tenant_id = (SELECT {schema}.current_tenant_id())) '
                       'WITH CHECK (tenant_id = (SELECT {schema}.current_tenant_id()))', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['pricing_config', 'model_pricing_overrides', 'tenant_base_prices', 'team_plans'] LOOP
        EXECUTE format('ALTER POLICY system_read ON {schema}.%I USING ((SELECT {schema}.in_system_scope()))', t);
    END LOOP;
END
$$;
ALTER POLICY tenant_enumeration ON {schema}.tenants USING ((SELECT {schema}.in_system_scope()));

ALTER POLICY persona_read ON {schema}.user_personas
    USING (tenant_id = (SELECT {schema}.current_tenant_id()) AND (user_id = (SELECT {schema}.current_user_id()) OR is_public));
ALTER POLICY persona_insert ON {schema}.user_personas
    WITH CHECK (tenant_id = (SELECT {schema}.current_tenant_id()) AND user_id = (SELECT {schema}.current_user_id()));
ALTER POLICY persona_update ON {schema}.user_personas
    USING (tenant_id = (SELECT {schema}.current_tenant_id()) AND (user_id = (SELECT {schema}.current_user_id()) OR is_public))
    WITH CHECK (tenant_id = (SELECT {schema}.current_tenant_id()) AND (user_id = (SELECT {schema}.current_user_id()) OR is_public));
ALTER POLICY persona_delete ON {schema}.user_personas
    USING (tenant_id = (SELECT {schema}.current_tenant_id()) AND user_id = (SELECT {schema}.current_user_id()));
ALTER POLICY tenant_isolation ON {schema}.persona_usage_log
    USING (tenant_id = (SELECT {schema}.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT {schema}.current_tenant_id()) AND user_id = (SELECT {schema}.current_user_id()));

ALTER POLICY scheduler_read ON {schema}.scheduled_prompts USING ((SELECT {schema}.in_scheduler_scope()));
ALTER POLICY scheduler_advance ON {schema}.scheduled_prompts
    USING ((SELECT {schema}.in_scheduler_scope())) WITH CHECK ((SELECT {schema}.in_scheduler_scope()));
ALTER POLICY scheduler_read ON {schema}.scheduled_prompt_runs USING ((SELECT {schema}.in_scheduler_scope()));
ALTER POLICY scheduler_insert ON {schema}.scheduled_prompt_runs WITH CHECK ((SELECT {schema}.in_scheduler_scope()));
ALTER POLICY scheduler_lease ON {schema}.scheduled_prompt_runs
    USING ((SELECT {schema}.in_scheduler_scope())) WITH CHECK ((SELECT {schema}.in_scheduler_scope()));

ALTER POLICY outbox_claim ON {schema}.outbox USING ((SELECT {schema}.in_outbox_scope()));
ALTER POLICY outbox_settle ON {schema}.outbox
    USING ((SELECT {schema}.in_outbox_scope())) WITH CHECK ((SELECT {schema}.in_outbox_scope()));
ALTER POLICY outbox_done ON {schema}.outbox USING ((SELECT {schema}.in_outbox_scope()));

-- Tables of later migrations get the same policy from isolate_by_tenant.
CREATE OR REPLACE FUNCTION {schema}.isolate_by_tenant(p_table regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = (SELECT {schema}.current_tenant_id())) '
                   'WITH CHECK (tenant_id = (SELECT {schema}.current_tenant_id()))', p_table);
END
$$;

-- The database's effective prices read the tenant once (the function is otherwise unchanged).
CREATE OR REPLACE FUNCTION {schema}.effective_model_prices(p_model_id text, p_at timestamptz)
RETURNS TABLE (
    model_id text, display_name text, provider_id text, is_novel boolean, category text,
    base_input_price numeric, base_output_price numeric, effective_markup numeric,
    user_input_price numeric, user_output_price numeric, minimum_charge numeric,
    has_override boolean, override_effective_from timestamptz, override_effective_to timestamptz)
LANGUAGE sql STABLE
AS $$
    WITH t AS MATERIALIZED (SELECT {schema}.current_tenant_id() AS id)
    SELECT m.id, m.display_name, m.provider_id, m.is_novel, m.category,
           p.base_input, p.base_output, p.markup,
           round(p.base_input * (1 + p.markup), 6), round(p.base_output * (1 + p.markup), 6),
           coalesce(c.minimum_charge_per_request, 0.001),
           o.id IS NOT NULL, o.effective_from, o.effective_to
    FROM t CROSS JOIN {schema}.models m
    LEFT JOIN {schema}.pricing_config c ON c.tenant_id = t.id
    LEFT JOIN LATERAL (
        SELECT b.input_price, b.output_price FROM {schema}.tenant_base_prices b
        WHERE b.tenant_id = t.id AND b.model_id = m.id AND b.effective_from <= p_at
        ORDER BY b.effective_from DESC LIMIT 1) b ON true
    LEFT JOIN LATERAL (
        SELECT o.id, o.markup, o.input_price, o.output_price, o.effective_from, o.effective_to FROM {schema}.model_pricing_overrides o
        WHERE o.tenant_id = t.id AND o.model_id = m.id
          AND o.effective_from <= p_at AND (o.effective_to IS NULL OR o.effective_to > p_at)
        ORDER BY o.effective_from DESC LIMIT 1) o ON true
    CROSS JOIN LATERAL (SELECT
        coalesce(o.input_price, b.input_price, m.input_price) AS base_input,
        coalesce(o.output_price, b.output_price, m.output_price) AS base_output,
        coalesce(o.markup, CASE WHEN m.provider_id = 'self_hosted'
                                THEN coalesce(c.self_hosted_default_markup, 0.75)
                                ELSE coalesce(c.external_default_markup, 0.40) END) AS markup) p
    WHERE t.id IS NOT NULL AND (p_model_id IS NULL OR m.id = p_model_id)
$$;

-- The global catalogue is written only by the schema owner (migrations and the catalogue sync), never by the
-- services' role: one statement there would change list prices for every tenant.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.providers, {schema}.models FROM {app_role};
