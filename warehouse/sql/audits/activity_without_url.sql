-- Activities a report could not link to: no url.
SELECT activity_id, kind, container
FROM fct_activity
WHERE url IS NULL OR url = ''
