-- Grain: one row per changed field of a changelog entry (issue_key, history_id, item_index).
SELECT
    issue_key,
    history_id,
    item_index,
    author_id,
    changed_at,
    field_name,
    from_value,
    to_value
FROM raw_jira_changes
QUALIFY row_number() OVER (
    PARTITION BY issue_key, history_id, item_index
    ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
