-- Sync health (issues 15 and 16): every sync run, every partition's last outcome, the items that
-- could not be parsed, and the answers kept for conditional requests.  Operational tables, written in the same transaction as the batch
-- they describe; not data, so not part of the content fingerprint.

-- Grain: one row per run of one source's sync stage (roster, github, jira).
CREATE TABLE sync_runs (
    run_id                 VARCHAR PRIMARY KEY,
    source                 VARCHAR NOT NULL,
    started_at             TIMESTAMPTZ NOT NULL,
    finished_at            TIMESTAMPTZ,
    status                 VARCHAR NOT NULL,      -- running | ok | partial | failed
    partitions_ok          INTEGER NOT NULL DEFAULT 0,
    partitions_failed      INTEGER NOT NULL DEFAULT 0,
    records_quarantined    INTEGER NOT NULL DEFAULT 0,
    error                  VARCHAR
);

-- Grain: one row per (source, partition) ever attempted: its latest outcome.
CREATE TABLE sync_partitions (
    source                 VARCHAR NOT NULL,
    "partition"            VARCHAR NOT NULL,
    last_attempt_at        TIMESTAMPTZ NOT NULL,
    last_success_at        TIMESTAMPTZ,
    last_failure_at        TIMESTAMPTZ,
    consecutive_failures   INTEGER NOT NULL DEFAULT 0,
    last_error             VARCHAR,
    last_run_id            VARCHAR,
    PRIMARY KEY (source, "partition")
);

-- Grain: one row per (source, item): an item (a PR, an issue, a comment, or an unusable answer
-- behind a failed partition) that could not be parsed, raw, with the error.  Deleted when the
-- item is later stored (a record with source_id = item) or, for answers and unnamed items, when
-- its partition completes in a later run without it.
CREATE TABLE quarantined_records (
    source                 VARCHAR NOT NULL,
    "partition"            VARCHAR NOT NULL,
    item                   VARCHAR NOT NULL,
    kind                   VARCHAR NOT NULL,      -- record | anonymous | answer
    error                  VARCHAR NOT NULL,
    raw                    VARCHAR NOT NULL,
    first_seen_at          TIMESTAMPTZ NOT NULL,
    last_seen_at           TIMESTAMPTZ NOT NULL,
    times                  INTEGER NOT NULL,
    run_id                 VARCHAR,
    PRIMARY KEY (source, item)
);

-- Grain: one row per request (path and sorted query, no host) whose answer is kept across nights for
-- conditional requests: sent again with If-None-Match: etag, a 304 means body is still the answer.
CREATE TABLE http_cache (
    "key"                  VARCHAR PRIMARY KEY,
    etag                   VARCHAR NOT NULL,
    body                   VARCHAR NOT NULL,
    stored_at              TIMESTAMPTZ NOT NULL
);
