"""Fixtures for the Jira sandbox and connector tests: worlds, servers on free ports, loads."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jira_helpers import Warehouse

from sandbox.jira.server import JiraSandbox, start_jira_server
from sandbox.jira.world import JiraWorld, generate_jira
from sandbox.portfolio import generate_portfolio
from sandbox.tls import CertificatePair, write_self_signed_certificate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world() -> JiraWorld:
    """A fresh tier-XS world (tests tick it, so never share one)."""
    return generate_jira(generate_portfolio("XS", 42))


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> CertificatePair:
    return write_self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def start_server() -> Iterator[Callable[..., JiraSandbox]]:
    """Factory: ``start_server(world, mode=..., tls=..., faults=...)``; stopped after the test."""
    started: list[JiraSandbox] = []

    def _start(world: JiraWorld, **kwargs: Any) -> JiraSandbox:
        sandbox = start_jira_server(world, **kwargs)
        started.append(sandbox)
        return sandbox

    yield _start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def warehouse(tmp_path: Path) -> Callable[[str], Warehouse]:
    def _make(name: str = "jira") -> Warehouse:
        return Warehouse(tmp_path, name)

    return _make


@pytest.fixture
def dbt_project_copy(tmp_path: Path) -> Path:
    """The dbt project with only the Jira staging models (others may be mid-edit in parallel)."""
    target = tmp_path / "dbt_project"
    source = REPO / "dbt_project"
    target.mkdir()
    for name in ("dbt_project.yml", "profiles.yml", "packages.yml"):
        shutil.copy(source / name, target / name)
    shutil.copytree(source / "macros", target / "macros")
    shutil.copytree(source / "models" / "staging" / "jira", target / "models" / "staging" / "jira")
    return target
