-- Grain: one row per roster person (person_id); the latest record wins if a
-- person arrived under two source_ids.
SELECT
    person_id,
    name,
    emails,
    github_logins,
    jira_account_ids,
    team_id,
    manager_id,
    level,
    CAST(level_rank AS INTEGER) AS level_rank,
    -- not a column of raw_roster_people: read from the record's raw roster entry (no migration needed)
    CAST(raw ->> 'job_family' AS VARCHAR) AS job_family,
    start_date,
    is_service_account,
    github_id,
    updated_at
FROM raw_roster_people
QUALIFY row_number() OVER (
    PARTITION BY person_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
