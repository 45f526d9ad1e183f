-- Grain: one row per Jira comment (issue_key, comment_id).
SELECT
    issue_key,
    comment_id,
    author_id,
    body,
    created_at,
    url
FROM raw_jira_comments
QUALIFY row_number() OVER (
    PARTITION BY issue_key, comment_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
