-- Labels on an activity that is not in fct_activity.
SELECT l.activity_id, l.label, l.classifier_id
FROM activity_labels l
WHERE l.activity_id NOT IN (SELECT activity_id FROM fct_activity)
