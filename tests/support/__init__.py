"""Helpers the tests share: hand-written worlds, what the miners must produce, warehouse batches, a world
synced through the real stages, the two-quarter company of the report tests, paths.

Tests import these (``from tests.support.worlds import tiny_world``); fixtures shared by several
packages' tests are in ``tests/conftest.py``.  No test imports from another test file.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"
