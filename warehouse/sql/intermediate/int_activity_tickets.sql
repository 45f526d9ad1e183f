-- Grain: one row per Jira issue that is not an incident (kind ticket); the
-- actor is the assignee (NULL when unassigned).
WITH cross_team AS (
    -- links to issues in projects owned by a team other than this project's
    SELECT l.issue_key, count(*) AS n
    FROM stg_jira_links l
    JOIN stg_jira_issues i ON i.issue_key = l.issue_key
    LEFT JOIN dim_jira_project own ON own.project = i.project
    JOIN dim_jira_project other ON other.project = l.other_project
    WHERE other.team_id IS NOT NULL AND other.team_id IS DISTINCT FROM own.team_id
    GROUP BY l.issue_key
),
incidents AS (
    SELECT issue_key FROM stg_jira_issues WHERE is_incident
),
followups AS (
    SELECT l.issue_key FROM stg_jira_links l
    WHERE lower(l.description) = 'is caused by' AND l.other_key IN (SELECT issue_key FROM incidents)
    UNION
    SELECT l.other_key FROM stg_jira_links l  -- the same link, recorded on the incident's side
    WHERE lower(l.description) = 'causes' AND l.issue_key IN (SELECT issue_key FROM incidents)
    UNION
    SELECT i.issue_key FROM stg_jira_issues i
    WHERE i.parent_key IN (SELECT issue_key FROM incidents)
),
comments AS (
    SELECT issue_key, count(*) AS n FROM stg_jira_comments GROUP BY issue_key
)
SELECT
    'jira:ticket:' || i.issue_key AS activity_id,
    'ticket' AS kind,
    'jira' AS source,
    'jira' AS actor_system,
    i.assignee_id AS actor,
    false AS actor_is_bot,
    coalesce(i.resolved_at, i.created_at) AS occurred_at,
    i.url,
    i.summary AS title,
    i.description AS body,
    i.project AS container,
    p.team_id AS container_team_id,
    i.status_category AS state,
    'assignee' AS role,
    list_concat(i.labels, i.components) AS labels,
    i.issue_type,
    i.priority,
    i.parent_key,
    i.due_date,
    i.resolved_at,
    coalesce(c.n, 0) AS comment_count,
    coalesce(x.n, 0) AS cross_team_links,
    i.issue_key IN (SELECT issue_key FROM followups) AS is_incident_followup
FROM stg_jira_issues i
LEFT JOIN dim_jira_project p ON p.project = i.project
LEFT JOIN cross_team x ON x.issue_key = i.issue_key
LEFT JOIN comments c ON c.issue_key = i.issue_key
WHERE NOT i.is_incident
