-- Evidence rows, set-wise: labelled activities -> one item per (person, thread, dimension).
-- The rules are stated in rubric/evidence.py's docstring; this is their one implementation.
--
-- Inputs (relations the caller provides under these names; see rubric/evidence.py):
--   ev_activities   ACTIVITY_SCHEMA columns + ord (the input order: ties and "first" follow it)
--   ev_labels       LABEL_SCHEMA columns
--   ev_targets      signal, dim_index, beh_index, dimension_id, behaviour_id, weight   (the rubric)
--   ev_sets         signal, is_substance, is_explanatory, is_gated                     (the quality rules)
--   ev_epics        epic_key, n, people, factor, said  (only for epics someone leads; see _epic_table)
--   ev_scope        person_id: whose evidence to build (every person when the caller says so)
-- Placeholders replaced from code constants, never from input: {WS} (Python's whitespace),
-- {THREAD_KINDS}, {WORDS} and {WORDS_M} (the non-stock words of body, m.body), {SUBSTANTIVE_MIN_WORDS}, {EXPLANATORY_MIN_WORDS}, {EXCERPT_CHARS}, {SCOPED}.
WITH
lab AS (
    SELECT l.activity_id, l.label AS signal, l.reason,
           CASE WHEN l.confidence IS NULL THEN 1.0 ELSE least(greatest(l.confidence, 0.0), 1.0) END AS conf,
           coalesce(l.confidence, 1.0) AS sort_conf
    FROM ev_labels l
    WHERE l.activity_id IS NOT NULL AND l.label IN (SELECT signal FROM ev_sets)
),
act_sig AS MATERIALIZED (   -- activity x signal: its highest confidence
    SELECT activity_id, signal, max(conf) AS conf FROM lab GROUP BY activity_id, signal
),
act_reason AS (   -- activity x signal x distinct reason, in the order: most confident first, then by text
    SELECT activity_id, signal, reason,
           row_number() OVER (PARTITION BY activity_id, signal ORDER BY max(sort_conf) DESC, reason) AS rank
    FROM lab WHERE reason IS NOT NULL AND reason <> ''
    GROUP BY activity_id, signal, reason
),
first_seen AS (   -- a person's activity counts once (its first row)
    SELECT a.*, row_number() OVER (PARTITION BY a.person_id, a.activity_id ORDER BY a.ord) AS dup
    FROM ev_activities a
    WHERE a.person_id IS NOT NULL AND NOT coalesce(a.is_bot, false)
      AND ({SCOPED} = 0 OR a.person_id IN (SELECT person_id FROM ev_scope))
      AND a.activity_id IN (SELECT activity_id FROM act_sig)
),
feedback AS (
    SELECT *, coalesce(kind IN ({THREAD_KINDS}), false) AS is_feedback FROM first_seen WHERE dup = 1
),
members AS MATERIALIZED (   -- a person's replies on their own PR or ticket are not evidence of anything
    SELECT person_id, activity_id, ord, kind, occurred_at, url, title, body, subject_person_id, is_feedback,
           CASE WHEN is_feedback THEN coalesce(nullif(subject_activity_id, ''), activity_id) ELSE activity_id END
               AS thread_id,
           CASE WHEN is_feedback THEN {WORDS} END AS words   -- other kinds' only when needed (representative)
    FROM feedback
    WHERE NOT (is_feedback AND subject_person_id IS NOT DISTINCT FROM person_id)
),
epic_of AS (   -- leading an epic counts in proportion to its size (ev_epics)
    SELECT m.activity_id, e.factor, e.said
    FROM members m JOIN ev_epics e ON e.epic_key = regexp_extract(m.activity_id, '[^:]*$')
    WHERE starts_with(m.activity_id, 'jira:ticket:')
),
mem_sig AS (
    SELECT m.person_id, m.thread_id, s.signal,
           CASE WHEN s.signal = 'project.epic_lead' AND e.factor IS NOT NULL THEN s.conf * e.factor ELSE s.conf END
               AS conf
    FROM members m JOIN act_sig s ON s.activity_id = m.activity_id
    LEFT JOIN epic_of e ON e.activity_id = m.activity_id
),
mem_reason AS (
    SELECT m.person_id, m.thread_id, r.signal, r.reason, m.ord, r.rank
    FROM members m JOIN act_reason r ON r.activity_id = m.activity_id
    UNION ALL
    SELECT m.person_id, m.thread_id, 'project.epic_lead', e.said, m.ord, 1000000000
    FROM members m JOIN epic_of e ON e.activity_id = m.activity_id
    JOIN act_sig s ON s.activity_id = m.activity_id AND s.signal = 'project.epic_lead'
),
thread_sig AS MATERIALIZED (   -- a thread's signals, each at its highest confidence in the thread
    SELECT person_id, thread_id, signal, max(conf) AS conf FROM mem_sig GROUP BY person_id, thread_id, signal
),
thread_reason AS (   -- and its reasons, each once, in the order the thread's activities first gave them
    SELECT person_id, thread_id, signal, reason, ord, rank
    FROM (
        SELECT *, row_number() OVER (PARTITION BY person_id, thread_id, signal, reason ORDER BY ord, rank) AS n
        FROM mem_reason
    ) WHERE n = 1
),
threads AS MATERIALIZED (
    SELECT person_id, thread_id, count(*) AS n_rows, bool_or(is_feedback) AS has_feedback,
           sum(CASE WHEN is_feedback THEN words ELSE 0 END) AS words,
           min(occurred_at) AS first_at,
           first(kind ORDER BY ord) AS first_kind,
           first(subject_person_id ORDER BY ord) AS first_subject,
           count(*) FILTER (WHERE kind = 'review') AS n_review,
           count(*) FILTER (WHERE kind = 'review_comment') AS n_review_comment,
           count(*) FILTER (WHERE kind = 'issue_comment') AS n_issue_comment,
           count(*) FILTER (WHERE kind = 'ticket_comment') AS n_ticket_comment
    FROM members GROUP BY person_id, thread_id
),
flags AS (
    SELECT t.person_id, t.thread_id, t.has_feedback,
           bool_or(s.is_substance) OR t.words >= {SUBSTANTIVE_MIN_WORDS} AS has_substance,
           bool_or(s.is_explanatory) OR t.words >= {EXPLANATORY_MIN_WORDS} AS explanatory
    FROM threads t JOIN thread_sig ts USING (person_id, thread_id) JOIN ev_sets s ON s.signal = ts.signal
    GROUP BY t.person_id, t.thread_id, t.has_feedback, t.words
),
gated AS (   -- quality before volume: feedback without substance may not review, mentor, discuss or reach across
    SELECT ts.*
    FROM thread_sig ts JOIN flags f USING (person_id, thread_id) JOIN ev_sets s ON s.signal = ts.signal
    WHERE NOT f.has_feedback
       OR (f.has_substance AND NOT (ts.signal = 'mentorship' AND NOT f.explanatory))
       OR (NOT f.has_substance AND NOT s.is_gated)
),
behaviour AS (   -- noisy-or over the thread's matched signals, multiplied in signal order
    SELECT g.person_id, g.thread_id, t.dim_index, t.beh_index,
           any_value(t.dimension_id) AS dimension_id, any_value(t.behaviour_id) AS behaviour_id,
           1.0 - list_product(list(1.0 - t.weight * g.conf ORDER BY g.signal)) AS weight,
           list(g.signal ORDER BY g.signal) AS matched
    FROM gated g JOIN ev_targets t ON t.signal = g.signal
    GROUP BY g.person_id, g.thread_id, t.dim_index, t.beh_index
),
best AS MATERIALIZED (   -- per dimension, the behaviour matched most strongly (the first in document order on a tie)
    SELECT * FROM (
        SELECT b.*, row_number() OVER (
                   PARTITION BY person_id, thread_id, dim_index ORDER BY beh_index) AS pick
        FROM (
            SELECT *, max(weight) OVER (PARTITION BY person_id, thread_id, dim_index) AS top
            FROM behaviour WHERE weight > 0.0
        ) b
        WHERE b.weight >= b.top - 1e-12
    ) WHERE pick = 1
),
strength AS (   -- how strongly each activity of the thread carries the chosen behaviour's matched signals
    SELECT b.person_id, b.thread_id, b.dim_index, m.activity_id, max(s.conf * t.weight) AS strength
    FROM best b JOIN members m ON m.person_id = b.person_id AND m.thread_id = b.thread_id
    JOIN act_sig s ON s.activity_id = m.activity_id AND list_contains(b.matched, s.signal)
    JOIN ev_targets t ON t.beh_index = b.beh_index AND t.signal = s.signal
    GROUP BY b.person_id, b.thread_id, b.dim_index, m.activity_id
),
representative AS (   -- the activity that earned the item: strongest, then says the most, then first
    SELECT * FROM (
        SELECT b.person_id, b.thread_id, b.dim_index, m.activity_id, m.kind, m.url, m.title, m.body, m.is_feedback,
               row_number() OVER (
                   PARTITION BY b.person_id, b.thread_id, b.dim_index
                   ORDER BY coalesce(st.strength, 0.0) DESC,
                            CASE WHEN m.is_feedback THEN m.words WHEN t.n_rows = 1 THEN 0
                                 ELSE {WORDS_M} END DESC,
                            m.occurred_at IS NULL, m.occurred_at, m.activity_id
               ) AS pick
        FROM best b JOIN members m ON m.person_id = b.person_id AND m.thread_id = b.thread_id
        JOIN threads t ON t.person_id = b.person_id AND t.thread_id = b.thread_id
        LEFT JOIN strength st ON st.person_id = b.person_id AND st.thread_id = b.thread_id
             AND st.dim_index = b.dim_index AND st.activity_id = m.activity_id
    ) WHERE pick = 1
),
said AS (   -- the matched signals' reasons, each gist said once, the first three
    SELECT person_id, thread_id, dim_index,
           array_to_string(list(reason ORDER BY sig_pos, ord, rank)[1:3], '; ') AS reason
    FROM (
        SELECT b.person_id, b.thread_id, b.dim_index, tr.reason, tr.ord, tr.rank,
               list_position(b.matched, tr.signal) AS sig_pos,
               row_number() OVER (
                   PARTITION BY b.person_id, b.thread_id, b.dim_index, regexp_replace(tr.reason, '(?s)^.*?: ', '')
                   ORDER BY list_position(b.matched, tr.signal), tr.ord, tr.rank
               ) AS n
        FROM best b JOIN thread_reason tr ON tr.person_id = b.person_id AND tr.thread_id = b.thread_id
             AND list_contains(b.matched, tr.signal)
    ) WHERE n = 1
    GROUP BY person_id, thread_id, dim_index
),
summary AS (   -- "2 reviews, 3 inline comments on someone else's PR" (never the subject's name) for feedback and folded threads
    SELECT person_id, thread_id,
           CASE WHEN n_rows > 1 OR coalesce(first_kind IN ({THREAD_KINDS}), false) THEN
               concat_ws(', ',
                   CASE WHEN n_review > 0 THEN n_review || CASE WHEN n_review = 1 THEN ' review' ELSE ' reviews' END END,
                   CASE WHEN n_review_comment > 0 THEN n_review_comment || CASE WHEN n_review_comment = 1
                       THEN ' inline comment' ELSE ' inline comments' END END,
                   CASE WHEN n_issue_comment > 0 THEN n_issue_comment || CASE WHEN n_issue_comment = 1
                       THEN ' comment' ELSE ' comments' END END,
                   CASE WHEN n_ticket_comment > 0 THEN n_ticket_comment || CASE WHEN n_ticket_comment = 1
                       THEN ' comment' ELSE ' comments' END END
               )
               || ' on '
               || CASE WHEN coalesce(first_subject, '') <> '' THEN 'someone else''s ' ELSE 'the ' END
               || CASE WHEN n_ticket_comment > 0 THEN 'ticket' ELSE 'PR' END
           END AS summary,
           n_rows, first_at
    FROM threads
),
collapsed AS (   -- the excerpt: the representative's text on one line
    SELECT r.*, trim(regexp_replace(r.body, '{WS}+', ' ', 'g')) AS text
    FROM representative r
)
SELECT b.person_id, b.dim_index, s.first_at AS occurred_at, c.activity_id, b.dimension_id, b.behaviour_id, c.kind,
       c.url, c.title, b.matched AS signals, b.weight,
       CASE WHEN s.summary IS NULL THEN coalesce(r.reason, '') ELSE s.summary || ': ' || coalesce(r.reason, '') END
           AS reason,
       b.thread_id, CAST(s.n_rows AS INTEGER) AS activity_count,
       CASE WHEN NOT c.is_feedback OR coalesce(c.text, '') = '' THEN NULL
            WHEN length(c.text) <= {EXCERPT_CHARS} THEN c.text
            ELSE rtrim(
                     coalesce(nullif(CASE WHEN strpos(left(c.text, {EXCERPT_CHARS}), ' ') > 0
                                          THEN regexp_extract(left(c.text, {EXCERPT_CHARS}), '^(.*) ', 1)
                                          ELSE left(c.text, {EXCERPT_CHARS}) END, ''),
                              left(c.text, {EXCERPT_CHARS})),
                     ' ,;:.') || '…'
       END AS excerpt
FROM best b
JOIN collapsed c USING (person_id, thread_id, dim_index)
JOIN summary s USING (person_id, thread_id)
LEFT JOIN said r USING (person_id, thread_id, dim_index)
ORDER BY b.person_id, b.dim_index, s.first_at IS NULL, s.first_at, c.activity_id
