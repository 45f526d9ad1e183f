-- report_activity: the columns of fct_activity the reports read beyond evidence (monthly activity, coverage's
-- active days and unlinked accounts, the data's span), materialised by the nightly's report stage and
-- ordered by person, so that one report reads one person's rows instead of evaluating fct_activity (a view
-- over every raw table) for everyone (issue 13).  Grain: one row per activity_id, as fct_activity.
CREATE TABLE report_activity (
    activity_id            VARCHAR NOT NULL,
    kind                   VARCHAR,
    source                 VARCHAR,
    person_id              VARCHAR,
    actor                  VARCHAR,
    is_bot                 BOOLEAN,
    occurred_at            TIMESTAMPTZ
);

-- report_state: what report_activity (name 'activity') and the stored identity suggestions (name
-- 'suggestions', value: open_suggestions as JSON) were built from: warehouse.report_facts's fingerprint of
-- the raw tables, identity links, views (and identity overrides).  A reader whose fingerprint differs reads
-- fct_activity instead.  Grain: one row per name.
CREATE TABLE report_state (
    name                   VARCHAR PRIMARY KEY,
    fingerprint            VARCHAR NOT NULL,
    value                  VARCHAR,
    built_at               TIMESTAMPTZ NOT NULL
);
