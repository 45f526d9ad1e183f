-- Activities that cannot be placed in a period: no occurred_at.
SELECT activity_id, kind, container
FROM fct_activity
WHERE occurred_at IS NULL
