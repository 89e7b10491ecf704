-- Radiant foundation: tenants, users, focus modes and personas (seed section 25).
--
-- {schema} and {app_role} are replaced by quoted identifiers before this script runs; the checksum is taken of
-- this text as written, so editing an applied migration is detected.
--
-- Tenancy rules every tenant-owned table follows:
--   * tenant_id is the leading column of the primary key, of every foreign key and of every index, so the
--     schema can be distributed by tenant (Citus) when one server is no longer enough;
--   * row-level security is ENABLED and FORCED, with policies that fail closed: with no tenant set,
--     current_tenant_id() is NULL and no row matches;
--   * the application role gets DML only; it owns nothing and cannot bypass RLS.

CREATE FUNCTION {schema}.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('radiant.tenant_id', true), '')::uuid $$;

CREATE FUNCTION {schema}.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('radiant.user_id', true), '')::uuid $$;

-- Tenants and users: the seed references these without defining them. Radiant keeps the minimum it needs;
-- identity stays with the host and rows are provisioned just in time from the caller's claims.
CREATE TABLE {schema}.tenants (
    tenant_id   uuid         PRIMARY KEY,
    name        varchar(200) NOT NULL CHECK (length(name) > 0),
    created_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.users (
    tenant_id     uuid         NOT NULL REFERENCES {schema}.tenants (tenant_id),
    user_id       uuid         NOT NULL,
    email         varchar(320),
    display_name  varchar(200),
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

-- System focus modes are a global catalogue (a Citus reference table): read-only to the application.
CREATE TABLE {schema}.system_focus_modes (
    id             uuid         PRIMARY KEY,
    mode_name      varchar(100) NOT NULL UNIQUE,
    display_name   varchar(200) NOT NULL,
    description    text,
    icon           varchar(50),
    system_prompt  text         NOT NULL,
    default_model  varchar(100),
    settings       jsonb        NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    is_active      boolean      NOT NULL DEFAULT true,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.focus_modes (
    tenant_id      uuid         NOT NULL REFERENCES {schema}.tenants (tenant_id),
    id             uuid         NOT NULL,
    mode_name      varchar(100) NOT NULL CHECK (length(mode_name) > 0),
    display_name   varchar(200) NOT NULL CHECK (length(display_name) > 0),
    description    text,
    icon           varchar(50),
    system_prompt  text         NOT NULL CHECK (length(system_prompt) > 0),
    default_model  varchar(100),
    settings       jsonb        NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    is_active      boolean      NOT NULL DEFAULT true,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, mode_name)
);

CREATE TABLE {schema}.user_personas (
    tenant_id           uuid         NOT NULL,
    id                  uuid         NOT NULL,
    user_id             uuid         NOT NULL,
    persona_name        varchar(100) NOT NULL CHECK (length(persona_name) > 0),
    display_name        varchar(200),
    avatar_url          varchar(500),
    system_prompt       text         NOT NULL CHECK (length(system_prompt) > 0),
    voice_id            varchar(100),
    personality_traits  text[]       NOT NULL DEFAULT '{}' CHECK (cardinality(personality_traits) <= 20),
    knowledge_domains   text[]       NOT NULL DEFAULT '{}' CHECK (cardinality(knowledge_domains) <= 20),
    conversation_style  jsonb        NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(conversation_style) = 'object'),
    is_public           boolean      NOT NULL DEFAULT false,
    usage_count         bigint       NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);

CREATE INDEX user_personas_owner_idx ON {schema}.user_personas (tenant_id, user_id, usage_count DESC);
CREATE INDEX user_personas_public_idx ON {schema}.user_personas (tenant_id, usage_count DESC) WHERE is_public;

CREATE TABLE {schema}.persona_usage_log (
    tenant_id    uuid         NOT NULL,
    id           uuid         NOT NULL,
    persona_id   uuid         NOT NULL,
    user_id      uuid         NOT NULL,
    chat_id      uuid,
    tokens_used  integer      CHECK (tokens_used >= 0),
    created_at   timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, persona_id) REFERENCES {schema}.user_personas (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id)
);

CREATE INDEX persona_usage_log_persona_idx ON {schema}.persona_usage_log (tenant_id, persona_id, created_at DESC);
CREATE INDEX persona_usage_log_user_idx ON {schema}.persona_usage_log (tenant_id, user_id);

