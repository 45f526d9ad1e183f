-- Judgments and interpretation, kept apart from the facts (fct_activity).

-- activity_labels: classifiers.contract.LABEL_SCHEMA.
-- Grain: one row per (activity_id, label, classifier_id).
CREATE TABLE activity_labels (
    activity_id            VARCHAR NOT NULL,
    label                  VARCHAR NOT NULL,
    confidence             DOUBLE,
    classifier_kind        VARCHAR,
    classifier_id          VARCHAR NOT NULL,
    classifier_version     VARCHAR,
    reason                 VARCHAR,
    PRIMARY KEY (activity_id, label, classifier_id)
);

-- rubric_evidence: rubric.contract.EVIDENCE_SCHEMA.
-- Grain: one row per (rubric_id, rubric_version, person_id, dimension_id, activity_id).
CREATE TABLE rubric_evidence (
    rubric_id              VARCHAR NOT NULL,
    rubric_version         VARCHAR NOT NULL,
    person_id              VARCHAR NOT NULL,
    dimension_id           VARCHAR NOT NULL,
    behaviour_id           VARCHAR,
    activity_id            VARCHAR NOT NULL,
    kind                   VARCHAR,
    occurred_at            TIMESTAMPTZ,
    url                    VARCHAR,
    title                  VARCHAR,
    signals                VARCHAR[],
    weight                 DOUBLE,
    reason                 VARCHAR,
    PRIMARY KEY (rubric_id, rubric_version, person_id, dimension_id, activity_id)
);
