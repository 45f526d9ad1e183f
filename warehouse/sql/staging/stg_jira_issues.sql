-- Grain: one row per Jira issue (issue_key), incidents included.
SELECT
    key AS issue_key,
    issue_id,
    project,
    issue_type,
    summary,
    description,
    status,
    status_category,
    priority,
    reporter_id,
    assignee_id,
    created_at,
    resolved_at,
    due_date,
    labels,
    components,
    parent_key,
    is_incident,
    severity,
    commander_id,
    postmortem_url,
    url
FROM raw_jira_issues
QUALIFY row_number() OVER (
    PARTITION BY key ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
