-- Provider & model registry (seed section 30) and admin-editable pricing (31.3), per tenant.
--
-- Units, everywhere: markups are fractions (0.40 = 40 %), prices are dollars per 1M tokens, money is numeric.
--
-- "System scope": Radiant's own system jobs (the pricing snapshot loader, the registry sync) set
-- radiant.scope = 'system' to READ pricing rows of all tenants and the tenant list. It never grants a write:
-- writes always run with one tenant set.

CREATE FUNCTION {schema}.in_system_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('radiant.scope', true), '') = 'system' $$;

CREATE POLICY tenant_enumeration ON {schema}.tenants FOR SELECT USING ({schema}.in_system_scope());

-- Global catalogue (Citus reference tables). Descriptive fields and list prices come from the catalogue sync.
CREATE TABLE {schema}.providers (
    id            varchar(50)  PRIMARY KEY,
    display_name  varchar(200) NOT NULL,
    api_base      varchar(300) NOT NULL,
    auth_type     varchar(30)  NOT NULL,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.models (
    id                 varchar(100)   PRIMARY KEY,
    provider_id        varchar(50)    NOT NULL REFERENCES {schema}.providers (id),
    display_name       varchar(200)   NOT NULL,
    context_window     integer        NOT NULL CHECK (context_window > 0),
    max_output_tokens  integer        NOT NULL CHECK (max_output_tokens >= 0),
    modalities         text[]         NOT NULL DEFAULT '{}',
    capabilities       text[]         NOT NULL DEFAULT '{}',
    input_price        numeric(12, 6) NOT NULL CHECK (input_price >= 0),
    output_price       numeric(12, 6) NOT NULL CHECK (output_price >= 0),
    is_novel           boolean        NOT NULL DEFAULT false,
    category           varchar(50)    NOT NULL DEFAULT 'general',
    thinktank_enabled  boolean        NOT NULL DEFAULT true,
    display_order      integer        NOT NULL DEFAULT 100,
    created_at         timestamptz    NOT NULL DEFAULT now(),
    updated_at         timestamptz    NOT NULL DEFAULT now(),
    price_updated_at   timestamptz    NOT NULL DEFAULT now()
);

-- What a tenant's admins switched on or off; absent rows mean the catalogue's defaults.
CREATE TABLE {schema}.tenant_model_settings (
    tenant_id          uuid          NOT NULL REFERENCES {schema}.tenants (tenant_id),
    model_id           varchar(100)  NOT NULL REFERENCES {schema}.models (id),
    is_enabled         boolean       NOT NULL DEFAULT true,
    thinktank_enabled  boolean,
    updated_at         timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, model_id)
);

CREATE TABLE {schema}.pricing_config (
    tenant_id                          uuid          PRIMARY KEY REFERENCES {schema}.tenants (tenant_id),
    external_default_markup            numeric(5, 4) NOT NULL DEFAULT 0.40 CHECK (external_default_markup BETWEEN 0 AND 9.9999),
    self_hosted_default_markup         numeric(5, 4) NOT NULL DEFAULT 0.75 CHECK (self_hosted_default_markup BETWEEN 0 AND 9.9999),
    minimum_charge_per_request         numeric(10, 6) NOT NULL DEFAULT 0.001 CHECK (minimum_charge_per_request >= 0),
    price_increase_grace_period_hours  integer       NOT NULL DEFAULT 24 CHECK (price_increase_grace_period_hours BETWEEN 0 AND 168),
    auto_update_from_providers         boolean       NOT NULL DEFAULT true,
    auto_update_frequency              varchar(20)   NOT NULL DEFAULT 'daily' CHECK (auto_update_frequency IN ('hourly', 'daily', 'weekly')),
    last_auto_update                   timestamptz,
    notify_on_price_change             boolean       NOT NULL DEFAULT true,
    notify_threshold_percent           numeric(5, 2) NOT NULL DEFAULT 10.00 CHECK (notify_threshold_percent BETWEEN 0 AND 100),
    updated_by                         uuid,
    created_at                         timestamptz   NOT NULL DEFAULT now(),
    updated_at                         timestamptz   NOT NULL DEFAULT now()
);

