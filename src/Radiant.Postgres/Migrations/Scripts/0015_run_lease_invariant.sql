-- Leaner scheduled-prompt runs for the worker's hot path (issue 15).
--
-- 1. A lease token only on a running run. 0004 required a running run to hold a lease; this adds the converse, which
--    the worker already keeps (the claim sets a token with status 'running'; recording and hand-back clear it). The
--    worker's recording then finds its runs by primary key and token alone: a status predicate matched the partial
--    index of running leases, and a planner whose statistics lagged behind a burst of claims read every running run of
--    the tenant through it for each recording batch.
-- 2. No index of runs by creation time. A schedule's runs are listed newest occurrence first through the unique key
--    (tenant_id, prompt_id, scheduled_for), which also serves the cascade from a deleted schedule; the index on
--    (tenant_id, prompt_id, created_at) cost two entries per run (the claim's insert and the recording's update) and
--    offered the planner a scan of a tenant's whole history where a primary-key lookup was meant.
ALTER TABLE {schema}.scheduled_prompt_runs
    ADD CONSTRAINT scheduled_prompt_runs_lease_only_running CHECK (lease_token IS NULL OR status = 'running') NOT VALID;
ALTER TABLE {schema}.scheduled_prompt_runs VALIDATE CONSTRAINT scheduled_prompt_runs_lease_only_running;

DROP INDEX {schema}.scheduled_prompt_runs_prompt_idx;
