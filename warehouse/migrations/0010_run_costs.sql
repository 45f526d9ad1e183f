-- What each sync run cost (issue 13): items read, requests sent and API budget spent, and the task
-- runner that ran it, beside the run's outcome.  `ladder runs` lists them; `ladder doctor` reads the
-- last successful run of each source.  Operational, like the rest of sync_runs.
ALTER TABLE sync_runs ADD COLUMN items BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN requests BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN budget_points BIGINT NOT NULL DEFAULT 0;   -- GitHub GraphQL points + REST requests; Jira requests
ALTER TABLE sync_runs ADD COLUMN task_runner VARCHAR;
