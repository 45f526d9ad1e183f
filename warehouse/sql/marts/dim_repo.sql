-- Grain: one row per repository seen anywhere (repos, PRs, reviews, comments).
-- team_id: the roster team whose repo_globs match the repo (GLOB, compared
-- lower-case because GitHub names are case-insensitive); if several teams
-- match, the first by team_id.
WITH repos AS (
    SELECT repo FROM stg_github_repos
    UNION SELECT repo FROM stg_github_pull_requests
    UNION SELECT repo FROM stg_github_reviews
    UNION SELECT repo FROM stg_github_review_comments
    UNION SELECT repo FROM stg_github_issue_comments
),
team_globs AS (
    SELECT team_id, unnest(repo_globs) AS repo_glob FROM stg_roster_teams
)
SELECT
    r.repo,
    min(g.team_id) AS team_id,
    any_value(s.archived) AS archived,
    any_value(s.url) AS url
FROM repos r
LEFT JOIN team_globs g ON lower(r.repo) GLOB lower(g.repo_glob)
LEFT JOIN stg_github_repos s ON s.repo = r.repo
GROUP BY r.repo
