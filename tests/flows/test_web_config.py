"""The web: section of ladder.yaml and where `ladder serve` finds GitHub's OAuth endpoints."""

from __future__ import annotations

import pytest

from flows.config import ConfigError, read_config
from flows.web.signin import oauth_base


def _config(tmp_path, web: str):
    path = tmp_path / "ladder.yaml"
    path.write_text("version: 1\ngithub: {orgs: [acme]}\nweb:\n" + web, encoding="utf-8")
    return read_config(path)


def test_defaults_sit_beside_the_warehouse(tmp_path):
    config = _config(tmp_path, "  admins: [ana]\n")
    assert config.feedback_path == tmp_path / "ladder.duckdb.feedback.sqlite"
    assert config.snapshots_dir == tmp_path / "ladder.duckdb.snapshots"
    assert config.web.session_hours == 8 and config.web.admins == ["ana"]
    assert (config.web.sign_in_failures, config.web.sign_in_window_minutes) == (5, 15)


@pytest.mark.parametrize(
    "web, problem",
    [
        ("  oauth_client_secret_env: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n", "looks like a token"),
        ("  public_url: ftp://x\n", r"public_url must be an http\(s\) URL"),
        ("  session_hours: 0\n", "session_hours"),
        ("  admin: [ana]\n", "unknown key"),
        ("  sign_in_failures: 0\n", r"web\.sign_in_failures.*from 1 to 1000 \(default 5\)"),
        ("  sign_in_failures: many\n", r"web\.sign_in_failures.*whole number"),
        ("  sign_in_window_minutes: -1\n", r"web\.sign_in_window_minutes.*above 0 and at most 1440"),
    ],
)
def test_bad_web_settings_name_the_key_and_the_fix(tmp_path, web, problem):
    with pytest.raises(ConfigError, match=problem) as caught:
        _config(tmp_path, web)
    assert "ghp_abc" not in str(caught.value)


def test_oauth_host_from_the_api_url():
    assert oauth_base("https://api.github.com") == "https://github.com"
    assert oauth_base("https://ghe.acme.internal/api/v3") == "https://ghe.acme.internal"
    assert oauth_base("http://127.0.0.1:5000/api/v3") == "http://127.0.0.1:5000"
