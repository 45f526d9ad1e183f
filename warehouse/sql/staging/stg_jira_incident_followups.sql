-- Grain: one row per (incident_key, followup_key): a follow-up ticket of an incident and
-- whether it is resolved (NULL status when the follow-up lives in a project we do not sync).
WITH followups AS (
    SELECT issue_key AS incident_key, unnest(followup_keys) AS followup_key
    FROM stg_jira_incidents
)
SELECT
    f.incident_key,
    f.followup_key,
    i.assignee_id AS followup_assignee_id,
    i.status AS followup_status,
    i.status_category AS followup_status_category,
    i.resolved_at AS followup_resolved_at,
    i.url AS followup_url
FROM followups f
LEFT JOIN stg_jira_issues i ON i.issue_key = f.followup_key
