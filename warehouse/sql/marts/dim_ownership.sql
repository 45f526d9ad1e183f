-- Grain: one interval in which a roster team owned a repo glob or a Jira
-- project (kind, pattern, team_id, valid_from), half-open [valid_from,
-- valid_to), NULL = unbounded.  is_dated rows come from the roster's
-- ownership_changes and, on the dates they cover, override the undated rows
-- (the teams' current repos / jira_projects, which hold forever).
-- fct_activity resolves container_team_id against this as of each activity's
-- UTC date; dim_repo and dim_jira_project keep the current owner.
SELECT kind, pattern, team_id, valid_from, valid_to, true AS is_dated
FROM stg_roster_ownership
UNION ALL
SELECT 'repo', unnest(repo_globs), team_id, NULL::DATE, NULL::DATE, false
FROM stg_roster_teams
UNION ALL
SELECT 'jira_project', unnest(jira_projects), team_id, NULL::DATE, NULL::DATE, false
FROM stg_roster_teams
