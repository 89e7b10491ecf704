-- Usage rollups that stay small at a hundred million records (issue 13).
--
-- 1. Sparse latency histograms. A rollup row carried all 84 buckets of its histogram (~360 bytes), although most rows
--    count a handful of requests: with a thousand tenants the long tail has nearly a rollup row per record, and at
--    2 M records the rollups took 3.5 GB beside 788 MB of records. A histogram is now the non-empty buckets alone, in
--    one bigint[]: each element is count * 128 + bucket (bucket 0–83), ascending by bucket, '{}' when empty. A row of
--    one request holds one element. LatencyHistogram.cs (the buckets, the error bound) is unchanged.
-- 2. Hourly rollups for a window only. They serve hour-bucket ranges (7 days or less) and are kept for
--    RadiantAnalyticsOptions.HourlyRollupDays (default 35) by the maintenance worker (prune_hourly_usage_rollups); an
--    hour-bucket range that starts before that window is read from the records, which are kept for months and are the
--    source of truth. Daily rollups are kept for ever.
-- 3. The per-user daily rollup without the domain mode. Keyed by (tenant, day, user, model, provider, team, domain
--    mode) it had about a row per record (a user's calls spread over the modes; a user's team rarely changes), so at
--    50 M records it took 13 GB beside 17 GB of records. Keyed without the mode it keeps what the dashboards read —
--    active users, top users, user x model, filtered by team, model or provider — and a user figure filtered by domain
--    mode is read from the records of the range.

-- 1. Histograms. The dense form converts row by row; the functions keep their names with the new types.
CREATE FUNCTION {schema}.usage_histogram_sparse(p_dense integer[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT coalesce(array_agg(c::bigint * 128 + (i - 1) ORDER BY i), '{}')
            FROM unnest(p_dense) WITH ORDINALITY AS u (c, i) WHERE c > 0);

ALTER TABLE {schema}.usage_rollup_model_hourly ALTER COLUMN latency_histogram TYPE bigint[] USING {schema}.usage_histogram_sparse(latency_histogram);
ALTER TABLE {schema}.usage_rollup_model_daily ALTER COLUMN latency_histogram TYPE bigint[] USING {schema}.usage_histogram_sparse(latency_histogram);
ALTER TABLE {schema}.usage_rollup_segment_hourly ALTER COLUMN latency_histogram TYPE bigint[] USING {schema}.usage_histogram_sparse(latency_histogram);
ALTER TABLE {schema}.usage_rollup_segment_daily ALTER COLUMN latency_histogram TYPE bigint[] USING {schema}.usage_histogram_sparse(latency_histogram);
DROP FUNCTION {schema}.usage_histogram_sparse(integer[]);

-- The trigger (roll_up_usage_records, migration 0011) calls both by name, so it builds and merges sparse histograms.
DROP FUNCTION {schema}.usage_histogram_of(integer[], bigint[]);
DROP FUNCTION {schema}.usage_histogram_add(integer[], integer[]);

-- A histogram from (bucket, count) pairs; a bucket may repeat. PL/pgSQL (cached plans, simple expressions): cheaper
-- per call than a SQL function with a subquery, which the trigger calls five times per statement.
CREATE FUNCTION {schema}.usage_histogram_of(p_buckets integer[], p_counts bigint[]) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    v_dense  bigint[] := array_fill(0::bigint, ARRAY[84]);
    v_sparse bigint[] := '{}';
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_buckets, 1), 0) LOOP
        v_dense[p_buckets[i] + 1] := v_dense[p_buckets[i] + 1] + p_counts[i];
    END LOOP;
    FOR b IN 0 .. 83 LOOP
        IF v_dense[b + 1] > 0 THEN
            v_sparse := v_sparse || (v_dense[b + 1] * 128 + b);
        END IF;
    END LOOP;
    RETURN v_sparse;
END
$$;

-- Two histograms merged: a walk over both (each ascending by bucket); counts of the same bucket add.
CREATE FUNCTION {schema}.usage_histogram_add(p_a bigint[], p_b bigint[]) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    v_na integer := coalesce(array_length(p_a, 1), 0);
    v_nb integer := coalesce(array_length(p_b, 1), 0);
    i integer := 1;
    j integer := 1;
    v_sum bigint[] := '{}';
BEGIN
    WHILE i <= v_na OR j <= v_nb LOOP
        IF j > v_nb OR (i <= v_na AND p_a[i] % 128 < p_b[j] % 128) THEN
            v_sum := v_sum || p_a[i]; i := i + 1;
        ELSIF i > v_na OR p_b[j] % 128 < p_a[i] % 128 THEN
            v_sum := v_sum || p_b[j]; j := j + 1;
        ELSE
            v_sum := v_sum || (p_a[i] + p_b[j] - p_a[i] % 128); i := i + 1; j := j + 1;
        END IF;
    END LOOP;
    RETURN v_sum;
