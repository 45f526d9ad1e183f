-- Grain: one row per Co-authored-by trailer of a PR commit (repo, number, sha, e-mail).
-- E-mails are lower-cased for matching against roster e-mails.
SELECT
    source_id AS co_author_id,
    repo,
    number,
    sha,
    name,
    lower(email) AS email,
    url
FROM raw_github_co_authors
QUALIFY row_number() OVER (
    PARTITION BY source_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC
) = 1
