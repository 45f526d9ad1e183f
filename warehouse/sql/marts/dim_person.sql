-- Grain: one row per roster person (person_id), service accounts included
-- (is_service_account).  Team and level are current values, not dated history.
SELECT
    p.person_id,
    p.name,
    p.emails,
    p.github_logins,
    p.jira_account_ids,
    p.team_id,
    t.team_name,
    p.level,
    p.level_rank,
    p.job_family,
    p.manager_id,
    m.name AS manager_name,
    p.start_date,
    p.is_service_account
FROM stg_roster_people p
LEFT JOIN stg_roster_teams t ON t.team_id = p.team_id
LEFT JOIN stg_roster_people m ON m.person_id = p.manager_id
