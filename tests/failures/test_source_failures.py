"""A failing source says why, fast: missing secret, wrong credentials, unreachable host, bad TLS.

Each failure is timed and its message checked for the source, the URL and the variable to fix,
and for the absence of any secret value. The sandboxes are the real HTTP servers of the demo.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from failure_helpers import closed_port, jira_config, planner_config, run_cli, write_config

from pipelines.runner import run_source
from pmo_hub.config import load_config
from pmo_hub.errors import SourceAuthError, SourceError, SourceUnreachableError

WRONG_JIRA_TOKEN = "ATATT3xWRONG-" + "9" * 30
WRONG_PLANNER_SECRET = "Wr0ng8Q~" + "never-print-this-value-123456"


def _run_source(system: str, config_file: Path, env: dict[str, str]) -> tuple[SourceError, float]:
    config = load_config(config_file, environ=env)
    started = time.monotonic()
    with pytest.raises(SourceError) as failure:
        run_source(system, config)
    return failure.value, time.monotonic() - started


def test_missing_secret_stops_the_run_within_5_s_naming_the_variable(tmp_path, jira_sandbox):
    config = jira_config(tmp_path, jira_sandbox)
    before = jira_sandbox.server.total_requests
    result = run_cli(["run", "--config", str(config)], cwd=tmp_path)
    assert result.returncode != 0
    assert result.seconds < 5, result.seconds
    assert "PMO_HUB_JIRA_API_TOKEN" in result.err
    assert jira_sandbox.server.total_requests == before  # checked before any network call
    assert not (tmp_path / "w.duckdb").exists()


def test_wrong_jira_token_fails_within_10_s_naming_source_url_and_variable(tmp_path, jira_sandbox):
    config = jira_config(tmp_path, jira_sandbox)
    before = jira_sandbox.server.total_requests
    error, seconds = _run_source("jira", config, {"PMO_HUB_JIRA_API_TOKEN": WRONG_JIRA_TOKEN})
    assert isinstance(error, SourceAuthError) and error.system == "jira"
    assert seconds < 10, seconds
    message = str(error)
    assert "Jira rejected the credentials (HTTP 401)" in message
    assert jira_sandbox.url in message and "PMO_HUB_JIRA_API_TOKEN" in message
    assert jira_sandbox.server.total_requests - before == 1  # no retry of a 401
    assert WRONG_JIRA_TOKEN not in message and jira_sandbox.api_token not in message

    # The same through the command line's --check (a fresh process: imports included).
    result = run_cli(
        ["run", "--check", "--config", str(config)],
        cwd=tmp_path,
        env={"PMO_HUB_JIRA_API_TOKEN": WRONG_JIRA_TOKEN},
    )
    assert result.returncode == 1 and result.seconds < 10, (result.seconds, result.text)
    assert "jira: failed: Jira rejected the credentials (HTTP 401)" in result.err
    assert "PMO_HUB_JIRA_API_TOKEN" in result.err
    assert WRONG_JIRA_TOKEN not in result.text


def test_right_jira_token_passes_the_check(tmp_path, jira_sandbox):
    config = jira_config(tmp_path, jira_sandbox)
    result = run_cli(
        ["run", "--check", "--config", str(config)],
        cwd=tmp_path,
        env={"PMO_HUB_JIRA_API_TOKEN": jira_sandbox.api_token},
    )
    assert result.returncode == 0, result.text
    assert "jira: ok: Jira at" in result.out
    assert jira_sandbox.api_token not in result.text


def test_unreachable_jira_host_fails_at_once_naming_the_url(tmp_path, jira_sandbox):
    url = f"https://127.0.0.1:{closed_port()}"
    config = jira_config(tmp_path, jira_sandbox, base_url=url)
    error, seconds = _run_source("jira", config, {"PMO_HUB_JIRA_API_TOKEN": "t"})
    assert isinstance(error, SourceUnreachableError)
    assert seconds < 30, seconds
    assert url in str(error) and "connection refused" in str(error)
    assert "[sources.jira] base_url" in str(error)


def test_untrusted_tls_certificate_fails_at_once_naming_the_url(tmp_path, jira_sandbox):
    config = write_config(
        tmp_path,
        "[sources.jira]\nenabled = true\n"
        f'base_url = "{jira_sandbox.url}"\nemail = "{jira_sandbox.email}"\n',
    )  # no CA bundle: the sandbox's self-signed certificate is not trusted
    error, seconds = _run_source("jira", config, {"PMO_HUB_JIRA_API_TOKEN": "t"})
    assert isinstance(error, SourceUnreachableError) and seconds < 30
    assert "TLS certificate verification failed" in str(error)
    assert jira_sandbox.url in str(error) and "verify" in str(error)


def test_wrong_planner_secret_fails_within_10_s_naming_the_variable(tmp_path, microsoft_sandbox):
    config = planner_config(tmp_path, microsoft_sandbox)
    error, seconds = _run_source(
        "planner", config, {"PMO_HUB_PLANNER_CLIENT_SECRET": WRONG_PLANNER_SECRET}
    )
    assert isinstance(error, SourceAuthError) and error.system == "planner"
    assert seconds < 10, seconds
    message = str(error)
    assert "invalid_client" in message and "PMO_HUB_PLANNER_CLIENT_SECRET" in message
    assert microsoft_sandbox.authority in message
    assert WRONG_PLANNER_SECRET not in message and microsoft_sandbox.client_secret not in message

    result = run_cli(
        ["run", "--check", "--config", str(config)],
        cwd=tmp_path,
        env={"PMO_HUB_PLANNER_CLIENT_SECRET": WRONG_PLANNER_SECRET},
    )
    assert result.returncode == 1 and result.seconds < 10, (result.seconds, result.text)
    assert "planner: failed:" in result.err and "PMO_HUB_PLANNER_CLIENT_SECRET" in result.err
    assert WRONG_PLANNER_SECRET not in result.text


def test_unreachable_identity_authority_fails_at_once_naming_the_url(tmp_path, microsoft_sandbox):
    authority = f"https://127.0.0.1:{closed_port()}/{microsoft_sandbox.tenant_id}"
    config = planner_config(tmp_path, microsoft_sandbox, authority=authority)
    error, seconds = _run_source(
        "planner", config, {"PMO_HUB_PLANNER_CLIENT_SECRET": microsoft_sandbox.client_secret}
    )
    assert isinstance(error, SourceUnreachableError) and seconds < 30
    assert authority in str(error) and "connection refused" in str(error)
    assert microsoft_sandbox.client_secret not in str(error)


def test_connection_reset_is_retried_not_reported_as_unreachable():
    """A server that accepts and drops every connection: a blip to retry, not a wrong URL."""
    import socket
    import struct
    import threading

    from connectors.jira.client import JiraClient, JiraRetryExhausted

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    accepted: list[int] = []

    def drop_all() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.recv(1024)
            # SO_LINGER 0: close with a TCP reset, as a restarting proxy does.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    threading.Thread(target=drop_all, daemon=True).start()
    waits: list[float] = []
    client = JiraClient(
        f"http://127.0.0.1:{port}", email="a@b.c", api_token="x", max_attempts=3, sleep=waits.append
    )
    try:
        with pytest.raises(JiraRetryExhausted, match=r"connection reset.*after 3 attempts"):
            client.get_json("/rest/api/3/myself")
    finally:
        listener.close()
    assert len(waits) == 2 and len(accepted) == 3
