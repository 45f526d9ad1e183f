-- Raw layer: one table per record type of miners/records.py (table = Record.TABLE),
-- plus the sync cursors.  Grain of every raw_* table: one row per source object
-- (source_id is unique within the table and is the upsert key).  Columns are the
-- record's fields plus content_hash (sha256 of the content without fetched_at and
-- raw); tuples are VARCHAR[], the sanitized payload is JSON.  A test checks this
-- DDL against the dataclasses, so a new record field needs a new migration.

-- PersonRecord
CREATE TABLE raw_roster_people (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    person_id              VARCHAR NOT NULL,
    name                   VARCHAR NOT NULL,
    emails                 VARCHAR[] NOT NULL,
    github_logins          VARCHAR[] NOT NULL,
    jira_account_ids       VARCHAR[] NOT NULL,
    team_id                VARCHAR,
    manager_id             VARCHAR,
    level                  VARCHAR,
    level_rank             BIGINT,
    start_date             DATE,
    is_service_account     BOOLEAN NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- TeamRecord
CREATE TABLE raw_roster_teams (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    team_id                VARCHAR NOT NULL,
    name                   VARCHAR NOT NULL,
    parent_id              VARCHAR,
    repo_globs             VARCHAR[] NOT NULL,
    jira_projects          VARCHAR[] NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- RepoRecord
CREATE TABLE raw_github_repos (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    full_name              VARCHAR NOT NULL,
    org                    VARCHAR NOT NULL,
    name                   VARCHAR NOT NULL,
    archived               BOOLEAN NOT NULL,
    default_branch         VARCHAR,
    content_hash           VARCHAR NOT NULL
);

-- PullRequestRecord
CREATE TABLE raw_github_pull_requests (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    author_login           VARCHAR,
    author_type            VARCHAR,
    title                  VARCHAR NOT NULL,
    body                   VARCHAR,
    state                  VARCHAR NOT NULL,
    draft                  BOOLEAN NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    closed_at              TIMESTAMPTZ,
    merged_at              TIMESTAMPTZ,
    additions              BIGINT,
    deletions              BIGINT,
    labels                 VARCHAR[] NOT NULL,
    requested_reviewers    VARCHAR[] NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- PullRequestFileRecord
CREATE TABLE raw_github_pull_request_files (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    path                   VARCHAR NOT NULL,
    additions              BIGINT NOT NULL,
    deletions              BIGINT NOT NULL,
    status                 VARCHAR,
    content_hash           VARCHAR NOT NULL
);

-- ReviewRecord
CREATE TABLE raw_github_reviews (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    review_id              BIGINT NOT NULL,
    author_login           VARCHAR,
    author_type            VARCHAR,
    state                  VARCHAR NOT NULL,
    body                   VARCHAR,
    submitted_at           TIMESTAMPTZ,
    content_hash           VARCHAR NOT NULL
);

-- ReviewCommentRecord
CREATE TABLE raw_github_review_comments (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    comment_id             BIGINT NOT NULL,
    review_id              BIGINT,
    author_login           VARCHAR,
    author_type            VARCHAR,
    body                   VARCHAR,
    path                   VARCHAR,
    line                   BIGINT,
    in_reply_to_id         BIGINT,
    created_at             TIMESTAMPTZ NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- IssueCommentRecord
CREATE TABLE raw_github_issue_comments (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    comment_id             BIGINT NOT NULL,
    author_login           VARCHAR,
    author_type            VARCHAR,
    body                   VARCHAR,
    created_at             TIMESTAMPTZ NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- JiraIssueRecord
CREATE TABLE raw_jira_issues (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    key                    VARCHAR NOT NULL,
    issue_id               VARCHAR NOT NULL,
    project                VARCHAR NOT NULL,
    issue_type             VARCHAR NOT NULL,
    summary                VARCHAR NOT NULL,
    description            VARCHAR,
    status                 VARCHAR NOT NULL,
    status_category        VARCHAR,
    priority               VARCHAR,
    reporter_id            VARCHAR,
    assignee_id            VARCHAR,
    created_at             TIMESTAMPTZ NOT NULL,
    resolved_at            TIMESTAMPTZ,
    due_date               DATE,
    labels                 VARCHAR[] NOT NULL,
    components             VARCHAR[] NOT NULL,
    parent_key             VARCHAR,
    is_incident            BOOLEAN NOT NULL,
    severity               VARCHAR,
    commander_id           VARCHAR,
    postmortem_url         VARCHAR,
    content_hash           VARCHAR NOT NULL
);

-- JiraLinkRecord
CREATE TABLE raw_jira_links (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    issue_key              VARCHAR NOT NULL,
    link_type              VARCHAR NOT NULL,
    direction              VARCHAR NOT NULL,
    description            VARCHAR NOT NULL,
    other_key              VARCHAR NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- JiraCommentRecord
CREATE TABLE raw_jira_comments (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    issue_key              VARCHAR NOT NULL,
    comment_id             VARCHAR NOT NULL,
    author_id              VARCHAR,
    body                   VARCHAR,
    created_at             TIMESTAMPTZ NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- JiraChangeRecord
CREATE TABLE raw_jira_changes (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    issue_key              VARCHAR NOT NULL,
    history_id             VARCHAR NOT NULL,
    item_index             BIGINT NOT NULL,
    author_id              VARCHAR,
    changed_at             TIMESTAMPTZ NOT NULL,
    field_name             VARCHAR NOT NULL,
    from_value             VARCHAR,
    to_value               VARCHAR,
    content_hash           VARCHAR NOT NULL
);

-- Grain: one row per (source, partition).  The cursor is written in the same
-- transaction as the rows it covers.
CREATE TABLE sync_cursors (
    source                 VARCHAR NOT NULL,
    "partition"            VARCHAR NOT NULL,
    cursor                 VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, "partition")
);
