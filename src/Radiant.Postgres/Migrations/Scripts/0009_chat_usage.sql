-- Chat usage: one narrow record per provider call the chat pipeline makes (a fallback writes one per attempt).
--
-- Written once and never updated (analytics reads them, issue 13): no prompt or reply text, only what the call
-- consumed and cost. (tenant_id, request_id, attempt) is unique, so recording the same call twice — a retried commit,
-- a concurrent duplicate of a request — keeps the first record and charges once.

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
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, request_id, attempt),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);

-- Analytics reads a tenant's records by time, and a user's own.
CREATE INDEX usage_records_tenant_time ON {schema}.usage_records (tenant_id, created_at);
CREATE INDEX usage_records_user_time ON {schema}.usage_records (tenant_id, user_id, created_at);

SELECT {schema}.isolate_by_tenant('{schema}.usage_records');

-- Written once: the application role may add and read records, never change or remove them.
GRANT SELECT, INSERT ON {schema}.usage_records TO {app_role};
