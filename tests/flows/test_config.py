"""Config validation: every bad input names the file, the key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows.config import EXAMPLE_CONFIG, ConfigError, read_config, read_secret


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ladder.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_and_commented(tmp_path):
    config = read_config(write(tmp_path, EXAMPLE_CONFIG))
    assert config.github.orgs == ["acme"]
    assert config.jira.projects == ["ML", "SEARCH"]
    assert config.warehouse_path == tmp_path / "ladder.duckdb"
    assert config.model_dir == tmp_path / "models"
    assert EXAMPLE_CONFIG.count("#") > 15


def test_missing_file_names_path_and_fix(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_config(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(err.value) and "ladder init" in str(err.value)


def test_malformed_yaml_names_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_config(write(tmp_path, "github:\n  orgs: [acme\n  token_env: X\n"))
    msg = str(err.value)
    assert "ladder.yaml" in msg and "not valid YAML" in msg and "line" in msg


def test_unknown_key_names_key_path(tmp_path):
    data = yaml.safe_load(EXAMPLE_CONFIG)
    data["github"]["token"] = "ghp_secret"
    with pytest.raises(ConfigError) as err:
        read_config(write(tmp_path, yaml.safe_dump(data)))
    msg = str(err.value)
    assert "github.token: unknown key" in msg and "remove it" in msg
    assert "ghp_secret" not in msg


def test_wrong_type_and_missing_field(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_config(write(tmp_path, "github:\n  include_archived: maybe\n"))
    msg = str(err.value)
    assert "github.orgs" in msg and "add it" in msg
    assert "github.include_archived" in msg and "true or false" in msg


def test_token_value_instead_of_env_name_is_refused(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_config(write(tmp_path, "github:\n  orgs: [a]\n  token_env: ghp_abc-123.x\n"))
    assert "github.token_env" in str(err.value) and "environment variable name" in str(err.value)


def test_top_level_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_config(write(tmp_path, "- a\n- b\n"))
    assert "mapping" in str(err.value)


def test_missing_secret_names_variable(tmp_path, monkeypatch):
    config = read_config(write(tmp_path, EXAMPLE_CONFIG))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with pytest.raises(ConfigError) as err:
        read_secret("GITHUB_TOKEN", purpose="GitHub token", config=config)
    assert "GITHUB_TOKEN" in str(err.value) and "export" in str(err.value)
    monkeypatch.setenv("GITHUB_TOKEN", "abc")
    assert read_secret("GITHUB_TOKEN", purpose="GitHub token", config=config) == "abc"
