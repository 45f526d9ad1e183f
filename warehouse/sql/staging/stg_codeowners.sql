-- Grain: one (repo, owner handle) of the repository-wide rule (pattern "*") of
-- its CODEOWNERS file; handles as written ("@acme/ml-platform", "@dana").  The
-- last "*" line wins, as on GitHub.
WITH files AS (
    SELECT repo, text
    FROM raw_github_codeowners
    QUALIFY row_number() OVER (PARTITION BY repo ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id) = 1
),
star_lines AS (
    SELECT repo, list_last(regexp_extract_all(text, '(?m)^[ \t]*\*[ \t]+([^#\n]*)', 1)) AS owners
    FROM files
)
SELECT repo, lower(owner) AS owner
FROM (SELECT repo, unnest(string_split_regex(trim(owners), '[ \t]+')) AS owner FROM star_lines
      WHERE owners IS NOT NULL)
WHERE owner LIKE '@%'
