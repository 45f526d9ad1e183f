-- Evidence rows pointing at an activity that is not in fct_activity.
SELECT e.rubric_id, e.rubric_version, e.person_id, e.dimension_id, e.activity_id
FROM rubric_evidence e
WHERE e.activity_id NOT IN (SELECT activity_id FROM fct_activity)