-- Row-level security.
ALTER TABLE {schema}.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.tenants
    USING (tenant_id = {schema}.current_tenant_id())
    WITH CHECK (tenant_id = {schema}.current_tenant_id());

ALTER TABLE {schema}.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.users
    USING (tenant_id = {schema}.current_tenant_id())
    WITH CHECK (tenant_id = {schema}.current_tenant_id());

ALTER TABLE {schema}.focus_modes ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.focus_modes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.focus_modes
    USING (tenant_id = {schema}.current_tenant_id())
    WITH CHECK (tenant_id = {schema}.current_tenant_id());

-- Personas: the owner sees and writes their own; the tenant sees public ones. Only the owner may insert or delete.
-- A non-owner may update a public persona at this level only to count a use: the trigger below refuses anything else.
ALTER TABLE {schema}.user_personas ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.user_personas FORCE ROW LEVEL SECURITY;
CREATE POLICY persona_read ON {schema}.user_personas FOR SELECT
    USING (tenant_id = {schema}.current_tenant_id() AND (user_id = {schema}.current_user_id() OR is_public));
CREATE POLICY persona_insert ON {schema}.user_personas FOR INSERT
    WITH CHECK (tenant_id = {schema}.current_tenant_id() AND user_id = {schema}.current_user_id());
CREATE POLICY persona_update ON {schema}.user_personas FOR UPDATE
    USING (tenant_id = {schema}.current_tenant_id() AND (user_id = {schema}.current_user_id() OR is_public))
    WITH CHECK (tenant_id = {schema}.current_tenant_id() AND (user_id = {schema}.current_user_id() OR is_public));
CREATE POLICY persona_delete ON {schema}.user_personas FOR DELETE
    USING (tenant_id = {schema}.current_tenant_id() AND user_id = {schema}.current_user_id());

CREATE FUNCTION {schema}.guard_persona_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.user_id IS DISTINCT FROM {schema}.current_user_id()
       AND (to_jsonb(NEW) - 'usage_count') IS DISTINCT FROM (to_jsonb(OLD) - 'usage_count') THEN
        RAISE EXCEPTION 'only the owner may change persona %', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER guard_persona_update BEFORE UPDATE ON {schema}.user_personas
    FOR EACH ROW EXECUTE FUNCTION {schema}.guard_persona_update();

-- The usage log is visible to the tenant (a public persona's owner sees its use); a row is always the caller's own.
ALTER TABLE {schema}.persona_usage_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.persona_usage_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.persona_usage_log
    USING (tenant_id = {schema}.current_tenant_id())
    WITH CHECK (tenant_id = {schema}.current_tenant_id() AND user_id = {schema}.current_user_id());

-- Privileges of the application role: DML on tenant tables, read-only on the catalogue.
GRANT USAGE ON SCHEMA {schema} TO {app_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.tenants, {schema}.users, {schema}.focus_modes,
    {schema}.user_personas, {schema}.persona_usage_log TO {app_role};
GRANT SELECT ON {schema}.system_focus_modes TO {app_role};

-- The five system focus modes of the seed, with fixed ids so that clients can rely on them.
INSERT INTO {schema}.system_focus_modes (id, mode_name, display_name, description, icon, system_prompt) VALUES
('6f0c2a1e-0000-4000-8000-000000000001', 'general', 'General Assistant', 'Versatile AI for any task', 'MessageSquare',
 'You are a helpful, harmless, and honest AI assistant.'),
('6f0c2a1e-0000-4000-8000-000000000002', 'code', 'Code Expert', 'Programming and development focus', 'Code',
 'You are an expert software developer. Focus on clean, efficient, well-documented code. Explain your reasoning and suggest best practices.'),
('6f0c2a1e-0000-4000-8000-000000000003', 'writer', 'Creative Writer', 'Creative writing and content creation', 'PenTool',
 'You are a creative writing assistant. Help with storytelling, content creation, and writing improvement. Be imaginative and expressive.'),
('6f0c2a1e-0000-4000-8000-000000000004', 'analyst', 'Data Analyst', 'Data analysis and insights', 'BarChart',
 'You are a data analyst. Focus on extracting insights, identifying patterns, and presenting findings clearly. Be precise and methodical.'),
('6f0c2a1e-0000-4000-8000-000000000005', 'researcher', 'Research Assistant', 'Deep research and fact-finding', 'Search',
 'You are a research assistant. Provide thorough, well-sourced information. Verify facts and present balanced perspectives.');
