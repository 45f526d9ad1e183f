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