END
$$;

-- 2. The hourly window. Run by the maintenance worker as the schema owner in the system scope; returns the rows deleted.
CREATE FUNCTION {schema}.prune_hourly_usage_rollups(p_keep_days integer) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_cutoff timestamptz := date_trunc('day', now(), 'UTC') - make_interval(days => p_keep_days);
    v_model  bigint;
    v_segment bigint;
BEGIN
    DELETE FROM {schema}.usage_rollup_model_hourly WHERE bucket < v_cutoff;
    GET DIAGNOSTICS v_model = ROW_COUNT;
    DELETE FROM {schema}.usage_rollup_segment_hourly WHERE bucket < v_cutoff;
    GET DIAGNOSTICS v_segment = ROW_COUNT;
    RETURN v_model + v_segment;
END
$$;

-- A DELETE whose WHERE reads the table's columns must also see the rows through a SELECT policy, so the system scope
-- gets both on the tables its retention prunes. That includes the idempotency keys of migration 0011, whose DELETE
-- policy alone let maintain_usage_partitions delete nothing: expired keys were kept.
CREATE POLICY retention ON {schema}.usage_rollup_model_hourly FOR DELETE USING ((SELECT {schema}.in_system_scope()));
CREATE POLICY retention_read ON {schema}.usage_rollup_model_hourly FOR SELECT USING ((SELECT {schema}.in_system_scope()));
CREATE POLICY retention ON {schema}.usage_rollup_segment_hourly FOR DELETE USING ((SELECT {schema}.in_system_scope()));
CREATE POLICY retention_read ON {schema}.usage_rollup_segment_hourly FOR SELECT USING ((SELECT {schema}.in_system_scope()));
CREATE POLICY retention_read ON {schema}.usage_record_keys FOR SELECT USING ((SELECT {schema}.in_system_scope()));

-- 3. The per-user daily rollup: rows that differed only by domain mode are merged, and the trigger keys it without it.
-- Row-level security is forced on the owner too, so the table stops forcing it for this (transactional) migration.
ALTER TABLE {schema}.usage_rollup_user_daily NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {schema}.usage_rollup_user_daily DROP CONSTRAINT usage_rollup_user_daily_key;
CREATE TEMPORARY TABLE user_daily_merged ON COMMIT DROP AS
SELECT tenant_id, bucket, user_id, model_id, provider_id, team_id, sum(requests) AS requests, sum(completed) AS completed, sum(failed) AS failed,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cached_tokens) AS cached_tokens, sum(charge) AS charge,
       sum(latency_ms_sum) AS latency_ms_sum, min(first_at) AS first_at, max(last_at) AS last_at
FROM {schema}.usage_rollup_user_daily GROUP BY 1, 2, 3, 4, 5, 6;
DELETE FROM {schema}.usage_rollup_user_daily;
ALTER TABLE {schema}.usage_rollup_user_daily DROP COLUMN domain_mode;
INSERT INTO {schema}.usage_rollup_user_daily SELECT * FROM user_daily_merged;
ALTER TABLE {schema}.usage_rollup_user_daily
    ADD CONSTRAINT usage_rollup_user_daily_key UNIQUE NULLS NOT DISTINCT (tenant_id, bucket, user_id, model_id, provider_id, team_id);
ALTER TABLE {schema}.usage_rollup_user_daily FORCE ROW LEVEL SECURITY;

