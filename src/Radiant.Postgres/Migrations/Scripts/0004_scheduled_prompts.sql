-- Scheduled prompts (seed section 26), executed by the scheduler worker inside the host.
--
-- Exactly once: a worker claims due schedules with FOR UPDATE SKIP LOCKED and, in the same transaction, advances
-- next_run and inserts the run; the unique key (tenant_id, prompt_id, scheduled_for) means an occurrence can never
-- be recorded twice. A run is leased (lease_token, lease_expires_at) by the worker executing it and heartbeats keep
-- the lease; a run whose lease expired is claimed again by any worker, and only the holder of the current lease
-- token can complete it.

-- The worker's scope: read and advance schedules and lease runs across tenants, never delete. Everything the worker
-- does for one run (recording its outcome) runs with that run's tenant set instead.
CREATE FUNCTION {schema}.in_scheduler_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('radiant.scope', true), '') = 'scheduler' $$;

CREATE TABLE {schema}.scheduled_prompts (
    tenant_id           uuid          NOT NULL REFERENCES {schema}.tenants (tenant_id),
    id                  uuid          NOT NULL,
    user_id             uuid          NOT NULL,
    prompt_name         varchar(200)  NOT NULL CHECK (length(prompt_name) > 0),
    prompt_text         text          NOT NULL CHECK (length(prompt_text) BETWEEN 1 AND 32000),
    model               varchar(100)  NOT NULL REFERENCES {schema}.models (id),
    schedule_type       varchar(20)   NOT NULL CHECK (schedule_type IN ('once', 'cron', 'interval')),
    cron_expression     varchar(100),
    run_at              timestamptz,
    interval_minutes    integer       CHECK (interval_minutes BETWEEN 1 AND 525600),
    timezone            varchar(64)   NOT NULL DEFAULT 'UTC',
    is_active           boolean       NOT NULL DEFAULT true,
    max_runs            integer       CHECK (max_runs >= 1),
    run_count           integer       NOT NULL DEFAULT 0 CHECK (run_count >= 0),
    total_runs          bigint        NOT NULL DEFAULT 0 CHECK (total_runs >= 0),
    last_run            timestamptz,
    next_run            timestamptz,
    notification_email  varchar(320),
    output_destination  varchar(20)   NOT NULL DEFAULT 'storage' CHECK (output_destination IN ('storage', 'webhook', 'email')),
    webhook_url         varchar(2048),
    webhook_secret      varchar(100),
    created_at          timestamptz   NOT NULL DEFAULT now(),
    updated_at          timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id),
    CHECK (CASE schedule_type
               WHEN 'once' THEN run_at IS NOT NULL AND cron_expression IS NULL AND interval_minutes IS NULL
               WHEN 'cron' THEN cron_expression IS NOT NULL AND run_at IS NULL AND interval_minutes IS NULL
               ELSE interval_minutes IS NOT NULL AND run_at IS NOT NULL AND cron_expression IS NULL
           END),
    CHECK (NOT is_active OR next_run IS NOT NULL),
    CHECK (output_destination <> 'webhook' OR (webhook_url IS NOT NULL AND webhook_secret IS NOT NULL)),
    CHECK (output_destination <> 'email' OR notification_email IS NOT NULL)
);

CREATE INDEX scheduled_prompts_user_idx ON {schema}.scheduled_prompts (tenant_id, user_id, created_at DESC);
-- The worker's claim looks across tenants (the only index of a tenant table not led by tenant_id; a plain index,
-- which Citus allows without the distribution column).
CREATE INDEX scheduled_prompts_due_idx ON {schema}.scheduled_prompts (next_run) WHERE is_active;

CREATE TABLE {schema}.scheduled_prompt_runs (
    tenant_id          uuid           NOT NULL,
    id                 uuid           NOT NULL,
    prompt_id          uuid           NOT NULL,
    scheduled_for      timestamptz    NOT NULL,
    run_trigger        varchar(10)    NOT NULL CHECK (run_trigger IN ('schedule', 'manual')),
    status             varchar(20)    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    lease_token        uuid,
    lease_owner        varchar(200),
    lease_expires_at   timestamptz,
    claims             integer        NOT NULL DEFAULT 0 CHECK (claims >= 0),
    attempts           integer        NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    output             text,
    input_tokens       integer        CHECK (input_tokens >= 0),
    output_tokens      integer        CHECK (output_tokens >= 0),
    cost               numeric(18, 6) CHECK (cost >= 0),
    latency_ms         integer        CHECK (latency_ms >= 0),
    error_message      text,
    delivery_status    varchar(20)    CHECK (delivery_status IN ('not_required', 'delivered', 'failed')),
    delivery_attempts  integer        NOT NULL DEFAULT 0 CHECK (delivery_attempts >= 0),
    delivery_error     text,
    started_at         timestamptz,
    completed_at       timestamptz,
    created_at         timestamptz    NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, prompt_id, scheduled_for),
    FOREIGN KEY (tenant_id, prompt_id) REFERENCES {schema}.scheduled_prompts (tenant_id, id) ON DELETE CASCADE,
    CHECK (status <> 'running' OR (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK ((status IN ('completed', 'failed')) = (completed_at IS NOT NULL))
);

CREATE INDEX scheduled_prompt_runs_prompt_idx ON {schema}.scheduled_prompt_runs (tenant_id, prompt_id, created_at DESC);
-- The claim of waiting runs looks across tenants: pending runs in due order, and leases by expiry, so that finding
-- the few expired leases among thousands of running runs reads only those few (a BitmapOr of the two).
CREATE INDEX scheduled_prompt_runs_pending_idx ON {schema}.scheduled_prompt_runs (scheduled_for) WHERE status = 'pending';
CREATE INDEX scheduled_prompt_runs_lease_idx ON {schema}.scheduled_prompt_runs (lease_expires_at) WHERE status = 'running';

ALTER TABLE {schema}.scheduled_prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.scheduled_prompts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.scheduled_prompts
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());
CREATE POLICY scheduler_read ON {schema}.scheduled_prompts FOR SELECT USING ({schema}.in_scheduler_scope());
CREATE POLICY scheduler_advance ON {schema}.scheduled_prompts FOR UPDATE
    USING ({schema}.in_scheduler_scope()) WITH CHECK ({schema}.in_scheduler_scope());

ALTER TABLE {schema}.scheduled_prompt_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.scheduled_prompt_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.scheduled_prompt_runs
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());
CREATE POLICY scheduler_read ON {schema}.scheduled_prompt_runs FOR SELECT USING ({schema}.in_scheduler_scope());
CREATE POLICY scheduler_insert ON {schema}.scheduled_prompt_runs FOR INSERT WITH CHECK ({schema}.in_scheduler_scope());
CREATE POLICY scheduler_lease ON {schema}.scheduled_prompt_runs FOR UPDATE
    USING ({schema}.in_scheduler_scope()) WITH CHECK ({schema}.in_scheduler_scope());

GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.scheduled_prompts, {schema}.scheduled_prompt_runs TO {app_role};
