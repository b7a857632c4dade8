"""The sandbox HTTP base: routing, TLS, and deterministic fault injection."""

from __future__ import annotations

from pathlib import Path

import requests

from sandbox.http import FaultConfig, Router, SandboxServer, json_response
from sandbox.tls import write_self_signed_certificate


def _router() -> Router:
    router = Router()
    router.add(
        "GET", "/items/(?P<item_id>[0-9]+)", lambda r: json_response({"id": r.params["item_id"]})
    )
    return router


def test_routes_and_counts_over_https(tmp_path: Path) -> None:
    cert = write_self_signed_certificate(tmp_path)
    with SandboxServer(_router(), name="t", tls=cert) as server:
        assert server.url.startswith("https://localhost:")
        response = requests.get(f"{server.url}/items/7", verify=str(cert.cert_path), timeout=5)
        assert response.json() == {"id": "7"}
        assert (
            requests.get(f"{server.url}/nope", verify=str(cert.cert_path), timeout=5).status_code
            == 404
        )
        assert (
            requests.post(
                f"{server.url}/items/7", verify=str(cert.cert_path), timeout=5
            ).status_code
            == 405
        )
        assert server.request_counts["GET /items/7"] == 1
        assert server.total_requests == 3


def test_faults_are_deterministic() -> None:
    faults = FaultConfig(
        rate_limit_every=3, retry_after_seconds=2, error_burst_every=5, error_burst_length=2
    )
    with SandboxServer(_router(), name="t", faults=faults) as server:
        statuses = [requests.get(f"{server.url}/items/1", timeout=5).status_code for _ in range(7)]
        limited = requests.get(f"{server.url}/items/1", timeout=5)
    # request 3 -> 429, 5 -> burst of two 503s (5, 6), 6 also divisible by 3 but in the burst
    assert statuses == [200, 200, 429, 200, 503, 503, 200]
    assert limited.status_code == 200
    assert server.faults.injected[429] == 1 and server.faults.injected[503] == 2


def test_rate_limit_headers() -> None:
    with SandboxServer(
        _router(), name="t", faults=FaultConfig(rate_limit_every=1, retry_after_seconds=7)
    ) as server:
        response = requests.get(f"{server.url}/items/1", timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Reset" in response.headers
