"""Arrow contract for evidence rows: the rubric stage's output, the reports' input."""

from __future__ import annotations

import pyarrow as pa

from classifiers.contract import TS

EVIDENCE_SCHEMA = pa.schema(
    [
        ("rubric_id", pa.string()),
        ("rubric_version", pa.string()),
        ("person_id", pa.string()),
        ("dimension_id", pa.string()),
        ("behaviour_id", pa.string()),
        ("activity_id", pa.string()),
        ("kind", pa.string()),
        ("occurred_at", TS),
        ("url", pa.string()),
        ("title", pa.string()),
        ("signals", pa.list_(pa.string())),
        ("weight", pa.float64()),
        ("reason", pa.string()),
        ("thread_id", pa.string()),  # the PR / ticket / incident the item is about (its own id for a PR)
        ("activity_count", pa.int32()),  # activities folded into this item (a review + its inline comments)
        ("excerpt", pa.string()),  # the text that earned the item, whitespace-collapsed and trimmed
    ]
)
