"""What the report pages show, read from the warehouse and from dbt's run results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pmo_hub.config import HubConfig

Row = dict[str, Any]


class Warehouse:
    """One read-only connection for all of a report's queries (opening DuckDB costs ~0.2 s)."""

    def __init__(self, config: HubConfig) -> None:
        self.config = config
        self._con: Any = None

    def __enter__(self) -> Warehouse:
        if self.config.warehouse.target == "duckdb":
            self._con = duckdb.connect(str(self.config.warehouse.duckdb_path), read_only=True)
        else:
            import psycopg2

            self._con = psycopg2.connect(self.config.require_postgres_url())
            self._con.set_session(readonly=True, autocommit=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A read-only query as dicts; placeholders are ``?`` on both targets."""
        if self.config.warehouse.target == "duckdb":
            cursor = self._con.execute(sql, list(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        with self._con.cursor() as cur:
            if params:
                cur.execute(sql.replace("?", "%s"), list(params))
            else:
                # psycopg2 formats the text whenever parameters are passed: a literal % would
                # be read as a placeholder.
                cur.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def columns_of(self, schema: str, table: str) -> list[str]:
        found = self.rows(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            (schema, table),
        )
        return [r["column_name"] for r in found]

    def has_table(self, schema: str, table: str) -> bool:
        return bool(self.columns_of(schema, table))


def warehouse_exists(config: HubConfig) -> bool:
    if config.warehouse.target == "duckdb":
        return config.warehouse.duckdb_path.exists()
    return True


@dataclass
class DbtTestResult:
    name: str
    status: str  # pass, warn, fail, error, skipped
    failures: int | None
    model: str
    message: str
    invocation: str


@dataclass
class DbtResults:
    tests: list[DbtTestResult] = field(default_factory=list)
    invocations: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for t in self.tests if t.status == status)


def dbt_results(target_dir: Path, run_id: str | None = None) -> DbtResults:
    """Test results of the latest dbt invocation of each step.

    dagster-dbt writes one folder per invocation, ``target/<step>-<run id[:7]>-<hash>/``; with
    ``run_id`` (the Dagster run that built the warehouse) only that run's folders count, so a
    test or another configuration running dbt from the same checkout cannot leak in. A plain
    `dbt build` writes ``target/run_results.json`` (step "dbt").
    """
    latest: dict[str, Path] = {}
    for path in sorted(target_dir.glob("**/run_results.json"), key=lambda p: p.stat().st_mtime):
        folder = path.parent
        if folder == target_dir:
            step, run = "dbt", None
        else:
            step, _, rest = folder.name.partition("-")
            run = rest.split("-", 1)[0]
        if run_id and run is not None and not run_id.startswith(run):
            continue
        if run_id and run is None and any(k != "dbt" for k in latest):
            continue
        latest[step] = path
    results = DbtResults()
    for step, path in sorted(latest.items()):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        manifest = _manifest_nodes(path.parent / "manifest.json")
        results.invocations.append(
            f"{step}: {document.get('metadata', {}).get('generated_at', '')}"
        )
        for result in document.get("results", []):
            unique_id = str(result.get("unique_id", ""))
            if not unique_id.startswith("test."):
                continue
            node = manifest.get(unique_id, {})
            attached = node.get("attached_node") or ",".join(
                n.split(".")[-1] for n in node.get("depends_on", {}).get("nodes", [])
            )
            results.tests.append(
                DbtTestResult(
                    name=node.get("name") or unique_id.split(".")[-2],
                    status=str(result.get("status", "")),
                    failures=result.get("failures"),
                    model=str(attached).split(".")[-1],
                    message=str(result.get("message") or ""),
                    invocation=step,
                )
            )
    return results


def _manifest_nodes(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("nodes", {})
    except (OSError, ValueError):
        return {}
