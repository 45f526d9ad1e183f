-- Grain: one row per inline (diff) review comment (comment_id).
SELECT
    comment_id,
    repo,
    number,
    review_id,
    author_login,
    author_type,
    body,
    path,
    line,
    in_reply_to_id,
    created_at,
    url
FROM raw_github_review_comments
QUALIFY row_number() OVER (
    PARTITION BY comment_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
