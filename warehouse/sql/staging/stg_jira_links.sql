-- Grain: one row per link as seen from one issue (issue_key, link_type,
-- direction, other_key); a link between two loaded issues appears once per side.
SELECT
    issue_key,
    link_type,
    direction,
    description,
    other_key,
    split_part(other_key, '-', 1) AS other_project
FROM raw_jira_links
QUALIFY row_number() OVER (
    PARTITION BY issue_key, link_type, direction, other_key
    ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
