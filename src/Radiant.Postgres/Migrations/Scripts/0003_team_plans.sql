-- Family & team plans with a monthly token pool (seed section 27).
--
-- Concurrency rules live in the statements that use these tables: usage is one conditional UPDATE of the plan row
-- (which also serializes a team's usage) followed by the member's conditional UPDATE in the same transaction;
-- invitations lock the plan row before counting seats. One active owner per plan is a unique index.

CREATE TABLE {schema}.team_plans (
    tenant_id               uuid          NOT NULL REFERENCES {schema}.tenants (tenant_id),
    id                      uuid          NOT NULL,
    plan_name               varchar(100)  NOT NULL CHECK (length(plan_name) > 0),
    plan_type               varchar(20)   NOT NULL CHECK (plan_type IN ('family', 'team', 'enterprise')),
    owner_id                uuid          NOT NULL,
    max_members             integer       NOT NULL CHECK (max_members BETWEEN 1 AND 10000),
    total_tokens_monthly    bigint        NOT NULL CHECK (total_tokens_monthly > 0),
    shared_pool             boolean       NOT NULL DEFAULT true,
    billing_email           varchar(320),
    is_active               boolean       NOT NULL DEFAULT true,
    tokens_used_this_period bigint        NOT NULL DEFAULT 0 CHECK (tokens_used_this_period >= 0),
    period_anchor           timestamptz   NOT NULL,
    current_period_start    timestamptz   NOT NULL,
    current_period_end      timestamptz   NOT NULL,
    created_at              timestamptz   NOT NULL DEFAULT now(),
    updated_at              timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES {schema}.users (tenant_id, user_id),
    CHECK (current_period_end > current_period_start)
);

CREATE INDEX team_plans_period_end_idx ON {schema}.team_plans (tenant_id, current_period_end);

CREATE TABLE {schema}.team_members (
    tenant_id                uuid         NOT NULL,
    team_id                  uuid         NOT NULL,
    user_id                  uuid         NOT NULL,
    role                     varchar(20)  NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    status                   varchar(20)  NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'declined', 'removed')),
    token_allocation         bigint       CHECK (token_allocation >= 0),
    tokens_used_this_period  bigint       NOT NULL DEFAULT 0 CHECK (tokens_used_this_period >= 0),
    invited_by               uuid,
    invited_at               timestamptz  NOT NULL DEFAULT now(),
    accepted_at              timestamptz,
    removed_at               timestamptz,
    PRIMARY KEY (tenant_id, team_id, user_id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES {schema}.team_plans (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);

CREATE UNIQUE INDEX team_members_one_owner_idx ON {schema}.team_members (tenant_id, team_id) WHERE role = 'owner' AND status = 'active';
CREATE INDEX team_members_user_idx ON {schema}.team_members (tenant_id, user_id);

CREATE TABLE {schema}.team_usage_log (
    tenant_id     uuid          NOT NULL,
    id            uuid          NOT NULL,
    team_id       uuid          NOT NULL,
    user_id       uuid          NOT NULL,
    tokens_used   bigint        NOT NULL CHECK (tokens_used > 0),
    model         varchar(100),
    usage_type    varchar(50),
    period_start  timestamptz   NOT NULL,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id, user_id) REFERENCES {schema}.team_members (tenant_id, team_id, user_id) ON DELETE CASCADE
);

CREATE INDEX team_usage_log_team_idx ON {schema}.team_usage_log (tenant_id, team_id, created_at DESC);

-- Finished periods, kept for history.
CREATE TABLE {schema}.team_periods (
    tenant_id             uuid         NOT NULL,
    team_id               uuid         NOT NULL,
    period_start          timestamptz  NOT NULL,
    period_end            timestamptz  NOT NULL,
    total_tokens_monthly  bigint       NOT NULL,
    tokens_used           bigint       NOT NULL,
    closed_at             timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, team_id, period_start),
    FOREIGN KEY (tenant_id, team_id) REFERENCES {schema}.team_plans (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE {schema}.team_member_periods (
    tenant_id         uuid         NOT NULL,
    team_id           uuid         NOT NULL,
    period_start      timestamptz  NOT NULL,
    user_id           uuid         NOT NULL,
    tokens_used       bigint       NOT NULL,
    token_allocation  bigint,
    PRIMARY KEY (tenant_id, team_id, period_start, user_id),
    FOREIGN KEY (tenant_id, team_id, period_start) REFERENCES {schema}.team_periods (tenant_id, team_id, period_start) ON DELETE CASCADE
);

-- 80 % / 100 % warnings already raised: the key makes each one once per threshold per period.
CREATE TABLE {schema}.team_usage_warnings (
    tenant_id     uuid         NOT NULL,
    team_id       uuid         NOT NULL,
    period_start  timestamptz  NOT NULL,
    subject_id    uuid         NOT NULL,
    threshold     smallint     NOT NULL CHECK (threshold IN (80, 100)),
    raised_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, team_id, period_start, subject_id, threshold),
    FOREIGN KEY (tenant_id, team_id) REFERENCES {schema}.team_plans (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE {schema}.team_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.team_plans FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.team_plans
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());
-- The period roll-over job finds due plans across tenants (read only), then rolls each over with its tenant set.
CREATE POLICY system_read ON {schema}.team_plans FOR SELECT USING ({schema}.in_system_scope());

ALTER TABLE {schema}.team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.team_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.team_members
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());

ALTER TABLE {schema}.team_usage_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.team_usage_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.team_usage_log
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());

ALTER TABLE {schema}.team_periods ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.team_periods FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.team_periods
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());

ALTER TABLE {schema}.team_member_periods ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.team_member_periods FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.team_member_periods
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());

ALTER TABLE {schema}.team_usage_warnings ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.team_usage_warnings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.team_usage_warnings
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.team_plans, {schema}.team_members, {schema}.team_usage_log,
    {schema}.team_periods, {schema}.team_member_periods, {schema}.team_usage_warnings TO {app_role};
