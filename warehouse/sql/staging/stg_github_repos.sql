-- Grain: one row per repository (full name "org/name").
SELECT
    full_name AS repo,
    org,
    name AS repo_name,
    archived,
    default_branch,
    url
FROM raw_github_repos
QUALIFY row_number() OVER (
    PARTITION BY full_name ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
