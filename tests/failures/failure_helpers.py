"""Helpers of the failure tests: run the CLI as a user does, a closed port, configs users write."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox.jira.server import JiraSandbox
from sandbox.microsoft.server import MicrosoftSandbox

REPO = Path(__file__).resolve().parents[2]
# Every environment variable that could carry a secret into the CLI is removed first.
SECRET_VARIABLES = (
    "PMO_HUB_JIRA_API_TOKEN",
    "PMO_HUB_JIRA_PAT",
    "PMO_HUB_PLANNER_CLIENT_SECRET",
    "PMO_HUB_PLANNER_CLIENT_CERT_KEY",
    "PMO_HUB_POSTGRES_URL",
    "PMO_HUB_CONFIG",
    "PMO_HUB_WAREHOUSE_TARGET",
    "PMO_HUB_DUCKDB_PATH",
)


@dataclass
class CliResult:
    returncode: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> CliResult:
    """``pmo-hub <args>`` in a fresh interpreter, as a user runs it; timed."""
    base = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    base["PYTHONPATH"] = str(REPO)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pmo_hub.cli", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return CliResult(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(directory: Path, body: str) -> Path:
    """A pmo-hub.toml with a DuckDB warehouse in ``directory`` plus ``body``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pmo-hub.toml"
    path.write_text(
        "[hub]\n"
        f'state_dir = "{directory / "state"}"\n'
        f'reports_dir = "{directory / "reports"}"\n'
        "[warehouse]\n"
        f'duckdb_path = "{directory / "w.duckdb"}"\n'
        f'publish_path = "{directory / "serving.duckdb"}"\n' + body,
        encoding="utf-8",
    )
    return path


def jira_config(directory: Path, sandbox: JiraSandbox, base_url: str | None = None) -> Path:
    return write_config(
        directory,
        "[sources.jira]\n"
        "enabled = true\n"
        f'base_url = "{base_url or sandbox.url}"\n'
        f'email = "{sandbox.email}"\n'
        f'verify = "{sandbox.cert_path}"\n',
    )


def planner_config(
    directory: Path, sandbox: MicrosoftSandbox, authority: str | None = None
) -> Path:
    return write_config(
        directory,
        "[sources.planner]\n"
        "enabled = true\n"
        f'authority = "{authority or sandbox.authority}"\n'
        f'graph_url = "{sandbox.graph_url}"\n'
        f'tenant_id = "{sandbox.tenant_id}"\n'
        f'client_id = "{sandbox.client_id}"\n'
        f'verify = "{sandbox.cert_path}"\n',
    )
