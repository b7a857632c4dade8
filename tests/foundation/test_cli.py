"""The command line fails with a clear message and exit code 2 on bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmo_hub.cli import build_parser, main


def test_missing_config_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--config", str(tmp_path / "nope.toml")])
    assert code == 2
    assert "nope.toml does not exist" in capsys.readouterr().err


def test_secret_in_config_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pmo-hub.toml"
    path.write_text('[sources.planner]\nclient_secret = "hunter2-abc"\n', encoding="utf-8")
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "PMO_HUB_PLANNER_CLIENT_SECRET" in err
    assert "hunter2-abc" not in err


def test_parser_knows_every_command() -> None:
    parser = build_parser()
    for argv in (
        ["run"],
        ["demo", "--tier", "XS"],
        ["sandbox", "up"],
        ["sandbox", "files", "d"],
        ["sandbox", "tick"],
        ["ui", "--port", "3001"],
    ):
        assert callable(parser.parse_args(argv).func)
