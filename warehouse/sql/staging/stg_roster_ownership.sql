-- Grain: one dated owner interval of one repo glob or Jira project (kind,
-- pattern, valid_from), from the roster's ownership_changes; valid_from NULL =
-- since before any record, valid_to NULL = still current, valid_to exclusive.
SELECT
    kind,
    pattern,
    team_id,
    valid_from,
    valid_to
FROM raw_roster_ownership
QUALIFY row_number() OVER (
    PARTITION BY kind, pattern, valid_from ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
