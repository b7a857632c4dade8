"""Fixtures for the Planner sandbox and connector tests: a seeded world and a running server."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.planner.settings import PlannerSettings
from sandbox.http import FaultConfig
from sandbox.microsoft.server import MicrosoftSandbox, start_microsoft_server
from sandbox.microsoft.world import PlannerWorld, generate_planner
from sandbox.portfolio import Portfolio, generate_portfolio
from sandbox.tls import CertificatePair, write_self_signed_certificate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> CertificatePair:
    """One localhost certificate for every server of the session."""
    return write_self_signed_certificate(tmp_path_factory.mktemp("planner-tls"))


@pytest.fixture
def portfolio_s() -> Portfolio:
    """Tier S: several plans, one of them above Planner's 400-item page."""
    return generate_portfolio("S", 42)


@pytest.fixture
def world_s(portfolio_s: Portfolio) -> PlannerWorld:
    return generate_planner(portfolio_s)


@pytest.fixture
def world_xs() -> PlannerWorld:
    return generate_planner(generate_portfolio("XS", 42))


@pytest.fixture
def start_server(tls_pair: CertificatePair) -> Iterator[Callable[..., MicrosoftSandbox]]:
    """Start servers on free ports; all are stopped at teardown."""
    started: list[MicrosoftSandbox] = []

    def start(
        world: PlannerWorld, faults: FaultConfig | None = None, **kw: Any
    ) -> MicrosoftSandbox:
        sandbox = start_microsoft_server(world, tls=tls_pair, faults=faults, **kw)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def server_s(
    world_s: PlannerWorld, start_server: Callable[..., MicrosoftSandbox]
) -> MicrosoftSandbox:
    return start_server(world_s)


def settings_for(
    sandbox: MicrosoftSandbox, *, certificate: bool = False, **kw: Any
) -> PlannerSettings:
    """Connector settings pointing at a running sandbox (secret or certificate credential)."""
    credentials: dict[str, Any] = (
        {
            "client_cert_private_key": sandbox.client_cert_private_key_pem,
            "client_cert_thumbprint": sandbox.client_cert_thumbprint,
        }
        if certificate
        else {"client_secret": sandbox.client_secret}
    )
    values: dict[str, Any] = {
        "tenant_id": sandbox.tenant_id,
        "client_id": sandbox.client_id,
        "authority": sandbox.authority,
        "graph_url": sandbox.graph_url,
        "verify": str(sandbox.cert_path),
        "backoff_base_seconds": 0.05,
        **credentials,
    }
    values.update(kw)
    return PlannerSettings(**values)


def dbt_project_copy(tmp_path: Path) -> Path:
    """The project's dbt config and macros with only the Planner staging models.

    Other sources' models are built by other tests; copying keeps this build independent of
    them while using the project's own macros and folder configuration.
    """
    target = tmp_path / "dbt_project"
    source = REPO / "dbt_project"
    (target / "models" / "staging").mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    shutil.copytree(source / "macros", target / "macros")
    shutil.copytree(
        source / "models" / "staging" / "planner", target / "models" / "staging" / "planner"
    )
    return target
