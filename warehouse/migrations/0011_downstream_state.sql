-- What each downstream stage last built, and from what (issue 13): a night where nothing changed
-- re-classifies, rebuilds and rewrites nothing.  Each state row commits with the rows it describes.

-- activity_label_inputs: the activity row (fct_activity, hashed) its labels in activity_labels were made from.
-- Grain: one row per activity_id.
CREATE TABLE activity_label_inputs (
    activity_id            VARCHAR PRIMARY KEY,
    input_hash             VARCHAR NOT NULL
);

-- evidence_inputs: per rubric version and person, a hash of the activities and labels their evidence rows
-- in rubric_evidence were built from.
-- Grain: one row per (rubric_id, rubric_version, person_id).
CREATE TABLE evidence_inputs (
    rubric_id              VARCHAR NOT NULL,
    rubric_version         VARCHAR NOT NULL,
    person_id              VARCHAR NOT NULL,
    input_hash             VARCHAR NOT NULL,
    PRIMARY KEY (rubric_id, rubric_version, person_id)
);

-- stage_versions: how a stage's stored output was made (the classifiers' rules and models; the rubric and
-- the evidence query).  A different version redoes the stage's whole output.
-- Grain: one row per stage key (classify, evidence:<rubric_id>:<rubric_version>).
CREATE TABLE stage_versions (
    stage                  VARCHAR PRIMARY KEY,
    version_hash           VARCHAR NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);

-- A report reads one person's evidence: an index on person_id, so it never scans everyone's rows.
CREATE INDEX rubric_evidence_person ON rubric_evidence (person_id);
