-- GitHub history the GraphQL miner reads: review-request history (requested,
-- removed, answered), PR commits and their Co-authored-by trailers.  Grain: one
-- row per source object (source_id unique, the upsert key).  The columns mirror
-- miners.records ReviewRequestRecord, PullRequestCommitRecord and CoAuthorRecord
-- (a test checks they agree).

-- ReviewRequestRecord
CREATE TABLE raw_github_review_requests (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    reviewer_login         VARCHAR,
    reviewer_type          VARCHAR,
    requested_by_login     VARCHAR,
    requested_at           TIMESTAMPTZ NOT NULL,
    removed_at             TIMESTAMPTZ,
    answered_at            TIMESTAMPTZ,
    answered_review_id     BIGINT,
    content_hash           VARCHAR NOT NULL
);

-- PullRequestCommitRecord
CREATE TABLE raw_github_pull_request_commits (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    sha                    VARCHAR NOT NULL,
    author_login           VARCHAR,
    author_name            VARCHAR,
    author_email           VARCHAR,
    message                VARCHAR NOT NULL,
    committed_at           TIMESTAMPTZ,
    content_hash           VARCHAR NOT NULL
);

-- CoAuthorRecord
CREATE TABLE raw_github_co_authors (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    number                 BIGINT NOT NULL,
    sha                    VARCHAR NOT NULL,
    name                   VARCHAR,
    email                  VARCHAR NOT NULL,
    content_hash           VARCHAR NOT NULL
);
