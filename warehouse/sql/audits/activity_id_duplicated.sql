-- fct_activity's grain is one row per activity_id; rows that break it.
SELECT activity_id, count(*) AS copies
FROM fct_activity
GROUP BY activity_id
HAVING count(*) > 1
