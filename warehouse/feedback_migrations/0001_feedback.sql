-- The feedback file (issue 12; SQLite, see warehouse/feedback.py): what people write about their evidence, and who read what.
-- Both tables are append-only: the store's API only inserts; a change of mind is a new row.

-- Context, disputes, pins, evidence the tools cannot see, and a manager's confirmation of a dispute.
-- Keyed by activity id + behaviour id (never a rubric version or evidence row), so a note survives every
-- nightly re-run and every rubric or model version bump.
CREATE TABLE feedback_notes (
    note_id        TEXT PRIMARY KEY,      -- random, unguessable
    subject_id     TEXT NOT NULL,         -- the roster person whose evidence it is about
    author_id      TEXT NOT NULL,         -- the roster person who wrote it
    author_role    TEXT NOT NULL,         -- subject | manager | admin
    kind           TEXT NOT NULL,         -- context | dispute | pin | extra | confirm
    activity_id    TEXT,                  -- NULL for extra evidence (it has no activity)
    behaviour_id   TEXT NOT NULL,
    reason         TEXT,                  -- dispute: wrong_label | not_my_work | not_this_behaviour
    label          TEXT,                  -- dispute: the label the subject says is right (optional)
    disputed_label TEXT,                  -- dispute: the label the item was shown with (provenance)
    refers_to      TEXT,                  -- confirm: the dispute's note_id
    body           TEXT NOT NULL,
    link           TEXT,                  -- extra evidence: an http(s) link
    created_at     TEXT NOT NULL            -- ISO 8601, UTC
);

-- Every page view, export, sign-in and write of `ladder serve`: who, what, when. Never a token.
CREATE TABLE audit_log (
    logged_at   TEXT NOT NULL,
    viewer_id   TEXT,                     -- the roster person signed in (NULL before sign-in)
    action      TEXT NOT NULL,
    subject     TEXT,                     -- the page's person as asked (trimmed), when there is one
    status      INTEGER NOT NULL,
    detail      TEXT
);
