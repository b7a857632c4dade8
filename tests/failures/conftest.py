"""Fixtures for the failure tests: the Jira and Microsoft sandboxes over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.jira.server import JiraSandbox, start_jira_server
from sandbox.jira.world import generate_jira
from sandbox.microsoft.server import MicrosoftSandbox, start_microsoft_server
from sandbox.microsoft.world import generate_planner
from sandbox.portfolio import generate_portfolio
from sandbox.tls import CertificatePair, write_self_signed_certificate


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> CertificatePair:
    return write_self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def jira_sandbox(tls_pair: CertificatePair) -> Iterator[JiraSandbox]:
    sandbox = start_jira_server(generate_jira(generate_portfolio("XS", 42)), tls=tls_pair)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def microsoft_sandbox(tls_pair: CertificatePair) -> Iterator[MicrosoftSandbox]:
    sandbox = start_microsoft_server(generate_planner(generate_portfolio("XS", 42)), tls=tls_pair)
    yield sandbox
    sandbox.stop()
