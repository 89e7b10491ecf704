-- Model selection: each tenant's seven domain modes and each user's model preferences.
--
-- A row exists only once something was changed: a tenant without a domain_modes row for a mode, and a user without a
-- model_preferences row, have the defaults the services return. Model ids in single columns reference the global
-- catalogue; the lists (favourites, recent models) are text[] so that toggling a favourite and recording a use are
-- each one atomic UPDATE of the user's row, and the per-domain-mode overrides a jsonb object (mode name -> model id).

CREATE TABLE {schema}.domain_modes (
    tenant_id               uuid          NOT NULL REFERENCES {schema}.tenants (tenant_id),
    mode                    varchar(20)   NOT NULL
                            CHECK (mode IN ('general', 'medical', 'legal', 'code', 'academic', 'creative', 'scientific')),
    enabled                 boolean       NOT NULL DEFAULT true,
    default_model_id        varchar(100)  REFERENCES {schema}.models (id),  -- NULL: auto (the router chooses)
    temperature             numeric(3, 2) NOT NULL DEFAULT 0.70 CHECK (temperature BETWEEN 0 AND 2),
    system_prompt_override  text          CHECK (length(system_prompt_override) BETWEEN 1 AND 20000),
    updated_by              uuid,
    created_at              timestamptz   NOT NULL DEFAULT now(),
    updated_at              timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, mode)
);

SELECT {schema}.isolate_by_tenant('{schema}.domain_modes');

CREATE TABLE {schema}.model_preferences (
    tenant_id                    uuid          NOT NULL,
    user_id                      uuid          NOT NULL,
    selection_mode               varchar(20)   NOT NULL DEFAULT 'auto' CHECK (selection_mode IN ('auto', 'manual', 'favorites')),
    default_model_id             varchar(100)  REFERENCES {schema}.models (id),
    favorite_models              text[]        NOT NULL DEFAULT '{}',
    show_standard_models         boolean       NOT NULL DEFAULT true,
    show_novel_models            boolean       NOT NULL DEFAULT true,
    show_self_hosted_models      boolean       NOT NULL DEFAULT false,
    show_cost_per_message        boolean       NOT NULL DEFAULT true,
    max_cost_per_message         numeric(10, 6) CHECK (max_cost_per_message >= 0),  -- NULL: no limit
    prefer_cost_optimization     boolean       NOT NULL DEFAULT false,
    domain_mode_model_overrides  jsonb         NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(domain_mode_model_overrides) = 'object'),
    recent_models                text[]        NOT NULL DEFAULT '{}' CHECK (cardinality(recent_models) <= 10),
    created_at                   timestamptz   NOT NULL DEFAULT now(),
    updated_at                   timestamptz,  -- when the user last changed a preference (recording a use is not one)
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES {schema}.users (tenant_id, user_id),
    CONSTRAINT model_preferences_favorites_bound CHECK (cardinality(favorite_models) <= 100)
);

-- Preferences are the user's own: the tenant policy, and a restrictive one that keeps every row to its user.
SELECT {schema}.isolate_by_tenant('{schema}.model_preferences');
CREATE POLICY owner_only ON {schema}.model_preferences AS RESTRICTIVE
    USING (user_id = (SELECT {schema}.current_user_id()))
    WITH CHECK (user_id = (SELECT {schema}.current_user_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.domain_modes, {schema}.model_preferences TO {app_role};
