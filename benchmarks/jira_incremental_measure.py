"""Requests and rows per endpoint of a Jira full sync vs the incremental after a standard tick.

Run from the repository root:
``PYTHONPATH=$PWD .venv/bin/python benchmarks/jira_incremental_measure.py S cloud`` (tier XS..,
mode ``cloud`` or ``dc``). Rows are what the answers carry (issues plus embedded histories for a
search, histories for bulkfetch, values/comments otherwise), counted on the client.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, "tests/jira")

from jira_helpers import Warehouse, cloud_settings, dc_settings  # noqa: E402

from connectors.jira import client as jira_client  # noqa: E402
from sandbox.jira.server import start_jira_server  # noqa: E402
from sandbox.jira.world import generate_jira  # noqa: E402
from sandbox.portfolio import generate_portfolio  # noqa: E402

_ID = re.compile(r"/\d+(?=/|$)")


def rows_in(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        if "issueChangeLogs" in body:
            return sum(len(log.get("changeHistories") or []) for log in body["issueChangeLogs"])
        if isinstance(body.get("issues"), list):
            return len(body["issues"]) + sum(
                len((i.get("changelog") or {}).get("histories") or []) for i in body["issues"]
            )
        for key in ("values", "comments", "histories"):
            if isinstance(body.get(key), list):
                return len(body[key])
    return 1


def endpoint(method: str, path: str) -> str:
    return f"{method} " + _ID.sub("/N", re.sub(r"^https?://[^/]+", "", path.split("?")[0]))


def main(tier: str, mode: str) -> None:
    rows: Counter[str] = Counter()
    requests: Counter[str] = Counter()
    get_json, post_json = jira_client.JiraClient.get_json, jira_client.JiraClient.post_json

    def counted_get(self: Any, path: str, params: Any = None) -> Any:
        body = get_json(self, path, params)
        rows[endpoint("GET", path)] += rows_in(body)
        requests[endpoint("GET", path)] += 1
        return body

    def counted_post(self: Any, path: str, body: Any) -> Any:
        answer = post_json(self, path, body)
        rows[endpoint("POST", path)] += rows_in(answer)
        requests[endpoint("POST", path)] += 1
        return answer

    jira_client.JiraClient.get_json = counted_get  # type: ignore[method-assign]
    jira_client.JiraClient.post_json = counted_post  # type: ignore[method-assign]
    started = time.time()
    world = generate_jira(generate_portfolio(tier, 42))
    print("generated", round(time.time() - started, 1), "s", flush=True)
    sandbox = start_jira_server(world, mode=mode)
    settings = cloud_settings(sandbox) if mode == "cloud" else dc_settings(sandbox)
    warehouse = Warehouse(Path(tempfile.mkdtemp()), "m")
    started = time.time()
    warehouse.load(settings)
    print("full", round(time.time() - started, 1), "s", flush=True)
    full_rows, full_requests = rows.copy(), requests.copy()
    rows.clear()
    requests.clear()
    print(world.tick(change_fraction=0.01))
    started = time.time()
    warehouse.load(settings)
    print("inc", round(time.time() - started, 1), "s")
    for e in sorted(set(full_requests) | set(requests), key=lambda e: -requests.get(e, 0)):
        print(
            f"{e:55s} req {requests.get(e, 0):5d}/{full_requests.get(e, 0):6d} "
            f"rows {rows.get(e, 0):7d}/{full_rows.get(e, 0):8d}"
        )
    inc_req, all_req = sum(requests.values()), sum(full_requests.values())
    inc_rows, all_rows = sum(rows.values()), sum(full_rows.values())
    print(
        f"REQUESTS {inc_req}/{all_req} = {inc_req / all_req:.1%}  "
        f"ROWS {inc_rows}/{all_rows} = {inc_rows / all_rows:.1%}"
    )
    sandbox.stop()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "XS", sys.argv[2] if len(sys.argv) > 2 else "cloud")
