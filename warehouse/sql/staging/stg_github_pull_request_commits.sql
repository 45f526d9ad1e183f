-- Grain: one row per commit of a pull request (repo, number, sha).
SELECT
    source_id AS pr_commit_id,
    repo,
    number,
    sha,
    author_login,
    author_name,
    lower(author_email) AS author_email,
    message,
    committed_at,
    url
FROM raw_github_pull_request_commits
QUALIFY row_number() OVER (
    PARTITION BY source_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC
) = 1
