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
