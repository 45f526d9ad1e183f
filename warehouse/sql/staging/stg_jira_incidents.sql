-- Grain: one row per Jira incident (issue_key).
SELECT
    issue_key,
    project,
    severity,
    declared_by_id,
    commander_id,
    opened_at,
    mitigated_at,
    resolved_at,
    postmortem_url,
    followup_keys,
    url
FROM raw_jira_incidents
QUALIFY row_number() OVER (
    PARTITION BY issue_key ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