-- At most one current and one pending override per tenant and model: the admin service ends the current one where
-- the new one starts, under a lock on the tenant's pricing_config row.
CREATE TABLE {schema}.model_pricing_overrides (
    tenant_id       uuid           NOT NULL REFERENCES {schema}.tenants (tenant_id),
    id              uuid           NOT NULL,
    model_id        varchar(100)   NOT NULL REFERENCES {schema}.models (id),
    markup          numeric(5, 4)  CHECK (markup BETWEEN 0 AND 9.9999),
    input_price     numeric(12, 6) CHECK (input_price >= 0),
    output_price    numeric(12, 6) CHECK (output_price >= 0),
    effective_from  timestamptz    NOT NULL,
    effective_to    timestamptz,
    created_by      uuid,
    created_at      timestamptz    NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (effective_to IS NULL OR effective_to > effective_from),
    CHECK (markup IS NOT NULL OR input_price IS NOT NULL OR output_price IS NOT NULL)
);

CREATE INDEX model_pricing_overrides_model_idx ON {schema}.model_pricing_overrides (tenant_id, model_id, effective_from DESC);

-- A tenant's own base price of a model from a point in time: written by the sync so that a provider's price rise
-- reaches a tenant only after its grace period, or never when the tenant turned auto-update off.
CREATE TABLE {schema}.tenant_base_prices (
    tenant_id       uuid           NOT NULL REFERENCES {schema}.tenants (tenant_id),
    model_id        varchar(100)   NOT NULL REFERENCES {schema}.models (id),
    effective_from  timestamptz    NOT NULL,
    input_price     numeric(12, 6) NOT NULL CHECK (input_price >= 0),
    output_price    numeric(12, 6) NOT NULL CHECK (output_price >= 0),
    PRIMARY KEY (tenant_id, model_id, effective_from)
);

CREATE TABLE {schema}.price_history (
    tenant_id              uuid           NOT NULL REFERENCES {schema}.tenants (tenant_id),
    id                     uuid           NOT NULL,
    model_id               varchar(100)   NOT NULL REFERENCES {schema}.models (id),
    previous_input_price   numeric(12, 6),
    previous_output_price  numeric(12, 6),
    previous_markup        numeric(5, 4),
    new_input_price        numeric(12, 6),
    new_output_price       numeric(12, 6),
    new_markup             numeric(5, 4),
    change_source          varchar(20)    NOT NULL CHECK (change_source IN ('admin', 'bulk_update', 'auto_sync')),
    changed_by             uuid,
    effective_from         timestamptz    NOT NULL,
    created_at             timestamptz    NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX price_history_created_idx ON {schema}.price_history (tenant_id, created_at DESC, id DESC);
CREATE INDEX price_history_model_idx ON {schema}.price_history (tenant_id, model_id, created_at DESC, id DESC);

-- Row-level security: the tenant's own rows; the system scope may read pricing rows, never write them.
ALTER TABLE {schema}.tenant_model_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.tenant_model_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.tenant_model_settings
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());

ALTER TABLE {schema}.pricing_config ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.pricing_config FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.pricing_config
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());
CREATE POLICY system_read ON {schema}.pricing_config FOR SELECT USING ({schema}.in_system_scope());

ALTER TABLE {schema}.model_pricing_overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.model_pricing_overrides FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.model_pricing_overrides
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());
CREATE POLICY system_read ON {schema}.model_pricing_overrides FOR SELECT USING ({schema}.in_system_scope());

ALTER TABLE {schema}.tenant_base_prices ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.tenant_base_prices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.tenant_base_prices
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());
CREATE POLICY system_read ON {schema}.tenant_base_prices FOR SELECT USING ({schema}.in_system_scope());

ALTER TABLE {schema}.price_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.price_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {schema}.price_history
    USING (tenant_id = {schema}.current_tenant_id()) WITH CHECK (tenant_id = {schema}.current_tenant_id());

