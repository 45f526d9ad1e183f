-- Grain: one row per conversation comment on a pull request (comment_id).
SELECT
    comment_id,
    repo,
    number,
    author_login,
    author_type,
    body,
    created_at,
    url
FROM raw_github_issue_comments
QUALIFY row_number() OVER (
    PARTITION BY comment_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
