-- A GitHub login or Jira accountId listed for more than one roster person.
WITH claims AS (
    SELECT 'github' AS system, identity_key('github', login) AS identity, person_id
    FROM (SELECT unnest(github_logins) AS login, person_id FROM stg_roster_people)
    UNION ALL
    SELECT 'jira' AS system, unnest(jira_account_ids) AS identity, person_id FROM stg_roster_people
)
SELECT system, identity, list(DISTINCT person_id ORDER BY person_id) AS person_ids
FROM claims
GROUP BY system, identity
HAVING count(DISTINCT person_id) > 1
