-- Grain: one interval of one person's team or level history (person_id, kind,
-- valid_from); valid_from NULL = since before any record, valid_to NULL = still
-- current, valid_to exclusive.
SELECT
    person_id,
    kind,
    value,
    CAST(level_rank AS INTEGER) AS level_rank,
    valid_from,
    valid_to
FROM raw_roster_enrollments
QUALIFY row_number() OVER (
    PARTITION BY person_id, kind, valid_from ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
