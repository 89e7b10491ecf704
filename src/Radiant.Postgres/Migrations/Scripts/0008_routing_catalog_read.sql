-- The model router decides in memory from a snapshot of every tenant's model switches, loaded in the system scope
-- like the pricing snapshot. The system scope may read the switches, never write them (writes run as one tenant).
CREATE POLICY system_read ON {schema}.tenant_model_settings FOR SELECT USING ((SELECT {schema}.in_system_scope()));
