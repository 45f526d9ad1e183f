-- Grain: one row per thing a person did (activity_id): a PR authored, a review
-- submitted, an inline or conversation comment, an assigned ticket, a ticket
-- comment, a role held on an incident.  Columns and types are exactly
-- classifiers.contract.ACTIVITY_SCHEMA.  Identities resolve to roster people
-- through dim_identity; bots (GitHub type Bot, a login ending in "[bot]", or
-- roster service accounts) and ghosts have no person_id.  person_* / subject_*
-- team and level are the ones held on the activity's UTC date (dim_enrollment);
-- start dates are the roster's.  container_team_id is the owner on that date
-- too: a dated interval of dim_ownership (the roster's ownership_changes)
-- covering the date wins, else the current owner (dim_repo, dim_jira_project).
WITH activities AS (
    SELECT * FROM int_activity_pull_requests
    UNION ALL BY NAME SELECT * FROM int_activity_pr_feedback
    UNION ALL BY NAME SELECT * FROM int_activity_tickets
    UNION ALL BY NAME SELECT * FROM int_activity_incidents
    UNION ALL BY NAME SELECT * FROM int_activity_ticket_comments
),
resolved AS (
    SELECT
        a.*,
        a.actor IS NOT NULL AND (a.actor_is_bot OR coalesce(ia.is_service_account, false)
                                 OR (a.actor_system = 'github' AND identity_key(a.actor_system, a.actor) LIKE '%[bot]')) AS is_bot,
        CASE WHEN a.actor_is_bot OR coalesce(ia.is_service_account, false)
                  OR (a.actor_system = 'github' AND identity_key(a.actor_system, a.actor) LIKE '%[bot]') THEN NULL
             ELSE ia.person_id END AS resolved_person_id,
        CASE WHEN coalesce(a.subject_is_bot, false) OR coalesce(isub.is_service_account, false)
                  OR (a.subject_actor_system = 'github'
                      AND identity_key(a.subject_actor_system, a.subject_actor) LIKE '%[bot]') THEN NULL
             ELSE isub.person_id END AS resolved_subject_person_id,
        CAST(timezone('UTC', a.occurred_at) AS DATE) AS occurred_on
    FROM activities a
    LEFT JOIN dim_identity ia
        ON ia.system = a.actor_system
       AND ia.identity = identity_key(a.actor_system, a.actor)
    LEFT JOIN dim_identity isub
        ON isub.system = a.subject_actor_system
       AND isub.identity = identity_key(a.subject_actor_system, a.subject_actor)
),
dated_owner AS (
    -- several dated patterns cover one container: the exact name first, then the first team by id
    SELECT r.activity_id, o.team_id
    FROM resolved r
    JOIN dim_ownership o
      ON o.is_dated
     AND ((r.source = 'github' AND o.kind = 'repo' AND lower(r.container) GLOB lower(o.pattern))
          OR (r.source = 'jira' AND o.kind = 'jira_project' AND r.container = o.pattern))
     AND (o.valid_from IS NULL OR o.valid_from <= r.occurred_on) AND (o.valid_to IS NULL OR r.occurred_on < o.valid_to)
    QUALIFY row_number() OVER (
        PARTITION BY r.activity_id ORDER BY lower(o.pattern) = lower(r.container) DESC, o.team_id) = 1
)
SELECT
    CAST(r.activity_id AS VARCHAR) AS activity_id,
    CAST(r.kind AS VARCHAR) AS kind,
    CAST(r.source AS VARCHAR) AS source,
    CAST(r.resolved_person_id AS VARCHAR) AS person_id,
    CAST(r.actor AS VARCHAR) AS actor,
    CAST(r.is_bot AS BOOLEAN) AS is_bot,
    CAST(r.occurred_at AS TIMESTAMPTZ) AS occurred_at,
    CAST(r.url AS VARCHAR) AS url,
    CAST(r.title AS VARCHAR) AS title,
    CAST(r.body AS VARCHAR) AS body,
    CAST(r.container AS VARCHAR) AS container,
    CAST(coalesce(d.team_id, r.container_team_id) AS VARCHAR) AS container_team_id,
    CAST(pt.value AS VARCHAR) AS person_team_id,
    CAST(pl.level_rank AS INTEGER) AS person_level_rank,
    CAST(p.start_date AS DATE) AS person_start_date,
    CAST(r.subject_activity_id AS VARCHAR) AS subject_activity_id,
    CAST(r.resolved_subject_person_id AS VARCHAR) AS subject_person_id,
    CAST(st.value AS VARCHAR) AS subject_team_id,
    CAST(sl.level_rank AS INTEGER) AS subject_level_rank,
    CAST(s.start_date AS DATE) AS subject_start_date,
    CAST(r.state AS VARCHAR) AS state,
    CAST(r.role AS VARCHAR) AS role,
    CAST(r.labels AS VARCHAR[]) AS labels,
    CAST(r.paths AS VARCHAR[]) AS paths,
    CAST(r.additions AS BIGINT) AS additions,
    CAST(r.deletions AS BIGINT) AS deletions,
    CAST(r.issue_type AS VARCHAR) AS issue_type,
    CAST(r.priority AS VARCHAR) AS priority,
    CAST(r.severity AS VARCHAR) AS severity,
    CAST(r.parent_key AS VARCHAR) AS parent_key,
    CAST(r.due_date AS DATE) AS due_date,
    CAST(r.resolved_at AS TIMESTAMPTZ) AS resolved_at,
    CAST(r.comment_count AS INTEGER) AS comment_count,
    CAST(r.response_hours AS DOUBLE) AS response_hours,
    CAST(r.cross_team_links AS INTEGER) AS cross_team_links,
    CAST(r.is_incident_followup AS BOOLEAN) AS is_incident_followup,
    CAST(r.postmortem_url AS VARCHAR) AS postmortem_url
FROM resolved r
LEFT JOIN dated_owner d ON d.activity_id = r.activity_id
LEFT JOIN dim_person p ON p.person_id = r.resolved_person_id
LEFT JOIN dim_person s ON s.person_id = r.resolved_subject_person_id
LEFT JOIN dim_enrollment pt
    ON pt.person_id = r.resolved_person_id AND pt.kind = 'team'
   AND (pt.valid_from IS NULL OR pt.valid_from <= r.occurred_on) AND (pt.valid_to IS NULL OR r.occurred_on < pt.valid_to)
LEFT JOIN dim_enrollment pl
    ON pl.person_id = r.resolved_person_id AND pl.kind = 'level'
   AND (pl.valid_from IS NULL OR pl.valid_from <= r.occurred_on) AND (pl.valid_to IS NULL OR r.occurred_on < pl.valid_to)
LEFT JOIN dim_enrollment st
    ON st.person_id = r.resolved_subject_person_id AND st.kind = 'team'
   AND (st.valid_from IS NULL OR st.valid_from <= r.occurred_on) AND (st.valid_to IS NULL OR r.occurred_on < st.valid_to)
LEFT JOIN dim_enrollment sl
    ON sl.person_id = r.resolved_subject_person_id AND sl.kind = 'level'
   AND (sl.valid_from IS NULL OR sl.valid_from <= r.occurred_on) AND (sl.valid_to IS NULL OR r.occurred_on < sl.valid_to)