-- The database's own effective price for the current tenant at an instant: the same rules as the engine
-- (Radiant.Pricing.PricingRules). Defaults here must equal TenantPricingConfig.Default (a test compares them).
CREATE FUNCTION {schema}.effective_model_prices(p_model_id text, p_at timestamptz)
RETURNS TABLE (
    model_id text, display_name text, provider_id text, is_novel boolean, category text,
    base_input_price numeric, base_output_price numeric, effective_markup numeric,
    user_input_price numeric, user_output_price numeric, minimum_charge numeric,
    has_override boolean, override_effective_from timestamptz, override_effective_to timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT m.id, m.display_name, m.provider_id, m.is_novel, m.category,
           p.base_input, p.base_output, p.markup,
           round(p.base_input * (1 + p.markup), 6), round(p.base_output * (1 + p.markup), 6),
           coalesce(c.minimum_charge_per_request, 0.001),
           o.id IS NOT NULL, o.effective_from, o.effective_to
    FROM {schema}.models m
    LEFT JOIN {schema}.pricing_config c ON c.tenant_id = {schema}.current_tenant_id()
    LEFT JOIN LATERAL (
        SELECT b.input_price, b.output_price FROM {schema}.tenant_base_prices b
        WHERE b.tenant_id = {schema}.current_tenant_id() AND b.model_id = m.id AND b.effective_from <= p_at
        ORDER BY b.effective_from DESC LIMIT 1) b ON true
    LEFT JOIN LATERAL (
        SELECT o.id, o.markup, o.input_price, o.output_price, o.effective_from, o.effective_to FROM {schema}.model_pricing_overrides o
        WHERE o.tenant_id = {schema}.current_tenant_id() AND o.model_id = m.id
          AND o.effective_from <= p_at AND (o.effective_to IS NULL OR o.effective_to > p_at)
        ORDER BY o.effective_from DESC LIMIT 1) o ON true
    CROSS JOIN LATERAL (SELECT
        coalesce(o.input_price, b.input_price, m.input_price) AS base_input,
        coalesce(o.output_price, b.output_price, m.output_price) AS base_output,
        coalesce(o.markup, CASE WHEN m.provider_id = 'self_hosted'
                                THEN coalesce(c.self_hosted_default_markup, 0.75)
                                ELSE coalesce(c.external_default_markup, 0.40) END) AS markup) p
    WHERE {schema}.current_tenant_id() IS NOT NULL AND (p_model_id IS NULL OR m.id = p_model_id)
$$;

CREATE VIEW {schema}.effective_model_pricing WITH (security_invoker = true) AS
    SELECT * FROM {schema}.effective_model_prices(NULL, now());

-- Multiplying by 0.000001 rather than dividing keeps numeric arithmetic exact.
-- One quote, the way the seed priced a request: a query per quote. Kept as the reference the engine is tested
-- and benchmarked against.
CREATE FUNCTION {schema}.quote_price(p_model_id text, p_input integer, p_output integer, p_at timestamptz)
RETURNS TABLE (base_cost numeric, effective_markup numeric, user_input_price numeric, user_output_price numeric,
               charge numeric, has_override boolean)
LANGUAGE sql STABLE
AS $$
    SELECT (p_input * e.base_input_price + p_output * e.base_output_price) * 0.000001,
           e.effective_markup, e.user_input_price, e.user_output_price,
           greatest(round((p_input * e.user_input_price + p_output * e.user_output_price) * 0.000001, 6), e.minimum_charge),
           e.has_override
    FROM {schema}.effective_model_prices(p_model_id, p_at) e
$$;

GRANT SELECT, INSERT, UPDATE ON {schema}.providers, {schema}.models TO {app_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.tenant_model_settings, {schema}.pricing_config,
    {schema}.model_pricing_overrides, {schema}.tenant_base_prices, {schema}.price_history TO {app_role};
GRANT SELECT ON {schema}.effective_model_pricing TO {app_role};
