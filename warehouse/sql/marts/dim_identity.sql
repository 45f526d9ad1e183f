-- Grain: one row per source identity (system, identity): system 'github' with
-- the login lower-cased (GitHub logins are case-insensitive) or 'jira' with the
-- accountId.  If two roster people claim one identity the lowest person_id
-- wins; the audit identity_claimed_twice lists such conflicts.
WITH claims AS (
    SELECT 'github' AS system, lower(unnest(github_logins)) AS identity, person_id, is_service_account
    FROM stg_roster_people
    UNION ALL
    SELECT 'jira' AS system, unnest(jira_account_ids) AS identity, person_id, is_service_account
    FROM stg_roster_people
)
SELECT system, identity, person_id, is_service_account
FROM claims
QUALIFY row_number() OVER (PARTITION BY system, identity ORDER BY person_id) = 1
