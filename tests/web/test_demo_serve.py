"""``ladder demo --serve`` (what ``make demo`` runs): the web app on the demo company, its URL and two sign-ins
printed, both usable through the sandbox's OAuth, and Ctrl-C stops the app and the sandbox."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
import requests

from tests.support.web import oauth_sign_in

pytestmark = pytest.mark.slow  # a whole demo: generate, sync, classify, report, serve


def test_demo_serves_prints_two_sign_ins_and_ctrl_c_stops_both(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "JIRA_", "LADDER_"))}
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "demo",
            "--engineers",
            "8",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "d"),
            "--serve",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C stops"):
                break
        text = "".join(lines)
        web_url = re.search(r"ladder serve: (http://127\.0\.0\.1:\d+)", text).group(1)
        sandbox_url = re.search(r"the sandbox at (http://127\.0\.0\.1:\d+)", text).group(1)
        sign_ins = re.findall(r"^  (engineer|their manager):\s+login (\S+), password (\S+)$", text, re.M)
        assert [role for role, _, _ in sign_ins] == ["engineer", "their manager"], text
        (_, engineer, e_password), (_, manager, m_password) = sign_ins
        me = oauth_sign_in(web_url, engineer, e_password)
        assert me.get(f"{web_url}/people/{engineer}", timeout=60).status_code == 200
        boss = oauth_sign_in(web_url, manager, m_password)
        assert boss.get(f"{web_url}/people/{engineer}", timeout=60).status_code == 200
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    for url in (web_url, sandbox_url):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
