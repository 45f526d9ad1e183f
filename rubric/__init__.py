"""The rubric stage: a versioned rubric, evidence rows per dimension, and the reports built from them."""

from rubric.evidence import build_evidence
from rubric.model import Rubric, RubricError, load_rubric, parse_rubric
from rubric.render import render_index, render_report, render_self_review
from rubric.report import build_report

__all__ = [
    "Rubric",
    "RubricError",
    "build_evidence",
    "build_report",
    "load_rubric",
    "parse_rubric",
    "render_index",
    "render_report",
    "render_self_review",
]
