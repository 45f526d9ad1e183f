-- Roster people whose team or manager is not itself on the roster.
SELECT p.person_id, p.team_id, p.manager_id
FROM stg_roster_people p
WHERE (p.team_id IS NOT NULL AND p.team_id NOT IN (SELECT team_id FROM stg_roster_teams))
   OR (p.manager_id IS NOT NULL AND p.manager_id NOT IN (SELECT person_id FROM stg_roster_people))
