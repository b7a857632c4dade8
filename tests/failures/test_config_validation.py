"""Configuration typos and gaps are errors that name the key, suggest the closest one, and leak
no secret; the shipped example and the sandbox's generated config stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from failure_helpers import REPO, run_cli, write_config

from pmo_hub.config import ConfigError, check_config, load_config

SECRET = "tok-" + "s3cr3t" * 5


def _error(tmp_path: Path, body: str, environ: dict[str, str] | None = None) -> str:
    path = tmp_path / "pmo-hub.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        check_config(load_config(path, environ=environ or {}))
    return str(info.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[hub]\nreport_dir = "r"\n',
            "unknown key 'report_dir' in [hub] (did you mean 'reports_dir'?)",
        ),
        (
            '[warehouse]\nduckdb_pth = "w.duckdb"\n',
            "unknown key 'duckdb_pth' in [warehouse] (did you mean 'duckdb_path'?)",
        ),
        (
            '[source.jira]\nenabled = true\nbase_url = "https://x"\n',
            "unknown section [source.jira] (did you mean [sources.jira]?)",
        ),
        (
            "[sources.jiraa]\nenabled = true\n",
            "unknown source [sources.jiraa] (did you mean [sources.jira]?)",
        ),
        (
            '[sources.jira]\nenabled = false\nbase_url = "https://x"\nprojets = ["A"]\n',
            "unknown key 'projets' in [sources.jira] (did you mean 'projects'?)",
        ),
        (
            '[sources.finance]\nlanding_dir = ["x"]\n',
            "unknown key 'landing_dir' in [sources.finance] (did you mean 'landing_dirs'?)",
        ),
        ("[hub.reports_dir]\nx = 1\n", "[hub] reports_dir must be a value, not a table"),
        (
            '[warehuose]\ntarget = "duckdb"\n',
            "unknown section [warehuose] (did you mean [warehouse]?)",
        ),
        (
            '[sources.jira]\nenabled = false\n[sources.jira.email]\nx = "a"\n',
            "email must be a value",
        ),
        ("[warehouse]\nlock_timeout_s = -1\n", "lock_timeout_s must be a number of seconds"),
    ],
)
def test_typos_name_the_key_and_the_closest_known_one(tmp_path, body, expected):
    message = _error(tmp_path, body, {"PMO_HUB_JIRA_API_TOKEN": SECRET})
    assert expected in message
    assert SECRET not in message


def test_every_typo_is_reported_at_once(tmp_path):
    message = _error(tmp_path, '[hub]\nreport_dir = "r"\n[warehouse]\nduckdb_pth = "w"\n')
    assert "'report_dir'" in message and "'duckdb_pth'" in message


def test_missing_settings_are_named_plainly(tmp_path):
    message = _error(
        tmp_path,
        "[sources.jira]\nenabled = true\n[sources.planner]\nenabled = true\n"
        '[sources.msproject]\nenabled = true\n[warehouse]\ntarget = "postgres"\n',
    )
    assert "[sources.jira] needs base_url (site root" in message
    assert "Jira (Cloud) needs an API token: export PMO_HUB_JIRA_API_TOKEN" in message
    assert "[sources.jira] needs email" in message
    assert "[sources.planner] needs tenant_id" in message
    assert "[sources.planner] needs client_id" in message
    assert "export PMO_HUB_PLANNER_CLIENT_SECRET" in message
    assert "[sources.msproject] needs folders" in message
    assert "export PMO_HUB_POSTGRES_URL" in message
    assert "__init__" not in message and "positional argument" not in message


def test_disabled_sources_need_nothing(tmp_path):
    path = tmp_path / "pmo-hub.toml"
    path.write_text("[sources.jira]\nenabled = false\n", encoding="utf-8")
    check_config(load_config(path, environ={}))


def test_connector_validation_is_reported_as_a_config_error(tmp_path):
    message = _error(
        tmp_path,
        '[sources.jira]\nenabled = true\nbase_url = "https://x"\nemail = "a@b"\n'
        'deployment = "server"\n',
        {"PMO_HUB_JIRA_API_TOKEN": SECRET},
    )
    assert "[sources.jira] is invalid: jira deployment must be 'cloud' or 'datacenter'" in message
    assert SECRET not in message


def test_nested_tables_are_allowed_for_dict_settings(tmp_path):
    path = write_config(
        tmp_path,
        '[sources.jira]\nenabled = true\nbase_url = "https://x"\nemail = "a@b"\n'
        '[sources.jira.custom_field_overrides]\nstory_points = "customfield_10016"\n',
    )
    config = load_config(path, environ={"PMO_HUB_JIRA_API_TOKEN": SECRET})
    check_config(config)
    assert config.source("jira")["custom_field_overrides"] == {"story_points": "customfield_10016"}


def test_the_shipped_example_is_valid(tmp_path):
    example = (REPO / "pmo-hub.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "pmo-hub.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path, environ={})
    check_config(config)
    assert config.enabled == ("finance",)


def test_a_sandbox_config_is_valid(tmp_path):
    # What sandbox/runtime.py writes for `pmo-hub sandbox up` and the demo.
    body = (
        '[hub]\nas_of_date = "2026-01-01"\n'
        '[sources.jira]\nenabled = true\nbase_url = "https://127.0.0.1:1"\n'
        'deployment = "cloud"\nemail = "a@b"\nverify = "ca.pem"\n'
        '[sources.planner]\nenabled = true\nauthority = "https://127.0.0.1:1/t"\n'
        'graph_url = "https://127.0.0.1:1/v1.0"\ntenant_id = "t"\nclient_id = "c"\n'
        'verify = "ca.pem"\n'
        '[sources.msproject]\nenabled = true\nfolders = ["plans"]\n'
        '[sources.finance]\nenabled = true\nlanding_dirs = ["landing"]\n'
    )
    path = tmp_path / "pmo-hub.toml"
    path.write_text(body, encoding="utf-8")
    env = {"PMO_HUB_JIRA_API_TOKEN": "t", "PMO_HUB_PLANNER_CLIENT_SECRET": "s"}
    check_config(load_config(path, environ=env))


def test_postgres_dbt_env_carries_the_lock_timeout(tmp_path):
    path = tmp_path / "pmo-hub.toml"
    path.write_text('[warehouse]\ntarget = "postgres"\nlock_timeout_s = 2.5\n', encoding="utf-8")
    config = load_config(path, environ={"PMO_HUB_POSTGRES_URL": "postgresql://u@h/db"})
    assert config.warehouse.lock_timeout_s == 2.5
    assert config.dbt_env()["PGOPTIONS"] == "-c lock_timeout=2500"


def test_cli_reports_a_typo_with_exit_2_without_starting(tmp_path):
    path = write_config(tmp_path, '[sources.finance]\nenabled = true\nlanding_dir = ["x"]\n')
    result = run_cli(["run", "--config", str(path)], cwd=tmp_path)
    assert result.returncode == 2
    assert "did you mean 'landing_dirs'?" in result.err
    assert result.seconds < 5, result.seconds
    assert not (tmp_path / "w.duckdb").exists()
