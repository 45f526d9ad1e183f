-- People and org model (issue 6): GitHub ids on people, components and GitHub
-- teams on teams, dated team/level enrollments, accounts as the sources show
-- them, ownership sources (CODEOWNERS, GitHub org teams), and the identity
-- links that resolution writes.  raw_roster_people and raw_roster_teams are
-- rebuilt so their columns stay in record-field order (a test compares them).

ALTER TABLE raw_roster_people RENAME TO _raw_roster_people_0004;
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
    github_id              BIGINT,
    content_hash           VARCHAR NOT NULL
);
-- The old hash did not cover github_id: the next roster load rewrites each row once.
INSERT INTO raw_roster_people
SELECT source, source_id, "partition", updated_at, fetched_at, url, raw, person_id, name, emails,
       github_logins, jira_account_ids, team_id, manager_id, level, level_rank, start_date,
       is_service_account, NULL, content_hash
FROM _raw_roster_people_0004;
DROP TABLE _raw_roster_people_0004;

ALTER TABLE raw_roster_teams RENAME TO _raw_roster_teams_0004;
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
    jira_components        VARCHAR[] NOT NULL,
    github_team            VARCHAR,
    content_hash           VARCHAR NOT NULL
);
INSERT INTO raw_roster_teams
SELECT source, source_id, "partition", updated_at, fetched_at, url, raw, team_id, name, parent_id,
       repo_globs, jira_projects, []::VARCHAR[], NULL, content_hash
FROM _raw_roster_teams_0004;
DROP TABLE _raw_roster_teams_0004;

-- EnrollmentRecord.  Grain: one interval of one person's team or level history.
CREATE TABLE raw_roster_enrollments (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    person_id              VARCHAR NOT NULL,
    kind                   VARCHAR NOT NULL,
    value                  VARCHAR NOT NULL,
    level_rank             BIGINT,
    valid_from             DATE,
    valid_to               DATE,
    content_hash           VARCHAR NOT NULL
);

-- AccountRecord.  Grain: one account of one system (source_id "github:login" / "jira:accountId").
CREATE TABLE raw_accounts (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    system                 VARCHAR NOT NULL,
    identity               VARCHAR NOT NULL,
    github_id              BIGINT,
    display_name           VARCHAR,
    emails                 VARCHAR[] NOT NULL,
    account_type           VARCHAR,
    content_hash           VARCHAR NOT NULL
);

-- CodeOwnersRecord.  Grain: one repository's CODEOWNERS file.
CREATE TABLE raw_github_codeowners (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    repo                   VARCHAR NOT NULL,
    path                   VARCHAR NOT NULL,
    text                   VARCHAR NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- GitHubTeamRecord.  Grain: one GitHub org team.
CREATE TABLE raw_github_teams (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    org                    VARCHAR NOT NULL,
    slug                   VARCHAR NOT NULL,
    name                   VARCHAR NOT NULL,
    repos                  VARCHAR[] NOT NULL,
    members                VARCHAR[] NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- Identity links written by identity resolution (miners/identity.py) beyond the
-- roster's own exact claims: automatic e-mail / GitHub-id matches and accepted
-- overrides.  Grain: one row per source identity (system, identity); GitHub
-- logins lower-cased.  Rebuilt as a whole on every resolution.
CREATE TABLE identity_links (
    system                 VARCHAR NOT NULL,
    identity               VARCHAR NOT NULL,
    person_id              VARCHAR NOT NULL,
    method                 VARCHAR NOT NULL,
    reason                 VARCHAR,
    PRIMARY KEY (system, identity)
);
