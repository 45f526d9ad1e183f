-- Dated ownership (issue 6): intervals in which a team owned a repo glob or a
-- Jira project, built from the roster's ownership_changes.

-- OwnershipRecord.  Grain: one interval of one pattern's owner (kind, pattern, valid_from).
CREATE TABLE raw_roster_ownership (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    kind                   VARCHAR NOT NULL,
    pattern                VARCHAR NOT NULL,
    team_id                VARCHAR NOT NULL,
    valid_from             DATE,
    valid_to               DATE,
    content_hash           VARCHAR NOT NULL
);
