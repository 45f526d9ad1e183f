-- Grain: one row per repository seen anywhere (repos, PRs, reviews, comments,
-- CODEOWNERS).  team_id: the owning roster team.  The roster wins: the team
-- whose repo_globs match the repo (GLOB, lower-case because GitHub names are
-- case-insensitive; several match: the first by team_id); only a repo no glob
-- matches takes the team CODEOWNERS' "*" rule names, then the GitHub org team
-- that administers it (owner_source says which).  codeowners_team_ids and
-- github_team_ids list what those sources say, for the audit
-- ownership_disagreement.
WITH repos AS (
    SELECT repo FROM stg_github_repos
    UNION SELECT repo FROM stg_github_pull_requests
    UNION SELECT repo FROM stg_github_reviews
    UNION SELECT repo FROM stg_github_review_comments
    UNION SELECT repo FROM stg_github_issue_comments
    UNION SELECT repo FROM stg_codeowners
),
team_globs AS (
    SELECT team_id, unnest(repo_globs) AS repo_glob FROM stg_roster_teams
),
roster_owner AS (
    SELECT r.repo, min(g.team_id) AS team_id
    FROM repos r JOIN team_globs g ON lower(r.repo) GLOB lower(g.repo_glob)
    GROUP BY r.repo
),
handles AS (
    -- how a roster team appears on GitHub: its github_team, else any org's team with its id as slug
    SELECT team_id, lower(github_team) AS handle, NULL AS slug FROM stg_roster_teams WHERE github_team IS NOT NULL
    UNION ALL
    SELECT team_id, NULL, lower(team_id) FROM stg_roster_teams WHERE github_team IS NULL
),
codeowners_owner AS (
    SELECT c.repo, list(DISTINCT h.team_id ORDER BY h.team_id) AS team_ids
    FROM stg_codeowners c
    JOIN handles h ON h.handle = substr(c.owner, 2)
                   OR (h.slug IS NOT NULL AND c.owner LIKE '@%/%' AND split_part(c.owner, '/', 2) = h.slug)
    GROUP BY c.repo
),
org_team_owner AS (
    SELECT o.repo, list(DISTINCT h.team_id ORDER BY h.team_id) AS team_ids
    FROM stg_org_teams o
    JOIN handles h ON h.handle = o.github_team
                   OR (h.slug IS NOT NULL AND split_part(o.github_team, '/', 2) = h.slug)
    GROUP BY o.repo
)
SELECT
    r.repo,
    coalesce(ro.team_id, co.team_ids[1], gt.team_ids[1]) AS team_id,
    CASE WHEN ro.team_id IS NOT NULL THEN 'roster'
         WHEN co.team_ids[1] IS NOT NULL THEN 'codeowners'
         WHEN gt.team_ids[1] IS NOT NULL THEN 'github_team' END AS owner_source,
    ro.team_id AS roster_team_id,
    coalesce(co.team_ids, []::VARCHAR[]) AS codeowners_team_ids,
    coalesce(gt.team_ids, []::VARCHAR[]) AS github_team_ids,
    s.archived,
    s.url
FROM repos r
LEFT JOIN roster_owner ro ON ro.repo = r.repo
LEFT JOIN codeowners_owner co ON co.repo = r.repo
LEFT JOIN org_team_owner gt ON gt.repo = lower(r.repo)
LEFT JOIN stg_github_repos s ON s.repo = r.repo
