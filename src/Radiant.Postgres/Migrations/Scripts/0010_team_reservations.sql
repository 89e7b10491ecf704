-- Team budget reservations, and team metering in one call (issue 12).
--
-- A reservation holds tokens of the team pool (and, on plans with allocations, of the member's allocation) before a
-- model call, so that concurrent calls cannot together spend more than remains: what is available is the pool minus
-- what was used minus what is held by unexpired reservations. A reservation is settled to the real usage, released on
-- failure, or expires (expires_at): an expired hold stops counting at once, whether or not anything marked it, so a
-- host that crashed between the reservation and the settlement holds no budget past the expiry.
--
-- meter_team() applies a list of metering operations (record, reserve, settle, release) to one team in order, in one
-- call, under the plan row lock: what the host sends as one round trip, for one request or for every request on the
-- same team that arrived while the previous call was in flight. Each operation gets its own row back, with its own
-- refusal; nothing is ever charged beyond what is available.

CREATE TABLE {schema}.team_reservations (
    tenant_id            uuid          NOT NULL,
    id                   uuid          NOT NULL,
    team_id              uuid          NOT NULL,
    user_id              uuid          NOT NULL,
    tokens_requested     bigint        NOT NULL CHECK (tokens_requested > 0),
    tokens_held          bigint        NOT NULL CHECK (tokens_held > 0 AND tokens_held <= tokens_requested),
    model                varchar(100),
    state                varchar(20)   NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'settled', 'released', 'expired')),
    expires_at           timestamptz   NOT NULL,
    created_at           timestamptz   NOT NULL DEFAULT now(),
    closed_at            timestamptz,
    -- The settlement, returned again to a second settle of the same reservation.
    tokens_charged       bigint,
    tokens_not_charged   bigint,
    team_used            bigint,
    team_remaining       bigint,
    member_used          bigint,
    member_remaining     bigint,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id, user_id) REFERENCES {schema}.team_members (tenant_id, team_id, user_id) ON DELETE CASCADE
);

-- What the guard sums: the holds of a team (and of one member), unexpired ones only.
CREATE INDEX team_reservations_held_idx ON {schema}.team_reservations (tenant_id, team_id, user_id, expires_at)
    INCLUDE (tokens_held) WHERE state = 'held';

SELECT {schema}.isolate_by_tenant('{schema}.team_reservations');
-- The worker finds teams with expired holds across tenants (read only), then marks them with each tenant set.
CREATE POLICY system_read ON {schema}.team_reservations FOR SELECT USING ((SELECT {schema}.in_system_scope()));
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.team_reservations TO {app_role};

-- The operations, aligned by position: p_kind[i] is 'record', 'reserve', 'settle' or 'release'; p_user[i] the member;
-- p_target[i] the reservation settled or released; p_new_id[i] the id of the log row (record, settle) or of the new
-- reservation (reserve); p_tokens[i] the tokens used (record, settle) or the most to hold (reserve); p_min[i] the
-- fewest a reservation accepts; p_expiry_ms[i] how long it holds; p_model[i], p_usage_type[i] describe the usage.
--
-- Outcomes: 'recorded', 'reserved', 'settled', 'released'; 'settled_before' / 'closed_before' (a repeated settle or
-- release: nothing changes, the first settlement is returned); 'team_pool' / 'member_allocation' (refused: remaining
-- says what is available); 'not_found' (no such plan, member or reservation for this caller), 'pending' (the member
-- has not accepted the invitation), 'inactive' (the plan is), 'released_before' (settling a released reservation),
-- 'period_over' (the period ended: the caller rolls it over and calls again).
--
-- Warnings at 80 % and 100 % of the pool and of allocations are raised here, once per threshold per period, and
-- queued in the outbox with a payload in the host's JSON form of TeamUsageWarning (web names, see Outbox.cs).
-- SECURITY INVOKER: every statement runs under the caller's row-level security.
CREATE FUNCTION {schema}.meter_team(
    p_team uuid, p_kind text[], p_user uuid[], p_target uuid[], p_new_id uuid[], p_tokens bigint[], p_min bigint[],
    p_expiry_ms bigint[], p_model text[], p_usage_type text[], p_channel text)
