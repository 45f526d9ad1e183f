-- Grain: one row per submitted or pending review (review_id).
SELECT
    review_id,
    repo,
    number,
    author_login,
    author_type,
    state,
    body,
    submitted_at,
    url
FROM raw_github_reviews
QUALIFY row_number() OVER (
    PARTITION BY review_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
