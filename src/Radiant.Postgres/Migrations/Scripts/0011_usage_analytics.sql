-- Usage analytics (issue 13): usage_records partitioned by month, idempotency kept by a key table, and rollups
-- maintained in the inserting transaction, so dashboards read a few hundred rows instead of millions.
--
-- Idempotency. A unique index on a partitioned table must contain the partition key (created_at), and created_at is
-- the recording transaction's now(): a retried commit or a concurrent duplicate of a request gets another instant and
-- would slip past a (tenant_id, request_id, attempt, created_at) index. So the uniqueness the chat pipeline relies on
-- lives in usage_record_keys, one narrow unpartitioned row per (tenant_id, request_id, attempt): the writer inserts
-- the key with ON CONFLICT DO NOTHING and the record only when the key was new, in one statement. The key also says
-- whether that attempt answered the request, so "was this request id answered?" reads the key table alone. Keys are
-- deleted with the months of records they belong to (maintain_usage_partitions); they are the one thing retention
-- deletes row by row, and they are ~60 bytes each.
--
-- Rollups. One statement-level AFTER INSERT trigger (transition table) adds every inserted statement's records to
-- five rollups in the same transaction, so a rollup row always equals the aggregate of the committed records under
-- it: late records land in their own (past) bucket, a duplicate never reaches the table, a rolled-back insert rolls
-- its rollup back with it. There is no asynchronous tail to read. Buckets are UTC hours and UTC days.
--   usage_rollup_model_hourly / _daily      per (tenant, bucket, model, provider): the unfiltered dashboards
--   usage_rollup_segment_hourly / _daily    per (tenant, bucket, model, provider, team, domain mode): filtered ones
--   usage_rollup_user_daily                 per (tenant, UTC day, user, model, provider, team, domain mode):
--                                           active users, top users, user x model, and per-user figures for the
--                                           Think Tank users admin (requests, tokens, spend, first/last record)
-- Latency percentiles merge across rows: latency_histogram is a fixed log-scale histogram (84 buckets: 0 ms, then
-- 4 buckets per doubling from 1 ms up to ~24 minutes, the last one open-ended); LatencyHistogram.cs reads it and states
-- the error bound (a percentile is within 8.65 % of the exact one).

-- 1. The partitioned table, with the rows of the 0009 one moved into it.
ALTER TABLE {schema}.usage_records NO FORCE ROW LEVEL SECURITY; -- the owner copies the rows below
ALTER TABLE {schema}.usage_records RENAME TO usage_records_0009;
ALTER TABLE {schema}.usage_records_0009 RENAME CONSTRAINT usage_records_pkey TO usage_records_0009_pkey;
ALTER TABLE {schema}.usage_records_0009 RENAME CONSTRAINT usage_records_tenant_id_request_id_attempt_key TO usage_records_0009_key;
DROP INDEX {schema}.usage_records_tenant_time;
DROP INDEX {schema}.usage_records_user_time;

CREATE TABLE {schema}.usage_records (
    tenant_id          uuid           NOT NULL REFERENCES {schema}.tenants (tenant_id),
    id                 uuid           NOT NULL,
    request_id         varchar(100)   NOT NULL,
    attempt            smallint       NOT NULL CHECK (attempt BETWEEN 1 AND 10),
    user_id            uuid           NOT NULL,
    team_id            uuid,
    model_id           varchar(100)   NOT NULL,
    provider_id        varchar(50)    NOT NULL,
    domain_mode        varchar(20)    CHECK (domain_mode IN ('general', 'medical', 'legal', 'code', 'academic', 'creative', 'scientific')),
    persona_id         uuid,
    routing_rule       varchar(30)    NOT NULL,
    input_tokens       integer        NOT NULL CHECK (input_tokens >= 0),
    output_tokens      integer        NOT NULL CHECK (output_tokens >= 0),
    cached_tokens      integer        NOT NULL DEFAULT 0 CHECK (cached_tokens >= 0),
    charge             numeric(18, 6) NOT NULL CHECK (charge >= 0),
    pricing_version    bigint         NOT NULL,
    latency_ms         integer        NOT NULL CHECK (latency_ms >= 0),
    first_token_ms     integer        CHECK (first_token_ms >= 0),
    outcome            varchar(20)    NOT NULL CHECK (outcome IN ('completed', 'cancelled', 'failed')),
    error              varchar(500),
    created_at         timestamptz    NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id, created_at),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
) PARTITION BY RANGE (created_at);

