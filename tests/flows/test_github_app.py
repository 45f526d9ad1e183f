"""GitHub App installation auth against the sandbox: PyGithub's ``Auth.AppAuth`` signs a JWT with the App's
private key (path named by an env var), the sandbox checks it (RS256, iss, exp) and issues installation
tokens at ``POST /app/installations/{id}/access_tokens``; the miners read GitHub with them, refreshed
before they expire."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from flows import stages
from flows.cli.main import main
from flows.config import ConfigError, read_config
from sandbox.config_writer import GITHUB_TOKEN_ENV, sandbox_env, write_sandbox_config
from sandbox.github.app import TEMPLATE
from sandbox.server import SandboxServer
from tests.support.synced import edit_yaml
from tests.support.worlds import tiny_world

APP_ID, INSTALLATION = 4242, 77


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def keys():
    return _key_pair()


@pytest.fixture()
def app_setup(tmp_path, monkeypatch, keys):
    private, public = keys
    world = tiny_world()
    with SandboxServer(world) as server:
        config = write_sandbox_config(world, server, tmp_path / "ladder.yaml")
        for key, value in sandbox_env(world).items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv(GITHUB_TOKEN_ENV)  # the App's tokens only
        (tmp_path / "app.pem").write_text(private, encoding="ascii")
        monkeypatch.setenv("LADDER_APP_KEY_PATH", str(tmp_path / "app.pem"))
        edit_yaml(
            config,
            lambda d: d["github"].update(
                app={"app_id": APP_ID, "installation_id": INSTALLATION, "private_key_path_env": "LADDER_APP_KEY_PATH"}
            ),
        )
        yield world, server, config, public


def _exchanges(server, status: int = 201) -> int:
    return server.state.stats()["github"].get("by_endpoint", {}).get(f"{TEMPLATE}.{status}", 0)


def test_sync_reads_github_with_installation_tokens(app_setup):
    world, server, config, public = app_setup
    server.state.register_app(APP_ID, public, INSTALLATION)
    loaded = read_config(config)
    summaries = stages.sync_github(loaded)
    assert not [s for s in summaries if s["error"]]
    assert sum(s["inserted"] for s in summaries) > 0
    assert _exchanges(server) == 1  # one installation token (an hour's lifetime) served the whole sync
    result = CliRunner().invoke(main, ["doctor", "--config", str(config), "--json"])
    github = next(c for c in json.loads(result.output) if c["name"] == "github server")
    assert github["status"] == "ok" and f"installation {INSTALLATION} token issued" in github["detail"]


def test_tokens_about_to_expire_are_refreshed_before_use(app_setup):
    world, server, config, public = app_setup
    server.state.register_app(APP_ID, public, INSTALLATION, lifetime_seconds=10)  # inside PyGithub's margin
    summaries = stages.sync_github(read_config(config))
    assert not [s for s in summaries if s["error"]]
    assert _exchanges(server) > 1  # a fresh token before each use: never an expired one


def test_a_wrong_key_is_refused_by_the_sandbox_and_named(app_setup):
    world, server, config, _ = app_setup
    server.state.register_app(APP_ID, _key_pair()[1], INSTALLATION)  # the App's key is another one
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert result.exit_code == 2 and "rejects the App's JWT" in result.output
    assert _exchanges(server, 401) == 1


def test_a_missing_key_file_is_a_config_error(app_setup, monkeypatch, tmp_path):
    world, server, config, public = app_setup
    monkeypatch.setenv("LADDER_APP_KEY_PATH", str(tmp_path / "absent.pem"))
    with pytest.raises(ConfigError, match="LADDER_APP_KEY_PATH"):
        stages.sync_github(read_config(config))


def test_an_app_installation_that_is_gone_leaves_the_pool(app_setup, monkeypatch, caplog):
    """A pool of a token and an App whose installation the sandbox does not know (uninstalled): the exchange is
    refused, the App leaves the pool naming its installation, and the token reads everything."""
    import logging

    world, server, config, _ = app_setup  # no register_app: the installation is gone
    monkeypatch.setenv(GITHUB_TOKEN_ENV, sandbox_env(world)[GITHUB_TOKEN_ENV])
    app = {"app_id": APP_ID, "installation_id": INSTALLATION, "private_key_path_env": "LADDER_APP_KEY_PATH"}

    def pool(doc: dict) -> None:
        for key in ("app", "token_env"):
            doc["github"].pop(key, None)
        doc["github"]["credentials"] = [{"app": app}, {"token_env": GITHUB_TOKEN_ENV}]

    edit_yaml(config, pool)
    loaded = read_config(config)
    with caplog.at_level(logging.ERROR, logger="miners.github.pool"):
        summaries = stages.sync_github(loaded)
    assert not [s for s in summaries if s["error"]] and sum(s["inserted"] for s in summaries) > 0
    assert _exchanges(server, 404) == 1  # asked once; the pool never uses it again
    [line] = [r.getMessage() for r in caplog.records if "rejected by GitHub" in r.getMessage()]
    assert f"the GitHub App installation {INSTALLATION} was rejected by GitHub" in line
    assert "token exchange was refused (404 Not Found)" in line and "still installed" in line
    result = CliRunner().invoke(main, ["runs", "--config", str(config), "--json"])
    [github] = [r for r in json.loads(result.output) if r["source"] == "github"]
    costs = {c["credential"]: c for c in github["credentials"]}
    assert costs[f"app-{INSTALLATION}"]["rejected"].startswith("the GitHub App installation token exchange")
    assert costs[GITHUB_TOKEN_ENV]["budget_points"] == server.state.stats()["github"]["budget"]["ladder-sync"]
