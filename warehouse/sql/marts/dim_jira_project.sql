-- Grain: one row per Jira project key seen in issues, in links or in a team's
-- jira_projects.  team_id: the roster team listing the project; if several
-- do, the first by team_id.
WITH projects AS (
    SELECT project FROM stg_jira_issues
    UNION SELECT other_project FROM stg_jira_links
    UNION SELECT unnest(jira_projects) FROM stg_roster_teams
)
SELECT
    p.project,
    min(t.team_id) AS team_id
FROM projects p
LEFT JOIN stg_roster_teams t ON list_contains(t.jira_projects, p.project)
GROUP BY p.project
