-- Evidence rows for a person who is not on the roster.
SELECT e.rubric_id, e.rubric_version, e.person_id, e.dimension_id, e.activity_id
FROM rubric_evidence e
WHERE e.person_id NOT IN (SELECT person_id FROM dim_person)
