"""The official Microsoft Graph SDK (msgraph-sdk + azure-identity), unchanged, walks the Graph
sandbox over HTTPS: groups -> plans -> buckets -> tasks (paged) -> details with $select, $batch with
absolute and relative URLs, and throttling (429 + Retry-After) absorbed by the SDK's retry handler.

The SDK is pointed at the sandbox the way a user points it at a national cloud: an authority for
azure-identity, a base URL and the CA file (``SSL_CERT_FILE``) for httpx and aiohttp.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.microsoft.server import MicrosoftSandbox, start_microsoft_server
from sandbox.microsoft.world import PlannerWorld, generate_planner
from sandbox.portfolio import generate_portfolio
from sandbox.tls import write_self_signed_certificate

PAGE = 50  # below Planner's 400 so the XS world's plans span several pages
# The SDK deserialises ~20 objects a second (msgraph's generated models import lazily and build
# large deserializer maps per object), so the default tier reads the smaller plan only; the full
# walk and a longer throttled run are marked slow.


@pytest.fixture(scope="module")
def world() -> PlannerWorld:
    return generate_planner(generate_portfolio("XS", 42))


@pytest.fixture(scope="module")
def graph(
    world: PlannerWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MicrosoftSandbox]:
    tls = write_self_signed_certificate(tmp_path_factory.mktemp("graph-sdk-tls"))
    sandbox = start_microsoft_server(world, tls=tls, page_size=PAGE)
    with pytest.MonkeyPatch.context() as patch:
        # The sandbox CA, as a user would trust a corporate CA: httpx and aiohttp read it.
        patch.setenv("SSL_CERT_FILE", str(tls.cert_path))
        patch.setenv("REQUESTS_CA_BUNDLE", str(tls.cert_path))
        yield sandbox
    sandbox.stop()


def _walk(graph: MicrosoftSandbox, body: Any) -> Any:
    """Run ``body(client, adapter)`` with an SDK client bound to the sandbox."""
    import httpx
    from azure.identity.aio import ClientSecretCredential
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph import GraphServiceClient
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph_core import GraphClientFactory

    async def run() -> Any:
        credential = ClientSecretCredential(
            graph.tenant_id,
            graph.client_id,
            graph.client_secret,
            authority=graph.base_url,
            disable_instance_discovery=True,  # the authority is not Microsoft's
        )
        try:
            auth = AzureIdentityAuthenticationProvider(
                credential,
                scopes=["https://graph.microsoft.com/.default"],
                allowed_hosts=["localhost"],
            )
            http = GraphClientFactory.create_with_default_middleware(
                client=httpx.AsyncClient(base_url=graph.graph_url, verify=str(graph.cert_path))
            )
            adapter = GraphRequestAdapter(auth, client=http)
            adapter.base_url = graph.graph_url
            return await body(GraphServiceClient(request_adapter=adapter), adapter)
        finally:
            await credential.close()

    return asyncio.run(run())


async def _all(first: Any, adapter: Any) -> list[Any]:
    """Every item of a collection, following @odata.nextLink with the SDK's PageIterator."""
    from msgraph_core.tasks.page_iterator import PageIterator

    items: list[Any] = []
    iterator = PageIterator(first, adapter)
    await iterator.iterate(lambda item: items.append(item) or True)
    return items


@pytest.mark.slow
def test_sdk_reads_groups_plans_buckets_tasks_and_details(graph, world) -> None:
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
    from msgraph.generated.planner.tasks.item.details.details_request_builder import (
        DetailsRequestBuilder,
    )

    async def body(client: Any, adapter: Any) -> dict[str, Any]:
        unified = RequestConfiguration(
            query_parameters=GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
                filter="groupTypes/any(c:c eq 'Unified')"
            )
        )
        groups = await _all(await client.groups.get(request_configuration=unified), adapter)
        plans, buckets, tasks = [], [], []
        for group in groups:
            page = await client.groups.by_group_id(group.id).planner.plans.get()
            plans += await _all(page, adapter)
        for plan in plans:
            builder = client.planner.plans.by_planner_plan_id(plan.id)
            buckets += await _all(await builder.buckets.get(), adapter)
            tasks += await _all(await builder.tasks.get(), adapter)
        select = RequestConfiguration(
            query_parameters=DetailsRequestBuilder.DetailsRequestBuilderGetQueryParameters(
                select=["description", "checklist"]
            )
        )
        details = [
            await client.planner.tasks.by_planner_task_id(t.id).details.get(
                request_configuration=select
            )
            for t in tasks[:5]
        ]
        return {
            "groups": groups,
            "plans": plans,
            "buckets": buckets,
            "tasks": tasks,
            "details": details,
        }

    read = _walk(graph, body)
    unified = [g for g in world.groups if "Unified" in g["groupTypes"]]
    assert sorted(g.id for g in read["groups"]) == sorted(g["id"] for g in unified)
    assert sorted(p.id for p in read["plans"]) == sorted(world.plans)
    assert len(read["buckets"]) == sum(len(b) for b in world.buckets.values())
    assert len(read["tasks"]) == world.task_count > PAGE
    assert len({t.id for t in read["tasks"]}) == len(read["tasks"])
    first = read["tasks"][0]
    assert first.title == world.tasks[first.id]["title"]
    assert first.percent_complete == world.tasks[first.id]["percentComplete"]
    for task, details in zip(read["tasks"][:5], read["details"], strict=True):
        expected = world.task_details[task.id]
        assert details.description == expected["description"]
        assert details.references is None  # not selected


