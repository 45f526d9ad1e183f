-- Grain: one row per source identity (system, identity), identity as the macro
-- identity_key compares it: system 'github' with the login lower-cased (GitHub
-- logins are case-insensitive) or 'jira' with the accountId.  Exact roster
-- claims come first (if two people claim one identity the lowest person_id
-- wins; the audit identity_claimed_twice lists them; a GitHub login claim
-- counts only while the account's synced numeric id is the person's github_id
-- or unknown), then the links identity resolution wrote (e-mail / GitHub id
-- matches, accepted overrides: identity_links.method).
WITH roster_logins AS (
    SELECT identity_key('github', login) AS identity, person_id, github_id
    FROM (SELECT unnest(github_logins) AS login, person_id, github_id FROM stg_roster_people)
),
claims AS (
    -- A roster login whose account GitHub shows with another numeric id than the person's github_id changed
    -- hands (released, then taken): GitHub's id wins, the claim is dropped (miners/people/identity.py does the
    -- same).
    SELECT 'github' AS system, r.identity, r.person_id, 'roster' AS method, 0 AS rank
    FROM roster_logins r
    LEFT JOIN stg_accounts a ON a.system = 'github' AND a.identity_key = r.identity
    WHERE r.github_id IS NULL OR a.github_id IS NULL OR a.github_id = r.github_id
    UNION ALL
    SELECT 'jira', unnest(jira_account_ids), person_id, 'roster', 0
    FROM stg_roster_people
    UNION ALL
    SELECT l.system, identity_key(l.system, l.identity), l.person_id, l.method, 1
    FROM identity_links l
    WHERE l.person_id IN (SELECT person_id FROM stg_roster_people)
)
SELECT c.system, c.identity, c.person_id, p.is_service_account, c.method
FROM claims c
JOIN stg_roster_people p ON p.person_id = c.person_id
QUALIFY row_number() OVER (PARTITION BY c.system, c.identity ORDER BY c.rank, c.person_id) = 1
