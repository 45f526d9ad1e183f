-- Grain: one row per roster team (team_id).
SELECT
    team_id,
    name AS team_name,
    parent_id,
    repo_globs,
    jira_projects,
    jira_components,
    github_team
FROM raw_roster_teams
QUALIFY row_number() OVER (
    PARTITION BY team_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
