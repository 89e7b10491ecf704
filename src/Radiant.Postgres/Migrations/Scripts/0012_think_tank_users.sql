-- Think Tank users (seed section 29.2): the admin's user list, its figures, and suspension.
--
-- * users gains a status (active / suspended) with who changed it and when, the subscription tier the identity
--   provider reports (seed: free / pro / team / enterprise; NULL when the host sends none), and two lower-cased,
--   "C"-collated search keys. One btree per key serves both the prefix search (LIKE 'abc%' becomes a range scan on a
--   "C" column: no pg_trgm, plain PostgreSQL) and keyset paging sorted by that key.
-- * user_usage_totals: one row per user (opened by a trigger when the user is inserted, backfilled below), the
--   all-time figures the list shows and sorts by — requests, tokens, spend, last active. user_usage_months: the same
--   per user and UTC month, for "spend this month". Both are maintained by the chat pipeline in the transaction that
--   records the usage (UsageRecords.TryAddAsync), counting only records actually inserted, so the list never scans
--   usage_records. They are this feature's own small aggregate, kept beside the analytics rollups of issue 13.
-- * user_status_events: the audit of every suspension and reactivation (who, when), written with the change.

ALTER TABLE {schema}.users
    ADD COLUMN status             varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    ADD COLUMN status_changed_at  timestamptz,
    ADD COLUMN status_changed_by  uuid,
    ADD COLUMN subscription_tier  varchar(20) CHECK (subscription_tier IN ('free', 'pro', 'team', 'enterprise')),
    ADD COLUMN email_key          text COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(coalesce(email, ''))) STORED,
    ADD COLUMN name_key           text COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(coalesce(display_name, ''))) STORED;

CREATE INDEX users_email_key_idx ON {schema}.users (tenant_id, email_key, user_id);
CREATE INDEX users_name_key_idx ON {schema}.users (tenant_id, name_key, user_id);
CREATE INDEX users_created_idx ON {schema}.users (tenant_id, created_at, user_id);
CREATE INDEX users_suspended_idx ON {schema}.users (tenant_id, user_id) WHERE status = 'suspended';

-- last_active_at is NOT NULL so keyset paging compares plain values: a user never active holds the epoch
-- (1970-01-01), which the service reads back as "never" (null).
CREATE TABLE {schema}.user_usage_totals (
    tenant_id        uuid           NOT NULL,
    user_id          uuid           NOT NULL,
    requests         bigint         NOT NULL DEFAULT 0 CHECK (requests >= 0),
    failed_requests  bigint         NOT NULL DEFAULT 0 CHECK (failed_requests >= 0),
    input_tokens     bigint         NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens    bigint         NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    spend            numeric(20, 6) NOT NULL DEFAULT 0 CHECK (spend >= 0),
    last_active_at   timestamptz    NOT NULL DEFAULT 'epoch',
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);

CREATE INDEX user_usage_totals_spend_idx ON {schema}.user_usage_totals (tenant_id, spend, user_id);
CREATE INDEX user_usage_totals_active_idx ON {schema}.user_usage_totals (tenant_id, last_active_at, user_id);

CREATE TABLE {schema}.user_usage_months (
    tenant_id        uuid           NOT NULL,
    month            date           NOT NULL CHECK (extract(day FROM month) = 1),
    user_id          uuid           NOT NULL,
    requests         bigint         NOT NULL DEFAULT 0 CHECK (requests >= 0),
    failed_requests  bigint         NOT NULL DEFAULT 0 CHECK (failed_requests >= 0),
    input_tokens     bigint         NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens    bigint         NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    spend            numeric(20, 6) NOT NULL DEFAULT 0 CHECK (spend >= 0),
    PRIMARY KEY (tenant_id, month, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);

CREATE INDEX user_usage_months_user_idx ON {schema}.user_usage_months (tenant_id, user_id, month);

CREATE TABLE {schema}.user_status_events (
    tenant_id   uuid         NOT NULL,
    id          uuid         NOT NULL,
    user_id     uuid         NOT NULL,
    status      varchar(20)  NOT NULL CHECK (status IN ('active', 'suspended')),
    changed_by  uuid         NOT NULL,
    changed_at  timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);

CREATE INDEX user_status_events_user_idx ON {schema}.user_status_events (tenant_id, user_id, changed_at);

-- Every user has a totals row from the start, however the user was inserted (provisioning, a host's own SQL), so the
-- list joins it and sorts by spend or activity through its indexes.
CREATE FUNCTION {schema}.open_user_usage_totals() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO {schema}.user_usage_totals (tenant_id, user_id) VALUES (NEW.tenant_id, NEW.user_id)
    ON CONFLICT (tenant_id, user_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_open_usage_totals AFTER INSERT ON {schema}.users
    FOR EACH ROW EXECUTE FUNCTION {schema}.open_user_usage_totals();

-- Backfill from the usage recorded so far. Row-level security is forced on the owner too, so the two source tables
-- stop forcing it for the rest of this (transactional) migration and force it again before it commits.
ALTER TABLE {schema}.users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {schema}.usage_records NO FORCE ROW LEVEL SECURITY;

INSERT INTO {schema}.user_usage_totals (tenant_id, user_id, requests, failed_requests, input_tokens, output_tokens, spend, last_active_at)
SELECT u.tenant_id, u.user_id,
       coalesce(r.requests, 0), coalesce(r.failed, 0), coalesce(r.input_tokens, 0), coalesce(r.output_tokens, 0),
       coalesce(r.spend, 0), coalesce(r.last_active_at, 'epoch')
FROM {schema}.users u
LEFT JOIN (
    SELECT tenant_id, user_id, count(*) AS requests, count(*) FILTER (WHERE outcome = 'failed') AS failed,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(charge) AS spend,
           max(created_at) AS last_active_at
    FROM {schema}.usage_records GROUP BY tenant_id, user_id
) r ON r.tenant_id = u.tenant_id AND r.user_id = u.user_id;

INSERT INTO {schema}.user_usage_months (tenant_id, month, user_id, requests, failed_requests, input_tokens, output_tokens, spend)
SELECT tenant_id, date_trunc('month', created_at AT TIME ZONE 'UTC')::date, user_id,
       count(*), count(*) FILTER (WHERE outcome = 'failed'), sum(input_tokens), sum(output_tokens), sum(charge)
FROM {schema}.usage_records
GROUP BY 1, 2, 3;

ALTER TABLE {schema}.users FORCE ROW LEVEL SECURITY;
ALTER TABLE {schema}.usage_records FORCE ROW LEVEL SECURITY;

SELECT {schema}.isolate_by_tenant('{schema}.user_usage_totals');
SELECT {schema}.isolate_by_tenant('{schema}.user_usage_months');
SELECT {schema}.isolate_by_tenant('{schema}.user_status_events');

-- The pipeline adds to the aggregates (never removes); the audit is written once.
GRANT SELECT, INSERT, UPDATE ON {schema}.user_usage_totals, {schema}.user_usage_months TO {app_role};
GRANT SELECT, INSERT ON {schema}.user_status_events TO {app_role};
