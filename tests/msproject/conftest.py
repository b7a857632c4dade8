"""Fixtures of the MS Project tests: the XS sandbox plans, their files and a loaded DuckDB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from connectors.msproject.settings import MsProjectSettings
from pipelines.destinations import make_destination
from pipelines.msproject_pipeline import load
from sandbox.microsoft.mspdi import write_msproject_files
from sandbox.microsoft.msproject_world import MsProjectPlan, generate_msproject
from sandbox.portfolio import Portfolio, generate_portfolio


@dataclass
class Warehouse:
    """A plan folder, a DuckDB file and a dlt working folder, loaded on demand."""

    folder: Path
    duckdb_path: Path
    pipelines_dir: Path

    def load(self, **kwargs: object):
        settings = MsProjectSettings(folders=(self.folder,))
        destination = make_destination("duckdb", duckdb_path=str(self.duckdb_path))
        return load(settings, destination, self.pipelines_dir, **kwargs)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return generate_portfolio("XS", seed=42)


@pytest.fixture(scope="module")
def plans(portfolio: Portfolio) -> list[MsProjectPlan]:
    return generate_msproject(portfolio)


@pytest.fixture
def fresh_world() -> tuple[Portfolio, list[MsProjectPlan]]:
    """A world of its own for tests that tick it."""
    world = generate_portfolio("XS", seed=42)
    return world, generate_msproject(world)


@pytest.fixture
def make_warehouse(tmp_path: Path) -> Callable[[list[MsProjectPlan]], Warehouse]:
    def build(plans: list[MsProjectPlan]) -> Warehouse:
        folder = tmp_path / "plans"
        write_msproject_files(plans, folder)
        return Warehouse(folder, tmp_path / "warehouse.duckdb", tmp_path / "dlt")

    return build


@pytest.fixture(scope="module")
def loaded(plans: list[MsProjectPlan], tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The XS plans written and loaded once for the read-only assertions of a module."""
    root = tmp_path_factory.mktemp("msproject_loaded")
    write_msproject_files(plans, root / "plans")
    warehouse = Warehouse(root / "plans", root / "warehouse.duckdb", root / "dlt")
    warehouse.load()
    return warehouse
