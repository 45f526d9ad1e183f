"""A tiny company synced through the real stages, its snapshot published and ``ladder serve`` running on it."""

from __future__ import annotations

import pytest

from tests.support.browser import browser  # noqa: F401 (the module-scoped Chromium fixture)
from tests.support.synced import synced_world
from tests.support.web import served
from tests.support.worlds import tiny_world


@pytest.fixture(scope="module")
def tiny_web(tmp_path_factory):
    """(synced, web server) for tiny_world: ana and bo report to dana, cyd to eli."""
    tmp = tmp_path_factory.mktemp("tiny-web")
    with synced_world(tiny_world(), tmp) as synced, served(synced) as web:
        yield synced, web
