-- How account identities compare, the one rule (Python: miners.records.identity_key):
-- GitHub logins are case-insensitive, folded to lower case; Jira account ids (and any
-- other system's ids) are compared exactly.
(system, identity) AS CASE WHEN system = 'github' THEN lower(identity) ELSE identity END