def test_sdk_walk_with_select_paging_and_throttling(graph, world) -> None:
    """Default tier: groups -> plans -> buckets -> the smaller plan's tasks (paged, throttled)."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.planner.tasks.item.details.details_request_builder import (
        DetailsRequestBuilder,
    )

    plan_id = min(world.plans, key=lambda p: len(world.tasks_for_plan(p)))
    group_id = world.plans[plan_id]["container"]["containerId"]

    async def body(client: Any, adapter: Any) -> dict[str, Any]:
        groups = await _all(await client.groups.get(), adapter)
        plans = await _all(await client.groups.by_group_id(group_id).planner.plans.get(), adapter)
        builder = client.planner.plans.by_planner_plan_id(plan_id)
        buckets = await _all(await builder.buckets.get(), adapter)
        graph.faults.rate_limit_every = 2  # every other request from here on answers 429
        try:
            tasks = await _all(await builder.tasks.get(), adapter)
        finally:
            graph.faults.rate_limit_every = 0
        select = RequestConfiguration(
            query_parameters=DetailsRequestBuilder.DetailsRequestBuilderGetQueryParameters(
                select=["description"]
            )
        )
        details = await client.planner.tasks.by_planner_task_id(tasks[0].id).details.get(
            request_configuration=select
        )
        return {
            "groups": groups,
            "plans": plans,
            "buckets": buckets,
            "tasks": tasks,
            "details": details,
        }

    before = graph.server.faults.injected[429]
    read = _walk(graph, body)
    assert len(read["groups"]) == len(world.groups)
    assert [p.id for p in read["plans"]] == [p["id"] for p in world.plans_for_group(group_id)]
    assert sorted(b.id for b in read["buckets"]) == sorted(b["id"] for b in world.buckets[plan_id])
    expected = world.tasks_for_plan(plan_id)
    assert len(expected) > PAGE
    assert sorted(t.id for t in read["tasks"]) == sorted(t["id"] for t in expected)
    assert graph.server.faults.injected[429] - before >= 1  # absorbed by the SDK's RetryHandler
    details = read["details"]
    assert details.description == world.task_details[read["tasks"][0].id]["description"]
    assert details.checklist is None and details.references is None  # not selected


def test_sdk_batch_with_absolute_and_relative_urls(graph, world) -> None:
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation
    from msgraph_core.requests.batch_request_content import BatchRequestContent
    from msgraph_core.requests.batch_request_item import BatchRequestItem

    task_ids = list(world.tasks)[:4]

    async def body(client: Any, adapter: Any) -> Any:
        batch = BatchRequestContent()
        for n, task_id in enumerate(task_ids):
            info = RequestInformation()
            info.http_method = Method.GET
            info.url = f"{graph.graph_url}/planner/tasks/{task_id}"
            item = BatchRequestItem(request_information=info, id=str(n))
            if n % 2:  # half relative, as Graph documents them; half absolute, as the SDK sends
                item.set_url(info.url)
            batch.add_request(item.id, item)
        sent = {k: v.url for k, v in batch.requests.items()}
        return sent, await client.batch.post(batch_request_content=batch)

    sent, answer = _walk(graph, body)
    assert sent["0"].startswith("https://") and sent["1"].startswith("/")
    assert answer.get_response_status_codes() == {str(n): 200 for n in range(len(task_ids))}
    # Each item reached its own route (counted by the server like any request) ...
    for task_id in task_ids:
        assert graph.request_count(rf"^GET /v1\.0/planner/tasks/{task_id}$") == 1
    # ... and answered with a JSON body, which msgraph-core 1.5.2 drops on parsing (open SDK bug
    # microsoft/kiota-python#737: "batch response bodies are dropped when they are JSON objects"),
    # so bodies are checked in test_contract_graph.py with a plain client instead.
    assert all(
        answer.get_response_by_id(str(n)).content_type.startswith("application/json")
        for n in range(len(task_ids))
    )


@pytest.mark.slow
def test_sdk_absorbs_throttling(graph, world) -> None:
    graph.faults.rate_limit_every = 2
    graph.faults.retry_after_seconds = 1
    before = graph.server.faults.injected[429]
    plan_ids = list(world.plans)

    async def body(client: Any, adapter: Any) -> list[int]:
        counts = []
        for plan_id in plan_ids:
            builder = client.planner.plans.by_planner_plan_id(plan_id)
            counts.append(len(await _all(await builder.buckets.get(), adapter)))
            counts.append(len(await _all(await builder.tasks.get(), adapter)))
        return counts

    try:
        counts = _walk(graph, body)
    finally:
        graph.faults.rate_limit_every = 0
    expected = [[len(world.buckets[p]), len(world.tasks_for_plan(p))] for p in plan_ids]
    assert counts == [n for pair in expected for n in pair]
    assert graph.server.faults.injected[429] - before >= 1
