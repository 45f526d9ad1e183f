-- Grain: one row per review request (repo, number, reviewer, requested_at); the
-- latest fetched version wins.  answered_at: the reviewer's first review after
-- the request; removed_at: withdrawn before an answer.
SELECT
    source_id AS review_request_id,
    repo,
    number,
    reviewer_login,
    reviewer_type,
    requested_by_login,
    requested_at,
    removed_at,
    answered_at,
    answered_review_id,
    url
FROM raw_github_review_requests
QUALIFY row_number() OVER (
    PARTITION BY source_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC
) = 1
