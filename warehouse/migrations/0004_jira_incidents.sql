-- Jira incidents: one row per incident and one per (incident, role, interval).
-- Written by miners/jira_incidents.py; the columns mirror miners.records
-- JiraIncidentRecord and JiraIncidentRoleRecord (a test checks they agree).

-- JiraIncidentRecord
CREATE TABLE raw_jira_incidents (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    issue_key              VARCHAR NOT NULL,
    project                VARCHAR NOT NULL,
    severity               VARCHAR,
    declared_by_id         VARCHAR,
    commander_id           VARCHAR,
    opened_at              TIMESTAMPTZ NOT NULL,
    mitigated_at           TIMESTAMPTZ,
    resolved_at            TIMESTAMPTZ,
    postmortem_url         VARCHAR,
    followup_keys          VARCHAR[] NOT NULL,
    content_hash           VARCHAR NOT NULL
);

-- JiraIncidentRoleRecord
CREATE TABLE raw_jira_incident_roles (
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR PRIMARY KEY,
    "partition"            VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ,
    fetched_at             TIMESTAMPTZ NOT NULL,
    url                    VARCHAR,
    raw                    JSON NOT NULL,
    issue_key              VARCHAR NOT NULL,
    role                   VARCHAR NOT NULL,
    seq                    BIGINT NOT NULL,
    person_id              VARCHAR,
    started_at             TIMESTAMPTZ NOT NULL,
    ended_at               TIMESTAMPTZ,
    content_hash           VARCHAR NOT NULL
);
