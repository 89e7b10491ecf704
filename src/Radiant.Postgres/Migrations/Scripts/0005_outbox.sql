-- The outbox: notifications to the host's interfaces (IPriceChangeNotifier, ITeamUsageNotifier), written in the
-- transaction of the change that raised them and delivered once it committed, retried until the host's notifier
-- succeeds. A notifier that throws never fails a change that committed, and a change that rolled back notifies nobody.

-- The row-level security every tenant table gets, written once for the tables of this and later migrations: enabled,
-- forced, and a policy that fails closed (no tenant set: no row). Not callable by the application role.
CREATE FUNCTION {schema}.isolate_by_tenant(p_table regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = {schema}.current_tenant_id()) '
                   'WITH CHECK (tenant_id = {schema}.current_tenant_id())', p_table);
END
$$;
REVOKE ALL ON FUNCTION {schema}.isolate_by_tenant(regclass) FROM PUBLIC;

-- The dispatcher's scope: claim, settle and delete notifications across tenants; nothing else.
CREATE FUNCTION {schema}.in_outbox_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('radiant.scope', true), '') = 'outbox' $$;

CREATE TABLE {schema}.outbox (
    tenant_id     uuid         NOT NULL REFERENCES {schema}.tenants (tenant_id),
    id            uuid         NOT NULL,
    topic         varchar(40)  NOT NULL CHECK (topic IN ('price_change', 'team_usage_warning')),
    payload       jsonb        NOT NULL,
    attempts      integer      NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    available_at  timestamptz  NOT NULL DEFAULT now(),
    last_error    text,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- The dispatcher's claim looks across tenants (a plain index, like the scheduler's claim indexes).
CREATE INDEX outbox_available_idx ON {schema}.outbox (available_at);

SELECT {schema}.isolate_by_tenant('{schema}.outbox');
CREATE POLICY outbox_claim ON {schema}.outbox FOR SELECT USING ({schema}.in_outbox_scope());
CREATE POLICY outbox_settle ON {schema}.outbox FOR UPDATE USING ({schema}.in_outbox_scope()) WITH CHECK ({schema}.in_outbox_scope());
CREATE POLICY outbox_done ON {schema}.outbox FOR DELETE USING ({schema}.in_outbox_scope());

GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.outbox TO {app_role};
