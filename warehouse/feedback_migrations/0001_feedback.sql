-- The feedback file (issue 12): what people write about their evidence, and who read what.
-- Both tables are append-only: the store's API only inserts; a change of mind is a new row.

-- Context, disputes, pins, evidence the tools cannot see, and a manager's confirmation of a dispute.
-- Keyed by activity id + behaviour id (never a rubric version or evidence row), so a note survives every
-- nightly re-run and every rubric or model version bump.
CREATE TABLE feedback_notes (
    note_id        VARCHAR PRIMARY KEY,      -- random, unguessable
    subject_id     VARCHAR NOT NULL,         -- the roster person whose evidence it is about
    author_id      VARCHAR NOT NULL,         -- the roster person who wrote it
    author_role    VARCHAR NOT NULL,         -- subject | manager | admin
    kind           VARCHAR NOT NULL,         -- context | dispute | pin | extra | confirm
    activity_id    VARCHAR,                  -- NULL for extra evidence (it has no activity)
    behaviour_id   VARCHAR NOT NULL,
    reason         VARCHAR,                  -- dispute: wrong_label | not_my_work | not_this_behaviour
    label          VARCHAR,                  -- dispute: the label the subject says is right (optional)
    disputed_label VARCHAR,                  -- dispute: the label the item was shown with (provenance)
    refers_to      VARCHAR,                  -- confirm: the dispute's note_id
    body           VARCHAR NOT NULL,
    link           VARCHAR,                  -- extra evidence: an http(s) link
    created_at     TIMESTAMPTZ NOT NULL
);

-- Every page view, export, sign-in and write of `ladder serve`: who, what, when. Never a token.
CREATE TABLE audit_log (
    logged_at   TIMESTAMPTZ NOT NULL,
    viewer_id   VARCHAR,                     -- the roster person signed in (NULL before sign-in)
    action      VARCHAR NOT NULL,
    subject     VARCHAR,                     -- the page's person as asked (trimmed), when there is one
    status      INTEGER NOT NULL,
    detail      VARCHAR
);
