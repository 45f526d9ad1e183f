-- Grain: one row per (incident, role held): declared (reporter), commander,
-- assignee; NULL roles are skipped (kind incident).
WITH roles AS (
    SELECT i.*, 'declared' AS role, i.reporter_id AS actor, i.created_at AS role_at
    FROM stg_jira_issues i WHERE i.is_incident AND i.reporter_id IS NOT NULL
    UNION ALL BY NAME
    SELECT i.*, 'commander' AS role, i.commander_id AS actor, coalesce(i.resolved_at, i.created_at) AS role_at
    FROM stg_jira_issues i WHERE i.is_incident AND i.commander_id IS NOT NULL
    UNION ALL BY NAME
    SELECT i.*, 'assignee' AS role, i.assignee_id AS actor, coalesce(i.resolved_at, i.created_at) AS role_at
    FROM stg_jira_issues i WHERE i.is_incident AND i.assignee_id IS NOT NULL
)
SELECT
    'jira:incident:' || r.issue_key || ':' || r.role AS activity_id,
    'incident' AS kind,
    'jira' AS source,
    'jira' AS actor_system,
    r.actor,
    false AS actor_is_bot,
    r.role_at AS occurred_at,
    r.url,
    r.summary AS title,
    r.description AS body,
    r.project AS container,
    p.team_id AS container_team_id,
    r.status_category AS state,
    r.role,
    list_concat(r.labels, r.components) AS labels,
    r.issue_type,
    r.priority,
    r.severity,
    r.parent_key,
    r.due_date,
    r.resolved_at,
    r.postmortem_url
FROM roles r
LEFT JOIN dim_jira_project p ON p.project = r.project
