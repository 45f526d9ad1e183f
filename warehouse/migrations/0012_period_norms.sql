-- period_norms: a rubric version's calibration (rubric.calibration: the cohorts' norms) for one period,
-- computed once by the nightly's report stage from everyone's evidence rows, so that one report reads
-- them instead of everyone's evidence (issue 13).  fingerprint is rubric.norms_store.norms_fingerprint
-- of what they were computed from (the evidence's build state, the roster's levels and start dates, the
-- rubric, the period, the calibration code): a reader whose fingerprint differs computes them itself.
-- Grain: one row per (rubric_id, rubric_version, since, until); since and until are inclusive.
CREATE TABLE period_norms (
    rubric_id              VARCHAR NOT NULL,
    rubric_version         VARCHAR NOT NULL,
    since                  DATE NOT NULL,
    until                  DATE NOT NULL,
    fingerprint            VARCHAR NOT NULL,
    norms                  VARCHAR NOT NULL,
    computed_at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (rubric_id, rubric_version, since, until)
);