-- The trigger of migration 0011 with its last rollup keyed as above (the rest unchanged).
CREATE OR REPLACE FUNCTION {schema}.roll_up_usage_records() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH lines AS (
        SELECT tenant_id, date_trunc('hour', created_at, 'UTC') AS hour, user_id, model_id, provider_id, team_id, domain_mode,
               {schema}.usage_latency_bucket(latency_ms) AS latency_bucket,
               count(*) AS requests,
               count(*) FILTER (WHERE outcome = 'completed') AS completed,
               count(*) FILTER (WHERE outcome = 'failed') AS failed,
               sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cached_tokens) AS cached_tokens,
               sum(charge) AS charge, sum(latency_ms) AS latency_ms_sum,
               coalesce(sum(first_token_ms), 0) AS first_token_ms_sum, count(first_token_ms) AS first_token_count,
               min(created_at) AS first_at, max(created_at) AS last_at
        FROM added
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ),
    model_hourly AS (
        INSERT INTO {schema}.usage_rollup_model_hourly AS r
        SELECT tenant_id, hour, model_id, provider_id, sum(requests), sum(completed), sum(failed), sum(input_tokens), sum(output_tokens),
               sum(cached_tokens), sum(charge), sum(latency_ms_sum), sum(first_token_ms_sum), sum(first_token_count),
               {schema}.usage_histogram_of(array_agg(latency_bucket), array_agg(requests))
        FROM lines GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, bucket, model_id, provider_id) DO UPDATE SET
            requests = r.requests + excluded.requests, completed = r.completed + excluded.completed, failed = r.failed + excluded.failed,
            input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
            cached_tokens = r.cached_tokens + excluded.cached_tokens, charge = r.charge + excluded.charge,
            latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum, first_token_ms_sum = r.first_token_ms_sum + excluded.first_token_ms_sum,
            first_token_count = r.first_token_count + excluded.first_token_count,
            latency_histogram = {schema}.usage_histogram_add(r.latency_histogram, excluded.latency_histogram)
    ),
    model_daily AS (
        INSERT INTO {schema}.usage_rollup_model_daily AS r
        SELECT tenant_id, date_trunc('day', hour, 'UTC'), model_id, provider_id, sum(requests), sum(completed), sum(failed), sum(input_tokens), sum(output_tokens),
               sum(cached_tokens), sum(charge), sum(latency_ms_sum), sum(first_token_ms_sum), sum(first_token_count),
               {schema}.usage_histogram_of(array_agg(latency_bucket), array_agg(requests))
        FROM lines GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, bucket, model_id, provider_id) DO UPDATE SET
            requests = r.requests + excluded.requests, completed = r.completed + excluded.completed, failed = r.failed + excluded.failed,
            input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
            cached_tokens = r.cached_tokens + excluded.cached_tokens, charge = r.charge + excluded.charge,
            latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum, first_token_ms_sum = r.first_token_ms_sum + excluded.first_token_ms_sum,
            first_token_count = r.first_token_count + excluded.first_token_count,
            latency_histogram = {schema}.usage_histogram_add(r.latency_histogram, excluded.latency_histogram)
    ),
    segment_hourly AS (
        INSERT INTO {schema}.usage_rollup_segment_hourly AS r
        SELECT tenant_id, hour, model_id, provider_id, team_id, domain_mode, sum(requests), sum(completed), sum(failed), sum(input_tokens), sum(output_tokens),
               sum(cached_tokens), sum(charge), sum(latency_ms_sum), sum(first_token_ms_sum), sum(first_token_count),
               {schema}.usage_histogram_of(array_agg(latency_bucket), array_agg(requests))
        FROM lines GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (tenant_id, bucket, model_id, provider_id, team_id, domain_mode) DO UPDATE SET
            requests = r.requests + excluded.requests, completed = r.completed + excluded.completed, failed = r.failed + excluded.failed,
            input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
            cached_tokens = r.cached_tokens + excluded.cached_tokens, charge = r.charge + excluded.charge,
            latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum, first_token_ms_sum = r.first_token_ms_sum + excluded.first_token_ms_sum,
            first_token_count = r.first_token_count + excluded.first_token_count,
            latency_histogram = {schema}.usage_histogram_add(r.latency_histogram, excluded.latency_histogram)
    ),
    segment_daily AS (
        INSERT INTO {schema}.usage_rollup_segment_daily AS r
        SELECT tenant_id, date_trunc('day', hour, 'UTC'), model_id, provider_id, team_id, domain_mode, sum(requests), sum(completed), sum(failed), sum(input_tokens), sum(output_tokens),
               sum(cached_tokens), sum(charge), sum(latency_ms_sum), sum(first_token_ms_sum), sum(first_token_count),
               {schema}.usage_histogram_of(array_agg(latency_bucket), array_agg(requests))
        FROM lines GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (tenant_id, bucket, model_id, provider_id, team_id, domain_mode) DO UPDATE SET
            requests = r.requests + excluded.requests, completed = r.completed + excluded.completed, failed = r.failed + excluded.failed,
            input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
            cached_tokens = r.cached_tokens + excluded.cached_tokens, charge = r.charge + excluded.charge,
            latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum, first_token_ms_sum = r.first_token_ms_sum + excluded.first_token_ms_sum,
            first_token_count = r.first_token_count + excluded.first_token_count,
            latency_histogram = {schema}.usage_histogram_add(r.latency_histogram, excluded.latency_histogram)
    )
    INSERT INTO {schema}.usage_rollup_user_daily AS r
    SELECT tenant_id, date_trunc('day', hour, 'UTC'), user_id, model_id, provider_id, team_id, sum(requests), sum(completed), sum(failed),
           sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(charge), sum(latency_ms_sum), min(first_at), max(last_at)
    FROM lines GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tenant_id, bucket, user_id, model_id, provider_id, team_id) DO UPDATE SET
        requests = r.requests + excluded.requests, completed = r.completed + excluded.completed, failed = r.failed + excluded.failed,
        input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
        cached_tokens = r.cached_tokens + excluded.cached_tokens, charge = r.charge + excluded.charge,
        latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum,
        first_at = least(r.first_at, excluded.first_at), last_at = greatest(r.last_at, excluded.last_at);
    RETURN NULL;
END
$$;
