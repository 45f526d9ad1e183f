-- Grain: one row per Jira comment (kind ticket_comment).  The subject is the
-- issue and its assignee: the ticket activity, or for an incident its
-- assignee-role activity.
SELECT
    'jira:comment:' || c.issue_key || ':' || c.comment_id AS activity_id,
    'ticket_comment' AS kind,
    'jira' AS source,
    'jira' AS actor_system,
    c.author_id AS actor,
    false AS actor_is_bot,
    c.created_at AS occurred_at,
    c.url,
    i.summary AS title,
    c.body,
    coalesce(i.project, split_part(c.issue_key, '-', 1)) AS container,
    p.team_id AS container_team_id,
    CASE WHEN i.is_incident AND i.assignee_id IS NOT NULL THEN 'jira:incident:' || c.issue_key || ':assignee'
         WHEN i.is_incident THEN NULL
         ELSE 'jira:ticket:' || c.issue_key END AS subject_activity_id,
    'jira' AS subject_actor_system,
    i.assignee_id AS subject_actor,
    false AS subject_is_bot
FROM stg_jira_comments c
LEFT JOIN stg_jira_issues i ON i.issue_key = c.issue_key
LEFT JOIN dim_jira_project p ON p.project = coalesce(i.project, split_part(c.issue_key, '-', 1))
