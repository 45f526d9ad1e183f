-- Grain: one row per review (not PENDING), inline review comment or PR
-- conversation comment (kinds review, review_comment, issue_comment).  The
-- subject is the pull request and its author.
WITH inline_per_review AS (
    SELECT review_id, count(*) AS n
    FROM stg_github_review_comments
    WHERE review_id IS NOT NULL
    GROUP BY review_id
),
feedback AS (
    SELECT
        'gh:review:' || CAST(rv.review_id AS VARCHAR) AS activity_id,
        'review' AS kind,
        rv.repo, rv.number, rv.author_login, rv.author_type, rv.body, rv.url,
        rv.submitted_at AS occurred_at,
        rv.state,
        NULL::VARCHAR[] AS paths,
        coalesce(ipr.n, 0) AS comment_count
    FROM stg_github_reviews rv
    LEFT JOIN inline_per_review ipr ON ipr.review_id = rv.review_id
    WHERE rv.state <> 'PENDING'
    UNION ALL
    SELECT
        'gh:review_comment:' || CAST(c.comment_id AS VARCHAR),
        'review_comment',
        c.repo, c.number, c.author_login, c.author_type, c.body, c.url,
        c.created_at,
        NULL,
        CASE WHEN c.path IS NULL THEN NULL ELSE [c.path] END,
        NULL
    FROM stg_github_review_comments c
    UNION ALL
    SELECT
        'gh:issue_comment:' || CAST(c.comment_id AS VARCHAR),
        'issue_comment',
        c.repo, c.number, c.author_login, c.author_type, c.body, c.url,
        c.created_at,
        NULL,
        NULL,
        NULL
    FROM stg_github_issue_comments c
)
SELECT
    fb.activity_id,
    fb.kind,
    'github' AS source,
    'github' AS actor_system,
    fb.author_login AS actor,
    coalesce(fb.author_type = 'Bot', false) AS actor_is_bot,
    fb.occurred_at,
    fb.url,
    pr.title,
    fb.body,
    fb.repo AS container,
    r.team_id AS container_team_id,
    'gh:pr:' || fb.repo || '#' || CAST(fb.number AS VARCHAR) AS subject_activity_id,
    'github' AS subject_actor_system,
    pr.author_login AS subject_actor,
    coalesce(pr.author_type = 'Bot', false) AS subject_is_bot,
    fb.state,
    fb.paths,
    fb.comment_count,
    CASE WHEN fb.kind = 'review'
         THEN (epoch(fb.occurred_at) - epoch(pr.created_at)) / 3600.0 END AS response_hours
FROM feedback fb
LEFT JOIN stg_github_pull_requests pr ON pr.repo = fb.repo AND pr.number = fb.number
LEFT JOIN dim_repo r ON r.repo = fb.repo
