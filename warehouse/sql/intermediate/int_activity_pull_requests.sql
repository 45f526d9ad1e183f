-- Grain: one row per pull request (kind pull_request); the actor is its author.
-- Feeds fct_activity, which resolves people; columns not set here are NULL there.
WITH files AS (
    SELECT repo, number, list(path ORDER BY path) AS paths,
           sum(additions) AS additions, sum(deletions) AS deletions
    FROM stg_github_pull_request_files
    GROUP BY repo, number
),
review_comments AS (
    SELECT repo, number, count(*) AS n FROM stg_github_review_comments GROUP BY repo, number
)
SELECT
    pr.pr_activity_id AS activity_id,
    'pull_request' AS kind,
    'github' AS source,
    'github' AS actor_system,
    pr.author_login AS actor,
    coalesce(pr.author_type = 'Bot', false) AS actor_is_bot,
    coalesce(pr.merged_at, pr.created_at) AS occurred_at,
    pr.url,
    pr.title,
    pr.body,
    pr.repo AS container,
    r.team_id AS container_team_id,
    CASE WHEN pr.merged_at IS NOT NULL THEN 'merged'
         WHEN pr.state = 'closed' THEN 'closed'
         ELSE 'open' END AS state,
    pr.labels,
    coalesce(f.paths, []::VARCHAR[]) AS paths,
    coalesce(pr.additions, f.additions) AS additions,
    coalesce(pr.deletions, f.deletions) AS deletions,
    coalesce(rc.n, 0) AS comment_count
FROM stg_github_pull_requests pr
LEFT JOIN files f ON f.repo = pr.repo AND f.number = pr.number
LEFT JOIN review_comments rc ON rc.repo = pr.repo AND rc.number = pr.number
LEFT JOIN dim_repo r ON r.repo = pr.repo
