-- Grain: one interval of one person's team or level (person_id, kind,
-- valid_from), half-open [valid_from, valid_to), NULL = unbounded.  People the
-- roster loaded without history rows get one unbounded interval from their
-- current team and level, so every person with a team has an interval.
WITH dated AS (
    SELECT person_id, kind, value, level_rank, valid_from, valid_to FROM stg_roster_enrollments
),
undated AS (
    SELECT p.person_id, 'team' AS kind, p.team_id AS value, NULL::INTEGER AS level_rank,
           NULL::DATE AS valid_from, NULL::DATE AS valid_to
    FROM stg_roster_people p
    WHERE p.team_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM dated d WHERE d.person_id = p.person_id AND d.kind = 'team')
    UNION ALL
    SELECT p.person_id, 'level', p.level, p.level_rank, NULL::DATE, NULL::DATE
    FROM stg_roster_people p
    WHERE p.level IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM dated d WHERE d.person_id = p.person_id AND d.kind = 'level')
)
SELECT * FROM dated
UNION ALL
SELECT * FROM undated
