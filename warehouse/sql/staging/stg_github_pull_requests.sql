-- Grain: one row per pull request (repo, number).
SELECT
    'gh:pr:' || repo || '#' || CAST(number AS VARCHAR) AS pr_activity_id,
    repo,
    number,
    author_login,
    author_type,
    title,
    body,
    state,
    draft,
    created_at,
    closed_at,
    merged_at,
    additions,
    deletions,
    labels,
    requested_reviewers,
    url,
    updated_at
FROM raw_github_pull_requests
QUALIFY row_number() OVER (
    PARTITION BY repo, number ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
