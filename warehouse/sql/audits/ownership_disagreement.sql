-- Repositories whose roster owner is not among the teams CODEOWNERS ("*" rule)
-- or the GitHub org teams name for it.  The roster wins (dim_repo.team_id);
-- these rows are the disagreements to look at.
SELECT repo, roster_team_id, 'codeowners' AS other_source, codeowners_team_ids AS other_team_ids
FROM dim_repo
WHERE roster_team_id IS NOT NULL AND len(codeowners_team_ids) > 0
  AND NOT list_contains(codeowners_team_ids, roster_team_id)
UNION ALL
SELECT repo, roster_team_id, 'github_team', github_team_ids
FROM dim_repo
WHERE roster_team_id IS NOT NULL AND len(github_team_ids) > 0
  AND NOT list_contains(github_team_ids, roster_team_id)
