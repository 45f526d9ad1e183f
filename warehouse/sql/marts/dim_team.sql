-- Grain: one row per roster team (team_id).
SELECT
    t.team_id,
    t.team_name,
    t.parent_id,
    t.repo_globs,
    t.jira_projects,
    (SELECT count(*) FROM stg_roster_people p
      WHERE p.team_id = t.team_id AND NOT p.is_service_account) AS member_count
FROM stg_roster_teams t
