"""``ladder`` as a user runs it: ``python -m flows.cli`` in a subprocess, with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``ladder ARGS`` in ``cwd``; the caller's GitHub and Jira variables are dropped, ``env`` is added."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "JIRA_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
