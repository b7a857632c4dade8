"""Configuration: read at run time, secrets only from the environment, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.destinations import make_destination
from pmo_hub.config import ConfigError, load_config, require


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pmo-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_to_a_duckdb_file_under_the_project(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, ""), environ={})
    assert config.warehouse.target == "duckdb"
    assert config.warehouse.duckdb_path == tmp_path / "warehouse" / "pmo.duckdb"
    assert config.enabled == ()


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    path = _write(tmp_path, '[sources.jira]\nenabled = true\nbase_url = "https://x.example"\n')
    config = load_config(path, environ={"PMO_HUB_JIRA_API_TOKEN": "tok-123"})
    assert config.enabled == ("jira",)
    assert config.source("jira")["api_token"] == "tok-123"


def test_a_secret_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = _write(tmp_path, '[sources.jira]\napi_token = "s3cr3t-value"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "PMO_HUB_JIRA_API_TOKEN" in str(info.value)
    assert "s3cr3t-value" not in str(info.value)


def test_missing_settings_are_named(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "[sources.jira]\nenabled = true\n"), environ={})
    with pytest.raises(
        ConfigError, match=r"set sources\.jira\.base_url.*export PMO_HUB_JIRA_API_TOKEN"
    ):
        require(config.source("jira"), "jira", "base_url", "api_token")


def test_postgres_target_requires_a_url(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[warehouse]\ntarget = "postgres"\n'), environ={})
    with pytest.raises(ConfigError, match="PMO_HUB_POSTGRES_URL"):
        config.dbt_env()
    with pytest.raises(ValueError, match="PMO_HUB_POSTGRES_URL"):
        make_destination("postgres")


def test_postgres_dbt_env_splits_the_url(tmp_path: Path) -> None:
    config = load_config(
        _write(tmp_path, '[warehouse]\ntarget = "postgres"\n'),
        environ={"PMO_HUB_POSTGRES_URL": "postgresql://u:p%40ss@db.local:6543/pmo"},
    )
    env = config.dbt_env()
    assert env["PMO_HUB_PG_HOST"] == "db.local"
    assert env["PMO_HUB_PG_PORT"] == "6543"
    assert env["PMO_HUB_PG_PASSWORD"] == "p@ss"
    assert env["PMO_HUB_PG_DATABASE"] == "pmo"


def test_unknown_source_and_bad_target_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown source"):
        load_config(_write(tmp_path, "[sources.trello]\nenabled = true\n"), environ={})
    with pytest.raises(ConfigError, match="warehouse.target"):
        load_config(_write(tmp_path, '[warehouse]\ntarget = "oracle"\n'), environ={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "[warehouse\n"), environ={})


def test_dbt_duckdb_memory_limit_reaches_the_profile(tmp_path: Path) -> None:
    default = load_config(_write(tmp_path, "[warehouse]\n"), environ={})
    assert default.dbt_env()["PMO_HUB_DBT_MEMORY_LIMIT"] == "1GB"
    custom = load_config(_write(tmp_path, '[warehouse]\ndbt_memory_limit = "3GB"\n'), environ={})
    assert custom.dbt_env()["PMO_HUB_DBT_MEMORY_LIMIT"] == "3GB"
    profile = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml").read_text()
    )
    settings = profile["pmo_hub"]["outputs"]["duckdb"]["settings"]
    assert "env_var('PMO_HUB_DBT_MEMORY_LIMIT'" in settings["memory_limit"]
