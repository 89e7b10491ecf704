-- Carrying catalogue list-price changes to a tenant in one statement (issue 15).
--
-- The catalogue sync used to carry each changed list price to each tenant with five to seven statements per tenant and
-- model, so a sync at 10,000 tenants took minutes of round trips. carry_list_prices does one tenant's whole share of
-- a sync, set-based over every changed model, in the tenant context the caller entered (SECURITY INVOKER: the ordinary
-- tenant policies apply, and a caller without a verified tenant context is refused). The sync sends many tenants'
-- calls in one batch. The rules are the ones the sync had:
-- * the tenant's pricing lock is taken (its config row, created with defaults when missing), and "now" is read once
--   the lock is granted, so the carry never interleaves with an admin pricing change of the tenant;
-- * a tenant that auto-updates drops a rise still waiting for its grace period (the newer list price supersedes it);
-- * a tenant that followed the catalogue row is pinned to the old list price at '-infinity' (it would move otherwise);
-- * a tenant that auto-updates gets the new price where its current one differs: effective now for a drop, after its
--   grace period for a rise; an auto_sync history row each (ids from the caller, one per model, in model order); and
--   the base-price rows superseded before now are pruned for those models.
-- It returns one row per price it moved, with the tenant's notification settings, for the caller's outbox.
CREATE FUNCTION {schema}.carry_list_prices(
    p_models text[], p_old_inputs numeric[], p_old_outputs numeric[], p_new_inputs numeric[], p_new_outputs numeric[],
    p_history_ids uuid[])
RETURNS TABLE (model_id text, previous_input numeric, previous_output numeric, new_input numeric, new_output numeric,
               effective_from timestamptz, notify_on_price_change boolean, notify_threshold_percent numeric)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := {schema}.current_tenant_id();
    v_config {schema}.pricing_config;
    v_now timestamptz;
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'carry_list_prices needs a tenant context' USING ERRCODE = 'insufficient_privilege';
    END IF;

    INSERT INTO {schema}.pricing_config (tenant_id) VALUES (v_tenant) ON CONFLICT (tenant_id) DO NOTHING;
    SELECT * INTO STRICT v_config FROM {schema}.pricing_config c WHERE c.tenant_id = v_tenant FOR UPDATE;
    v_now := clock_timestamp();

    IF v_config.auto_update_from_providers THEN
        DELETE FROM {schema}.tenant_base_prices b USING unnest(p_models) AS x (id)
        WHERE b.tenant_id = v_tenant AND b.model_id = x.id AND b.effective_from > v_now;
    END IF;

    INSERT INTO {schema}.tenant_base_prices (tenant_id, model_id, effective_from, input_price, output_price)
    SELECT v_tenant, x.id, '-infinity', x.old_in, x.old_out
    FROM unnest(p_models, p_old_inputs, p_old_outputs) AS x (id, old_in, old_out)
    WHERE NOT EXISTS (SELECT FROM {schema}.tenant_base_prices b WHERE b.tenant_id = v_tenant AND b.model_id = x.id);

    IF NOT v_config.auto_update_from_providers THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH x AS (
        SELECT * FROM unnest(p_models, p_old_inputs, p_old_outputs, p_new_inputs, p_new_outputs, p_history_ids)
            AS x (id, old_in, old_out, new_in, new_out, history_id)
    ), moved AS MATERIALIZED (
        SELECT x.id, x.history_id, x.new_in, x.new_out, cur.cur_in, cur.cur_out,
               CASE WHEN x.new_in > cur.cur_in OR x.new_out > cur.cur_out
                    THEN v_now + make_interval(hours => v_config.price_increase_grace_period_hours)
                    ELSE v_now END AS effective
        FROM x
        LEFT JOIN LATERAL (
            SELECT b.input_price, b.output_price FROM {schema}.tenant_base_prices b
            WHERE b.tenant_id = v_tenant AND b.model_id = x.id AND b.effective_from <= v_now
            ORDER BY b.effective_from DESC LIMIT 1) b ON true
        CROSS JOIN LATERAL (SELECT coalesce(b.input_price, x.old_in) AS cur_in, coalesce(b.output_price, x.old_out) AS cur_out) cur
        WHERE (cur.cur_in, cur.cur_out) IS DISTINCT FROM (x.new_in, x.new_out)
    ), priced AS (
        INSERT INTO {schema}.tenant_base_prices (tenant_id, model_id, effective_from, input_price, output_price)
        SELECT v_tenant, m.id, m.effective, m.new_in, m.new_out FROM moved m
        ON CONFLICT (tenant_id, model_id, effective_from)
            DO UPDATE SET input_price = EXCLUDED.input_price, output_price = EXCLUDED.output_price
    ), recorded AS (
        INSERT INTO {schema}.price_history (tenant_id, id, model_id, previous_input_price, previous_output_price, previous_markup,
            new_input_price, new_output_price, new_markup, change_source, effective_from)
        SELECT v_tenant, m.history_id, m.id, m.cur_in, m.cur_out, e.effective_markup, m.new_in, m.new_out, e.effective_markup,
               'auto_sync', m.effective
        FROM moved m CROSS JOIN LATERAL {schema}.effective_model_prices(m.id, v_now) e
        ORDER BY m.history_id
    )
    SELECT m.id::text, m.cur_in, m.cur_out, m.new_in, m.new_out, m.effective,
           v_config.notify_on_price_change, v_config.notify_threshold_percent
    FROM moved m ORDER BY m.history_id;

    -- Rows superseded before now no longer matter to any quote from now on (only for the prices moved above: their
    -- history rows carry the caller's ids).
    DELETE FROM {schema}.tenant_base_prices b
    USING {schema}.price_history h
    WHERE h.tenant_id = v_tenant AND h.id = ANY (p_history_ids)
      AND b.tenant_id = v_tenant AND b.model_id = h.model_id
      AND b.effective_from < (SELECT max(l.effective_from) FROM {schema}.tenant_base_prices l
                              WHERE l.tenant_id = v_tenant AND l.model_id = h.model_id AND l.effective_from <= v_now);
END
$$;

-- The sync runs as the schema owner; the services' role has no use for it.
REVOKE EXECUTE ON FUNCTION {schema}.carry_list_prices(text[], numeric[], numeric[], numeric[], numeric[], uuid[]) FROM PUBLIC;
