-- Grain: one (GitHub org team, repo it administers or maintains); team as
-- "org/slug" and repo lower-cased.
WITH teams AS (
    SELECT org, slug, name, repos
    FROM raw_github_teams
    QUALIFY row_number() OVER (PARTITION BY org, slug ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id) = 1
)
SELECT lower(org || '/' || slug) AS github_team, name, lower(unnest(repos)) AS repo
FROM teams
