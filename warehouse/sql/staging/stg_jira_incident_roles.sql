-- Grain: one row per (issue_key, role, seq): who held a role on an incident from started_at
-- until ended_at (NULL: still holds it).  Roles: declared, commander, assignee.
SELECT
    issue_key,
    role,
    seq,
    person_id,
    started_at,
    ended_at
FROM raw_jira_incident_roles
QUALIFY row_number() OVER (
    PARTITION BY issue_key, role, seq ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
