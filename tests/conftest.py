"""Fixtures shared by the tests of several packages (helpers that are not fixtures: ``tests/support``).

Two tiers: ``pytest -m "not slow"`` is the fast, offline tier; ``pytest -m slow`` the end-to-end tier
(full syncs through the sandbox, the nightly flow and the demo, the wheel, faults and crash safety,
the classifier evaluation harness).  ``make test`` runs both, fast first, each over pytest-xdist workers
(``-n auto --dist loadscope``: a module's tests, and so its module-scoped fixtures, stay on one worker).
How to share a synced world instead of syncing one per test: ``tests/README.md``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from tests.support.models import shared_models
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world

# Each test process (each xdist worker) gets its own Prefect home, so Prefect's temporary API servers and
# their SQLite databases never share a folder (nor touch the developer's ~/.prefect).  Set before any test
# module imports Prefect, which reads its settings on import.  A PREFECT_HOME given by the caller wins.
if "PREFECT_HOME" not in os.environ:
    _prefect_home = tempfile.mkdtemp(prefix="ladder-tests-prefect-")
    os.environ["PREFECT_HOME"] = _prefect_home
    atexit.register(shutil.rmtree, _prefect_home, ignore_errors=True)


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory):
    """Both classifier models trained once for the run (once for all xdist workers): a folder to copy from.

    Pass it as ``synced_world(..., models=trained_models)`` so a synced world's classify stage loads
    these instead of training its own; see ``tests/support/models.py``.
    """
    return shared_models(tmp_path_factory)


@pytest.fixture(scope="session")
def synced_tiny(tmp_path_factory, trained_models):
    """tiny_world served by a running sandbox, synced through the nightly's stages (roster, GitHub, Jira,
    identities, classify, evidence; no reports) by ``tests.support.synced.synced_world``.

    Yields ``(world, server, config_path)``; the server keeps serving (``ladder report
    --viewer-token-env`` asks it who owns a token).  Once per test process and read-only for the tests that
    share it: a test that writes copies the folder first (``shutil.copytree(config_path.parent, tmp_path / ...)``).
    """
    with synced_world(tiny_world(), tmp_path_factory.mktemp("synced-tiny"), models=trained_models) as synced:
        yield synced.world, synced.server, synced.config_path
