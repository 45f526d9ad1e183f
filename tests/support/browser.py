"""Debian's ``chromium`` for Playwright: found on PATH, installed with apt-get when missing.

Playwright's own browser download is not reachable here, so Playwright is always pointed at the system
binary (``executable_path``).  Tests that need a browser skip, saying why, only when neither is possible.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest


def system_chromium() -> str:
    """The system Chromium, installed with apt-get when missing; skips (saying why) only if that fails."""
    found = shutil.which("chromium")
    if found:
        return found
    steps = (["apt-get", "install", "-y", "chromium"], ["apt-get", "update"], ["apt-get", "install", "-y", "chromium"])
    tail = ""
    for step in steps:
        try:
            proc = subprocess.run(step, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            tail = str(exc)
            continue
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        tail = lines[-1] if lines else ""
        found = shutil.which("chromium")
        if found:
            return found
    pytest.skip(f"Debian's chromium is not installed and `apt-get install -y chromium` failed ({tail})")


@pytest.fixture(scope="module")
def browser():
    """A headless system Chromium under Playwright for one test module (import this fixture to use it)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=system_chromium(), args=["--no-sandbox"])
        yield chromium
        chromium.close()
