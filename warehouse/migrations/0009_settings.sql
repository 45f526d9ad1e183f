-- Settings the nightly sync records for readers who must not trust a config of their own (issue 16):
-- the report access policy (reports.require_viewer) and the GitHub server the viewer check asks
-- (github.base_url), written from the operator's config by every writing stage.  A reader's config
-- cannot relax them: `ladder report` enforces what this table says.  Grain: one row per key.
CREATE TABLE ladder_settings (
    key        VARCHAR PRIMARY KEY,
    value      JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