-- Raw reads are a tenant's records by time (the live hour ranges, the naive baseline) and a user's own.
CREATE INDEX usage_records_tenant_time ON {schema}.usage_records (tenant_id, created_at);
CREATE INDEX usage_records_user_time ON {schema}.usage_records (tenant_id, user_id, created_at);

-- Catches a record outside every month partition (none should: maintenance keeps months ahead), so an insert never fails.
CREATE TABLE {schema}.usage_records_default PARTITION OF {schema}.usage_records DEFAULT;

CREATE TABLE {schema}.usage_record_keys (
    tenant_id   uuid          NOT NULL REFERENCES {schema}.tenants (tenant_id),
    request_id  varchar(100)  NOT NULL,
    attempt     smallint      NOT NULL,
    answered    boolean       NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, request_id, attempt)
);
-- Retention deletes keys by age across tenants: a plain (non-unique) index without the tenant column.
CREATE INDEX usage_record_keys_expiry_idx ON {schema}.usage_record_keys (created_at);

-- 2. Monthly partitions, created ahead and dropped after the retention.
CREATE FUNCTION {schema}.ensure_usage_partition(p_month timestamptz) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_from timestamptz := date_trunc('month', p_month, 'UTC');
    v_to   timestamptz := v_from + interval '1 month';
    v_name text := 'usage_records_' || to_char(v_from AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF to_regclass(format('{schema}.%I', v_name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- Records the default partition caught for this month move into the new one before it is attached.
    EXECUTE format('CREATE TABLE {schema}.%I (LIKE {schema}.usage_records INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
    EXECUTE format('WITH moved AS (DELETE FROM {schema}.usage_records_default WHERE created_at >= %L AND created_at < %L RETURNING *) '
                   'INSERT INTO {schema}.%I SELECT * FROM moved', v_from, v_to, v_name);
    EXECUTE format('ALTER TABLE {schema}.usage_records ATTACH PARTITION {schema}.%I FOR VALUES FROM (%L) TO (%L)', v_name, v_from, v_to);
    RETURN true;
END
$$;

-- Keeps p_keep_months whole months before the current one (and the current), and p_ahead_months ahead: drops older
-- partitions whole (and their keys), creates missing ones. Returns what it did. Run by the analytics maintenance
-- worker as the schema owner.
CREATE FUNCTION {schema}.maintain_usage_partitions(p_keep_months integer, p_ahead_months integer DEFAULT 2)
    RETURNS TABLE (action text, partition_name text)
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_now     timestamptz := date_trunc('month', clock_timestamp(), 'UTC');
    v_cutoff  timestamptz := v_now - make_interval(months => p_keep_months);
    v_part    record;
    v_month   timestamptz;
BEGIN
    FOR v_part IN
        SELECT c.relname
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '{schema}.usage_records'::regclass AND c.relname ~ '^usage_records_\d{4}_\d{2}$'
        ORDER BY c.relname
    LOOP
        IF to_date(substr(v_part.relname, 15), 'YYYY_MM')::timestamp AT TIME ZONE 'UTC' < v_cutoff THEN
            EXECUTE format('DROP TABLE {schema}.%I', v_part.relname);
            action := 'dropped'; partition_name := v_part.relname; RETURN NEXT;
        END IF;
    END LOOP;
    DELETE FROM {schema}.usage_records_default WHERE created_at < v_cutoff;
    DELETE FROM {schema}.usage_record_keys WHERE created_at < v_cutoff;

    v_month := v_now;
    WHILE v_month <= v_now + make_interval(months => p_ahead_months) LOOP
        IF {schema}.ensure_usage_partition(v_month) THEN
            action := 'created'; partition_name := 'usage_records_' || to_char(v_month AT TIME ZONE 'UTC', 'YYYY_MM'); RETURN NEXT;
        END IF;
        v_month := v_month + interval '1 month';
    END LOOP;
END
$$;

-- 3. The rollups.
CREATE TABLE {schema}.usage_rollup_model_hourly (
    tenant_id          uuid            NOT NULL REFERENCES {schema}.tenants (tenant_id),
    bucket             timestamptz     NOT NULL,
    model_id           varchar(100)    NOT NULL,
    provider_id        varchar(50)     NOT NULL,
    requests           bigint          NOT NULL,
    completed          bigint          NOT NULL,
    failed             bigint          NOT NULL,
    input_tokens       bigint          NOT NULL,
    output_tokens      bigint          NOT NULL,
    cached_tokens      bigint          NOT NULL,
    charge             numeric(24, 6)  NOT NULL,
    latency_ms_sum     bigint          NOT NULL,
    first_token_ms_sum bigint          NOT NULL,
    first_token_count  bigint          NOT NULL,
    latency_histogram  integer[]       NOT NULL,
    PRIMARY KEY (tenant_id, bucket, model_id, provider_id)
);
CREATE TABLE {schema}.usage_rollup_model_daily (LIKE {schema}.usage_rollup_model_hourly INCLUDING ALL);
ALTER TABLE {schema}.usage_rollup_model_daily ADD FOREIGN KEY (tenant_id) REFERENCES {schema}.tenants (tenant_id);

CREATE TABLE {schema}.usage_rollup_segment_hourly (
    tenant_id          uuid            NOT NULL REFERENCES {schema}.tenants (tenant_id),
    bucket             timestamptz     NOT NULL,
    model_id           varchar(100)    NOT NULL,
    provider_id        varchar(50)     NOT NULL,
    team_id            uuid,
    domain_mode        varchar(20),
    requests           bigint          NOT NULL,
    completed          bigint          NOT NULL,
    failed             bigint          NOT NULL,
    input_tokens       bigint          NOT NULL,
    output_tokens      bigint          NOT NULL,
    cached_tokens      bigint          NOT NULL,
    charge             numeric(24, 6)  NOT NULL,
    latency_ms_sum     bigint          NOT NULL,
    first_token_ms_sum bigint          NOT NULL,
    first_token_count  bigint          NOT NULL,
    latency_histogram  integer[]       NOT NULL,
    CONSTRAINT usage_rollup_segment_hourly_key UNIQUE NULLS NOT DISTINCT (tenant_id, bucket, model_id, provider_id, team_id, domain_mode)
);
CREATE TABLE {schema}.usage_rollup_segment_daily (LIKE {schema}.usage_rollup_segment_hourly INCLUDING DEFAULTS);
ALTER TABLE {schema}.usage_rollup_segment_daily
    ADD CONSTRAINT usage_rollup_segment_daily_key UNIQUE NULLS NOT DISTINCT (tenant_id, bucket, model_id, provider_id, team_id, domain_mode),
    ADD FOREIGN KEY (tenant_id) REFERENCES {schema}.tenants (tenant_id);

-- Per user: what the Think Tank users admin (29.2) reads for each user's requests, tokens, spend and last activity.
CREATE TABLE {schema}.usage_rollup_user_daily (
    tenant_id          uuid            NOT NULL REFERENCES {schema}.tenants (tenant_id),
    bucket             timestamptz     NOT NULL, -- the UTC day
    user_id            uuid            NOT NULL,
    model_id           varchar(100)    NOT NULL,
    provider_id        varchar(50)     NOT NULL,
    team_id            uuid,
    domain_mode        varchar(20),
    requests           bigint          NOT NULL,
    completed          bigint          NOT NULL,
    failed             bigint          NOT NULL,
    input_tokens       bigint          NOT NULL,
    output_tokens      bigint          NOT NULL,
    cached_tokens      bigint          NOT NULL,
    charge             numeric(24, 6)  NOT NULL,
    latency_ms_sum     bigint          NOT NULL,
    first_at           timestamptz     NOT NULL,
    last_at            timestamptz     NOT NULL,
    CONSTRAINT usage_rollup_user_daily_key UNIQUE NULLS NOT DISTINCT (tenant_id, bucket, user_id, model_id, provider_id, team_id, domain_mode),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);
CREATE INDEX usage_rollup_user_daily_user ON {schema}.usage_rollup_user_daily (tenant_id, user_id, bucket);

-- The histogram's bucket of a latency: 0 for 0 ms, then 1 + floor(4 log2 ms), the last bucket (83) open-ended.
CREATE FUNCTION {schema}.usage_latency_bucket(p_ms integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN p_ms < 1 THEN 0 ELSE least(83, 1 + floor(4 * ln(p_ms::float8) / ln(2::float8))::integer) END;

-- A histogram from (bucket, count) pairs.
CREATE FUNCTION {schema}.usage_histogram_of(p_buckets integer[], p_counts bigint[]) RETURNS integer[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    v_histogram integer[] := array_fill(0, ARRAY[84]);
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_buckets, 1), 0) LOOP
        v_histogram[p_buckets[i] + 1] := v_histogram[p_buckets[i] + 1] + p_counts[i];
    END LOOP;
    RETURN v_histogram;
END
$$;

CREATE FUNCTION {schema}.usage_histogram_add(p_a integer[], p_b integer[]) RETURNS integer[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT array_agg(x + y ORDER BY i) FROM unnest(p_a, p_b) WITH ORDINALITY AS u (x, y, i));

-- Adds an inserting statement's records to every rollup, grouped first (a batch updates each rollup row once) and
-- in key order (concurrent statements lock shared rows in the same order).
CREATE FUNCTION {schema}.roll_up_usage_records() RETURNS trigger
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
    SELECT tenant_id, date_trunc('day', hour, 'UTC'), user_id, model_id, provider_id, team_id, domain_mode, sum(requests), sum(completed), sum(failed),
           sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(charge), sum(latency_ms_sum), min(first_at), max(last_at)
    FROM lines GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (tenant_id, bucket, user_id, model_id, provider_id, team_id, domain_mode) DO UPDATE SET
        requests = r.requests + excluded.requests, completed = r.completed + excluded.completed, failed = r.failed + excluded.failed,
        input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
        cached_tokens = r.cached_tokens + excluded.cached_tokens, charge = r.charge + excluded.charge,
        latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum,
        first_at = least(r.first_at, excluded.first_at), last_at = greatest(r.last_at, excluded.last_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER usage_records_roll_up AFTER INSERT ON {schema}.usage_records
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {schema}.roll_up_usage_records();

-- 4. The old rows: partitions for their months and the next two, then the rows (through the trigger) and their keys.
SELECT {schema}.ensure_usage_partition(m)
FROM generate_series(
    date_trunc('month', least(coalesce((SELECT min(created_at) FROM {schema}.usage_records_0009), now()), now()), 'UTC'),
    now() + interval '2 months', interval '1 month') AS m;
INSERT INTO {schema}.usage_records SELECT * FROM {schema}.usage_records_0009;
INSERT INTO {schema}.usage_record_keys (tenant_id, request_id, attempt, answered, created_at)
SELECT tenant_id, request_id, attempt, outcome <> 'failed', created_at FROM {schema}.usage_records_0009;
DROP TABLE {schema}.usage_records_0009;

SELECT {schema}.isolate_by_tenant(t)
FROM unnest(ARRAY['{schema}.usage_records', '{schema}.usage_record_keys', '{schema}.usage_rollup_model_hourly',
                  '{schema}.usage_rollup_model_daily', '{schema}.usage_rollup_segment_hourly', '{schema}.usage_rollup_segment_daily',
                  '{schema}.usage_rollup_user_daily']::regclass[]) AS t;

-- Retention (maintain_usage_partitions, run by the schema owner in the system scope) deletes expired keys.
CREATE POLICY retention ON {schema}.usage_record_keys FOR DELETE USING ((SELECT {schema}.in_system_scope()));

-- Written once. The rollups are written by the trigger, which runs as the inserting (application) role: it may add
-- to them (under the same tenant policy) and read them, never delete.
GRANT SELECT, INSERT ON {schema}.usage_records, {schema}.usage_record_keys TO {app_role};
GRANT SELECT, INSERT, UPDATE ON {schema}.usage_rollup_model_hourly, {schema}.usage_rollup_model_daily, {schema}.usage_rollup_segment_hourly,
    {schema}.usage_rollup_segment_daily, {schema}.usage_rollup_user_daily TO {app_role};