RETURNS TABLE (
    ord integer, outcome text, tokens bigint, tokens_not_charged bigint, remaining bigint,
    team_used bigint, team_total bigint, team_remaining bigint,
    member_used bigint, member_allocation bigint, member_remaining bigint,
    reservation_id uuid, expires_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant    uuid := (SELECT {schema}.current_tenant_id());
    v_now       timestamptz;
    v_plan      record;
    v_has_plan  boolean;
    v_has_m     boolean;
    v_has_r     boolean;
    v_used      bigint;
    v_start     bigint;
    v_held      bigint;          -- the team's unexpired holds
    v_m         record;
    v_m_held    bigint;
    v_r         record;
    v_hold      bigint;
    v_charge    bigint;
    v_pool_av   bigint;
    v_mem_av    bigint;
    v_limited   text;
    v_th        integer;
    i           integer;
BEGIN
    SELECT p.is_active, p.shared_pool, p.total_tokens_monthly, p.tokens_used_this_period, p.current_period_start,
           p.current_period_end
    INTO v_plan
    FROM {schema}.team_plans p WHERE p.tenant_id = v_tenant AND p.id = p_team
    FOR UPDATE;
    v_has_plan := FOUND;
    v_now := clock_timestamp();

    FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
        ord := i; tokens := NULL; tokens_not_charged := NULL; remaining := NULL; team_used := NULL; team_total := NULL;
        team_remaining := NULL; member_used := NULL; member_allocation := NULL; member_remaining := NULL;
        reservation_id := NULL; expires_at := NULL;

        IF NOT v_has_plan THEN
            outcome := 'not_found'; RETURN NEXT; CONTINUE;
        END IF;

        IF v_used IS NULL THEN
            -- First use of the plan in this call: expired holds stop counting (marked here, and by the worker for idle
            -- teams), and the unexpired ones are summed once; each operation below keeps the sum current.
            UPDATE {schema}.team_reservations r SET state = 'expired', closed_at = v_now
            WHERE r.tenant_id = v_tenant AND r.team_id = p_team AND r.state = 'held' AND r.expires_at <= v_now;
            SELECT coalesce(sum(r.tokens_held), 0) INTO v_held FROM {schema}.team_reservations r
            WHERE r.tenant_id = v_tenant AND r.team_id = p_team AND r.state = 'held' AND r.expires_at > v_now;
            v_used := v_plan.tokens_used_this_period;
            v_start := v_used;
        END IF;

        SELECT m.status, m.token_allocation, m.tokens_used_this_period AS used INTO v_m
        FROM {schema}.team_members m WHERE m.tenant_id = v_tenant AND m.team_id = p_team AND m.user_id = p_user[i]
        FOR UPDATE;
        v_has_m := FOUND;

        IF p_kind[i] IN ('settle', 'release') THEN
            SELECT r.* INTO v_r FROM {schema}.team_reservations r
            WHERE r.tenant_id = v_tenant AND r.id = p_target[i] AND r.team_id = p_team AND r.user_id = p_user[i]
            FOR UPDATE;
            v_has_r := FOUND;
            IF NOT v_has_r OR NOT v_has_m THEN
                outcome := 'not_found'; RETURN NEXT; CONTINUE;
            END IF;
            reservation_id := v_r.id;
            IF v_r.state = 'settled' THEN
                outcome := CASE p_kind[i] WHEN 'settle' THEN 'settled_before' ELSE 'closed_before' END;
                tokens := v_r.tokens_charged; tokens_not_charged := v_r.tokens_not_charged;
                team_used := v_r.team_used; team_remaining := v_r.team_remaining;
                member_used := v_r.member_used; member_remaining := v_r.member_remaining;
                RETURN NEXT; CONTINUE;
            END IF;
            -- A hold that expired is no hold: released, it frees nothing more; settled, it charges only what fits.
            v_hold := CASE WHEN v_r.state = 'held' AND v_r.expires_at > v_now THEN v_r.tokens_held ELSE 0 END;
            IF p_kind[i] = 'release' THEN
                IF v_r.state = 'held' THEN
                    UPDATE {schema}.team_reservations r SET state = 'released', closed_at = v_now
                    WHERE r.tenant_id = v_tenant AND r.id = v_r.id;
                    v_held := v_held - v_hold;
                    outcome := 'released';
                ELSE
                    outcome := 'closed_before';
                END IF;
                RETURN NEXT; CONTINUE;
            END IF;
            IF v_r.state = 'released' THEN
                outcome := 'released_before'; RETURN NEXT; CONTINUE;
            END IF;
        ELSE
            IF NOT v_has_m OR v_m.status NOT IN ('active', 'pending') THEN
                outcome := 'not_found'; RETURN NEXT; CONTINUE;
            ELSIF v_m.status = 'pending' THEN
                outcome := 'pending'; RETURN NEXT; CONTINUE;
            ELSIF NOT v_plan.is_active THEN
                outcome := 'inactive'; RETURN NEXT; CONTINUE;
            END IF;
            v_hold := 0;
        END IF;

        IF v_plan.current_period_end <= v_now THEN
            outcome := 'period_over'; RETURN NEXT; CONTINUE;
        END IF;

        -- What this operation may take: the pool and, on plans with allocations, the member's allocation, each
        -- less what was used and what is held by others (a settlement's own hold is available to it).
        v_pool_av := CASE WHEN v_plan.is_active THEN greatest(0, v_plan.total_tokens_monthly - v_used - (v_held - v_hold)) ELSE 0 END;
        IF v_plan.shared_pool THEN
            v_mem_av := NULL;
        ELSE
            SELECT coalesce(sum(r.tokens_held), 0) INTO v_m_held FROM {schema}.team_reservations r
            WHERE r.tenant_id = v_tenant AND r.team_id = p_team AND r.user_id = p_user[i] AND r.state = 'held' AND r.expires_at > v_now;
            v_mem_av := CASE WHEN v_m.token_allocation IS NULL OR v_m.status <> 'active' THEN 0
                             ELSE greatest(0, v_m.token_allocation - v_m.used - (v_m_held - v_hold)) END;
        END IF;
        v_limited := CASE WHEN v_mem_av IS NOT NULL AND v_mem_av < v_pool_av THEN 'member_allocation' ELSE 'team_pool' END;

        IF p_kind[i] = 'reserve' THEN
            v_charge := least(p_tokens[i], v_pool_av, coalesce(v_mem_av, v_pool_av));
            IF v_charge < p_min[i] THEN
                outcome := v_limited;
                remaining := CASE v_limited WHEN 'team_pool' THEN v_pool_av ELSE v_mem_av END;
                team_total := v_plan.total_tokens_monthly; member_allocation := v_m.token_allocation;
                RETURN NEXT; CONTINUE;
            END IF;
            INSERT INTO {schema}.team_reservations (tenant_id, id, team_id, user_id, tokens_requested, tokens_held, model, expires_at)
            VALUES (v_tenant, p_new_id[i], p_team, p_user[i], p_tokens[i], v_charge, p_model[i], v_now + p_expiry_ms[i] * interval '1 millisecond');
            v_held := v_held + v_charge;
            outcome := 'reserved'; tokens := v_charge; reservation_id := p_new_id[i];
            expires_at := v_now + p_expiry_ms[i] * interval '1 millisecond';
            team_used := v_used; team_total := v_plan.total_tokens_monthly;
            team_remaining := greatest(0, v_plan.total_tokens_monthly - v_used - v_held);
            member_used := v_m.used; member_allocation := v_m.token_allocation;
            member_remaining := CASE WHEN v_mem_av IS NULL THEN NULL ELSE v_mem_av - v_charge END;
            RETURN NEXT; CONTINUE;
        END IF;

        IF p_kind[i] = 'record' THEN
            IF p_tokens[i] > v_pool_av OR p_tokens[i] > coalesce(v_mem_av, v_pool_av) THEN
                outcome := CASE WHEN p_tokens[i] > v_pool_av THEN 'team_pool' ELSE 'member_allocation' END;
                remaining := CASE outcome WHEN 'team_pool' THEN v_pool_av ELSE v_mem_av END;
                team_total := v_plan.total_tokens_monthly; member_allocation := v_m.token_allocation;
                RETURN NEXT; CONTINUE;
            END IF;
            v_charge := p_tokens[i];
            tokens_not_charged := 0;
        ELSE
            -- settle: the real usage within the hold, or beyond it when the excess fits; otherwise the hold only.
            v_charge := CASE WHEN p_tokens[i] <= v_hold OR p_tokens[i] <= least(v_pool_av, coalesce(v_mem_av, v_pool_av))
                             THEN p_tokens[i] ELSE v_hold END;
            tokens_not_charged := p_tokens[i] - v_charge;
            v_held := v_held - v_hold;
        END IF;

        IF v_charge > 0 THEN
            UPDATE {schema}.team_members m SET tokens_used_this_period = m.tokens_used_this_period + v_charge
            WHERE m.tenant_id = v_tenant AND m.team_id = p_team AND m.user_id = p_user[i];
            INSERT INTO {schema}.team_usage_log (tenant_id, id, team_id, user_id, tokens_used, model, usage_type, period_start)
            VALUES (v_tenant, p_new_id[i], p_team, p_user[i], v_charge, p_model[i], p_usage_type[i], v_plan.current_period_start);

            -- Warnings crossed by this operation: below before, at or above after (integer arithmetic, no rounding).
            FOREACH v_th IN ARRAY ARRAY[80, 100] LOOP
                IF v_used * 100 < v_th * v_plan.total_tokens_monthly AND (v_used + v_charge) * 100 >= v_th * v_plan.total_tokens_monthly THEN
                    PERFORM {schema}.raise_team_warning(v_tenant, p_team, p_team, NULL, v_th, v_used + v_charge, v_plan.total_tokens_monthly, v_plan.current_period_start, p_channel);
                END IF;
                IF NOT v_plan.shared_pool AND v_m.token_allocation > 0
                   AND v_m.used * 100 < v_th * v_m.token_allocation AND (v_m.used + v_charge) * 100 >= v_th * v_m.token_allocation THEN
                    PERFORM {schema}.raise_team_warning(v_tenant, p_team, p_user[i], p_user[i], v_th, v_m.used + v_charge, v_m.token_allocation, v_plan.current_period_start, p_channel);
                END IF;
            END LOOP;
        END IF;
        v_used := v_used + v_charge;

        outcome := CASE p_kind[i] WHEN 'record' THEN 'recorded' ELSE 'settled' END;
        tokens := v_charge;
        team_used := v_used; team_total := v_plan.total_tokens_monthly;
        team_remaining := greatest(0, v_plan.total_tokens_monthly - v_used - v_held);
        member_used := v_m.used + v_charge; member_allocation := v_m.token_allocation;
        member_remaining := CASE WHEN v_plan.shared_pool OR v_m.token_allocation IS NULL THEN NULL
                                 ELSE greatest(0, v_m.token_allocation - v_m.used - v_charge - (v_m_held - v_hold)) END;
        IF p_kind[i] = 'settle' THEN
            UPDATE {schema}.team_reservations r SET state = 'settled', closed_at = v_now, tokens_charged = v_charge,
                tokens_not_charged = p_tokens[i] - v_charge, team_used = v_used, team_remaining = team_remaining,
                member_used = v_m.used + v_charge, member_remaining = member_remaining
            WHERE r.tenant_id = v_tenant AND r.id = v_r.id;
        END IF;
        RETURN NEXT;
    END LOOP;

    IF v_used IS DISTINCT FROM v_start THEN
        UPDATE {schema}.team_plans p SET tokens_used_this_period = v_used WHERE p.tenant_id = v_tenant AND p.id = p_team;
    END IF;
END
$$;

-- One warning, once per threshold per period: the row that makes it once, and the outbox entry that tells the host.
CREATE FUNCTION {schema}.raise_team_warning(
    p_tenant uuid, p_team uuid, p_subject uuid, p_user uuid, p_threshold integer, p_used bigint, p_limit bigint,
    p_period_start timestamptz, p_channel text) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    INSERT INTO {schema}.team_usage_warnings (tenant_id, team_id, period_start, subject_id, threshold)
    VALUES (p_tenant, p_team, p_period_start, p_subject, p_threshold) ON CONFLICT DO NOTHING;
    IF FOUND THEN
        INSERT INTO {schema}.outbox (tenant_id, id, topic, payload)
        VALUES (p_tenant, gen_random_uuid(), 'team_usage_warning', jsonb_build_object(
            'tenantId', p_tenant, 'teamId', p_team, 'userId', p_user, 'thresholdPercent', p_threshold,
            'tokensUsed', p_used, 'tokensLimit', p_limit, 'periodStart', p_period_start));
        PERFORM pg_notify(p_channel, '');
    END IF;
END
$$;

GRANT EXECUTE ON FUNCTION {schema}.meter_team(uuid, text[], uuid[], uuid[], uuid[], bigint[], bigint[], bigint[], text[], text[], text),
    {schema}.raise_team_warning(uuid, uuid, uuid, uuid, integer, bigint, bigint, timestamptz, text) TO {app_role};
