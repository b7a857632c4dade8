"""dbt assets in two steps, so blocking checks between them can stop the curated marts.

dbt's node-by-node output (hundreds of lines) goes to a log file; the console gets one line per
layer (models built, tests passed / failed) and the failing nodes by name with dbt's message.
"""

import contextlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.assets.ingest import WAREHOUSE_POOL
from orchestration.project import DBT_PROJECT_DIR, dbt_executable, dbt_manifest_path
from orchestration.resources import HubConfigResource
from orchestration.translators import PmoDbtTranslator
from pmo_hub import progress
from pmo_hub.config import HubConfig
from pmo_hub.postgres import explain_dbt_failure
from reporting.links import jira_site_url

CORE_SELECT = (
    "resource_type:seed fqn:pmo_hub.staging fqn:pmo_hub.intermediate fqn:pmo_hub.marts.core"
)
MARTS_SELECT = "fqn:pmo_hub.marts.pmo fqn:pmo_hub.marts.compliance"
MAX_FAILURES_SHOWN = 10
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
_END_OF_STREAM = object()


def dbt_vars(hub: HubConfigResource) -> dict[str, Any]:
    config = hub.load()
    return {
        "as_of_date": config.as_of_date or "",
        "reporting_currency": config.reporting_currency,
        "enabled_sources": list(config.enabled),
        # Compliance exceptions link to Jira issues (reporting/links.py, issue 14).
        "jira_site_url": jira_site_url(config),
        "pseudonymize": config.warehouse.pseudonymize,
    }


def dbt_log_path(config: HubConfig, step: str, run_id: str) -> Path:
    """Where the full dbt output of one step of one run goes (beside the dlt state)."""
    return config.state_dir.parent / "logs" / f"{run_id[:8]}-{step}.log"


def _layer(result: dict[str, Any], nodes: dict[str, Any]) -> str:
    node = nodes.get(result["unique_id"], {})
    kind = node.get("resource_type", result["unique_id"].split(".")[0])
    if kind != "model":
        return kind
    fqn = node.get("fqn", [])
    return ".".join(fqn[1:3]) if len(fqn) > 3 and fqn[1] == "marts" else (fqn[1:2] or ["?"])[0]


def summarize_run_results(
    run_results: dict[str, Any], manifest: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """(one line per layer, one line per failed node) from dbt's run_results.json."""
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    by_layer: dict[str, Counter[str]] = {}
    failures: list[str] = []
    for result in run_results.get("results", []):
        status = str(result.get("status"))
        by_layer.setdefault(_layer(result, nodes), Counter())[status] += 1
        if status in {"error", "fail", "runtime error"}:
            message = " ".join(str(result.get("message") or "").split())[:300]
            failures.append(f"{result['unique_id']}: {status}: {message}")
    lines = []
    for layer, counts in sorted(by_layer.items()):
        done = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        lines.append(f"{layer}: {done}")
    return lines, failures


def _run_dbt(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource, step: str
) -> Iterator[Any]:
    config = hub.load()
    # profiles.yml reads the warehouse location from these variables. They are set only while
    # dbt's process starts: left in os.environ they would redirect the next run in this process
    # (PMO_HUB_DUCKDB_PATH overrides a config file's duckdb_path).
    dbt_env = config.dbt_env()
    saved = {name: os.environ.get(name) for name in dbt_env}
    os.environ.update(dbt_env)
    # dbt unit tests check model logic against fixtures, not the data: they run in the test
    # suite (tests/dbt/test_unit_tests.py), not in every sync (dbt's advice for production).
    args = [
        "build",
        "--no-use-colors",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(dbt_vars(hub)),
    ]
    log_path = dbt_log_path(config, step, context.run.run_id)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    # dagster-dbt echoes every dbt event to stdout: into the log file instead. The redirect is
    # held only while the next event is produced, never across a `yield`: a generator that is
    # abandoned mid-stream must not leave sys.stdout pointing at a closed file.
    events = iter(invocation.stream())
    with log_path.open("w", encoding="utf-8") as log:
        while True:
            with contextlib.redirect_stdout(log):
                event = next(events, _END_OF_STREAM)
            if event is _END_OF_STREAM:
                break
            yield event
    keep_partial_parse(invocation.target_path)
    try:
        run_results = invocation.get_artifact("run_results.json")
    except Exception:  # dbt stopped before writing it (e.g. it could not connect)
        run_results = {}
    manifest = json.loads(dbt_manifest_path().read_text())
    layers, failures = summarize_run_results(run_results, manifest)
    for line in layers:
        progress.report("dbt", f"{step} {line}", always=True)
        context.log.info(f"dbt {line}")
    for line in failures[:MAX_FAILURES_SHOWN]:
        progress.report("dbt", f"{step} FAILED {line}", always=True)
    if len(failures) > MAX_FAILURES_SHOWN:
        progress.report(
            "dbt", f"... {len(failures) - MAX_FAILURES_SHOWN} more failures", always=True
        )
    progress.report("dbt", f"{step} full log: {log_path}", always=True)
    if not invocation.is_successful():
        error = invocation.get_error()
        # PostgreSQL lock timeout / DuckDB file lock: name the session or process that blocks.
        explained = explain_dbt_failure(
            Exception("\n".join([*failures, str(error or "")])), config, step=f"dbt ({step})"
        )
        if explained is not None:
            raise dg.Failure(description=str(explained), allow_retries=False) from explained
        detail = (
            "; ".join(failures[:3]) or f"dbt exited with an error before building (see {log_path})"
        )
        raise dg.Failure(
            description=f"dbt build failed: {detail}",
            metadata={"log": dg.MetadataValue.path(str(log_path)), "failed_nodes": len(failures)},
            allow_retries=False,
        )


def keep_partial_parse(target_path: Path) -> None:
    """Offer this invocation's parse state to the next dbt step.

    dagster-dbt gives every invocation its own target folder and seeds it with
    ``dbt_project/target/partial_parse.msgpack`` when that file exists. dbt reuses the state only
    when files, vars and profile still match (it checks), so the next step of a run, and the next
    run with the same configuration, skip a ~20 s full parse. The copy is moved into place, so a
    concurrent reader never sees half a file.
    """
    produced = target_path / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    shared = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE_FILE
    shared.parent.mkdir(parents=True, exist_ok=True)
    staged = shared.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}")
    shutil.copyfile(produced, staged)
    os.replace(staged, shared)


def build_transform_assets() -> list[dg.AssetsDefinition]:
    manifest = dbt_manifest_path()
    translator = PmoDbtTranslator()

    @dbt_assets(
        manifest=manifest,
        select=CORE_SELECT,
        name="dbt_core",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_core(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource):
        yield from _run_dbt(context, dbt, hub, "dbt_core")

    @dbt_assets(
        manifest=manifest,
        select=MARTS_SELECT,
        name="dbt_marts",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource):
        yield from _run_dbt(context, dbt, hub, "dbt_marts")

    return [dbt_core, dbt_marts]


def build_dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
