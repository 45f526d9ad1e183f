-- Grain: one row per file of a pull request (repo, number, path).
SELECT
    repo,
    number,
    path,
    additions,
    deletions,
    status
FROM raw_github_pull_request_files
QUALIFY row_number() OVER (
    PARTITION BY repo, number, path ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
