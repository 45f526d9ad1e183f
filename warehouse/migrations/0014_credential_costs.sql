-- What each GitHub credential of a pool cost in a sync run (issue 13): the requests it sent and the budget
-- GitHub charged it (GraphQL points + billed REST answers: not a 304, a 401, a rate-limit refusal or a 5xx),
-- and why GitHub rejected it, if it did (the credential then left the pool and the run went on without it).
-- A credential is its *name* (the environment variable's, or app-<installation id>), never its secret.
-- Written with each batch that carries a partition's costs, in the batch's own transaction (like
-- sync_partitions): a run that crashes keeps what its stored batches cost, and a batch is loaded once.
-- Operational, like the rest of sync_runs.  `ladder runs` lists them under their run; `ladder doctor`
-- warns about a credential the last GitHub run found rejected.
-- Grain: one row per (run_id, credential).
CREATE TABLE sync_run_credentials (
    run_id                 VARCHAR NOT NULL,
    source                 VARCHAR NOT NULL,
    credential             VARCHAR NOT NULL,
    requests               BIGINT NOT NULL DEFAULT 0,
    budget_points          BIGINT NOT NULL DEFAULT 0,
    rejected               VARCHAR,               -- why GitHub rejected it in this run (NULL: it was not)
    PRIMARY KEY (run_id, credential)
);
