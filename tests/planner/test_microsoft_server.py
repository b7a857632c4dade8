"""The identity + Graph sandbox against msal and plain requests, unchanged."""

from __future__ import annotations

from collections.abc import Callable

import msal
import pytest
import requests

from sandbox.http import FaultConfig
from sandbox.microsoft.server import MicrosoftSandbox, make_client_certificate
from sandbox.microsoft.world import PlannerWorld

SCOPE = ["https://graph.microsoft.com/.default"]


def _session(sandbox: MicrosoftSandbox) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(sandbox.cert_path)
    return session


def _app(sandbox: MicrosoftSandbox, credential: object) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        sandbox.client_id,
        client_credential=credential,
        authority=sandbox.authority,
        instance_discovery=False,
        http_client=_session(sandbox),
    )


def _token(sandbox: MicrosoftSandbox) -> str:
    result = _app(sandbox, sandbox.client_secret).acquire_token_for_client(scopes=SCOPE)
    return result["access_token"]


def test_msal_secret_flow_then_cache(server_s: MicrosoftSandbox) -> None:
    app = _app(server_s, server_s.client_secret)
    first = app.acquire_token_for_client(scopes=SCOPE)
    second = app.acquire_token_for_client(scopes=SCOPE)
    assert first["token_source"] == "identity_provider"
    assert first["token_type"] == "Bearer" and first["expires_in"] > 3000
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    assert server_s.request_count(r"^POST /.*/oauth2/v2\.0/token$") == 1
    assert server_s.tokens_issued == 1


def test_msal_certificate_flow(server_s: MicrosoftSandbox) -> None:
    credential = {
        "private_key": server_s.client_cert_private_key_pem,
        "thumbprint": server_s.client_cert_thumbprint,
    }
    app = _app(server_s, credential)
    first = app.acquire_token_for_client(scopes=SCOPE)
    assert first.get("token_source") == "identity_provider", first.get("error_description")
    assert app.acquire_token_for_client(scopes=SCOPE)["token_source"] == "cache"
    # A certificate that is not registered on the app is refused.
    stranger = make_client_certificate("stranger")
    refused = _app(
        server_s, {"private_key": stranger.private_key_pem, "thumbprint": stranger.thumbprint}
    ).acquire_token_for_client(scopes=SCOPE)
    assert refused["error"] == "invalid_client"
    assert "AADSTS700027" in refused["error_description"]
    # The registered thumbprint with a different key fails signature validation.
    forged = _app(
        server_s,
        {"private_key": stranger.private_key_pem, "thumbprint": server_s.client_cert_thumbprint},
    ).acquire_token_for_client(scopes=SCOPE)
    assert forged["error"] == "invalid_client"
    assert "signature validation" in forged["error_description"]


def test_wrong_secret_and_wrong_tenant(server_s: MicrosoftSandbox) -> None:
    result = _app(server_s, "not-the-secret").acquire_token_for_client(scopes=SCOPE)
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert server_s.tokens_issued == 0


def test_graph_rejects_missing_unknown_and_expired_tokens(server_s: MicrosoftSandbox) -> None:
    session = _session(server_s)
    url = f"{server_s.graph_url}/users"
    missing = session.get(url)
    unknown = session.get(url, headers={"Authorization": "Bearer not-a-token"})
    token = _token(server_s)
    ok = session.get(url, headers={"Authorization": f"Bearer {token}"})
    server_s.expire_all_tokens()
    expired = session.get(url, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    for response in (missing, unknown, expired):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
        assert "WWW-Authenticate" in response.headers
    assert "expired" in expired.json()["error"]["message"]


def test_planner_pages_at_400_and_ignores_top(
    world_s: PlannerWorld, server_s: MicrosoftSandbox
) -> None:
    session = _session(server_s)
    headers = {"Authorization": f"Bearer {_token(server_s)}"}
    plan_id = max(world_s.plan_task_ids, key=lambda p: len(world_s.plan_task_ids[p]))
    expected = world_s.plan_task_ids[plan_id]
    url: str | None = f"{server_s.graph_url}/planner/plans/{plan_id}/tasks?$top=10"
    pages: list[int] = []
    ids: list[str] = []
    while url:
        body = session.get(url, headers=headers).json()
        pages.append(len(body["value"]))
        ids.extend(t["id"] for t in body["value"])
        url = body.get("@odata.nextLink")
        assert url is None or url.startswith(f"{server_s.graph_url}/planner/plans/{plan_id}/tasks?")
    assert (
        pages[0] == 400 and sum(pages) == len(expected) and len(pages) == -(-len(expected) // 400)
    )
    assert ids == expected


def test_group_filter_select_and_batch_limit(
    world_s: PlannerWorld, server_s: MicrosoftSandbox
) -> None:
    session = _session(server_s)
    headers = {"Authorization": f"Bearer {_token(server_s)}"}
    unified = session.get(
        f"{server_s.graph_url}/groups",
        params={"$filter": "groupTypes/any(c:c eq 'Unified')", "$select": "id,displayName"},
        headers=headers,
    ).json()["value"]
    assert {g["id"] for g in unified} == {g["id"] for g in world_s.groups if g["groupTypes"]}
    assert all(set(g) == {"id", "displayName"} for g in unified)
    bad = session.get(
        f"{server_s.graph_url}/groups", params={"$filter": "startswith(x)"}, headers=headers
    )
    assert bad.status_code == 400
    task_ids = list(world_s.tasks)[:21]
    requests_ = [
        {"id": str(i), "method": "GET", "url": f"/planner/tasks/{t}/details"}
        for i, t in enumerate(task_ids)
    ]
    too_many = session.post(
        f"{server_s.graph_url}/$batch", json={"requests": requests_}, headers=headers
    )
    assert too_many.status_code == 400
    ok = session.post(
        f"{server_s.graph_url}/$batch", json={"requests": requests_[:20]}, headers=headers
    )
    bodies = {r["id"]: r for r in ok.json()["responses"]}
    assert len(bodies) == 20 and all(r["status"] == 200 for r in bodies.values())
    assert bodies["0"]["body"]["@odata.etag"] == world_s.task_details[task_ids[0]]["@odata.etag"]
    assert server_s.request_count(r"^GET /v1\.0/planner/tasks/.+/details$") == 20


def test_faults_answer_in_graph_shape(
    world_xs: PlannerWorld, start_server: Callable[..., MicrosoftSandbox]
) -> None:
    sandbox = start_server(world_xs, FaultConfig(rate_limit_every=2, retry_after_seconds=7))
    session = _session(sandbox)
    headers = {"Authorization": f"Bearer {_token(sandbox)}"}  # identity is exempt from faults
    first = session.get(f"{sandbox.graph_url}/users", headers=headers)
    second = session.get(f"{sandbox.graph_url}/users", headers=headers)
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.headers["Retry-After"] == "7"
    assert second.json()["error"]["code"] == "TooManyRequests"


@pytest.mark.parametrize("path", ["/planner/tasks/" + "x" * 28, "/planner/plans/" + "y" * 28])
def test_unknown_ids_are_404(server_s: MicrosoftSandbox, path: str) -> None:
    response = _session(server_s).get(
        server_s.graph_url + path, headers={"Authorization": f"Bearer {_token(server_s)}"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"
