"""Fixtures for the finance connector tests: torture set, sandbox files, loads into temp DuckDB."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from connectors.finance.settings import FinanceSettings
from pipelines.destinations import make_destination
from pipelines.finance_pipeline import load
from sandbox.finance.files import write_finance_files
from sandbox.finance.torture import TORTURE_ROUTES, ExpectedCounts, write_torture_set
from sandbox.portfolio import Portfolio, generate_portfolio


@pytest.fixture(scope="session")
def torture_source(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, ExpectedCounts]]:
    folder = tmp_path_factory.mktemp("torture")
    return folder, write_torture_set(folder)


@pytest.fixture(scope="session")
def sandbox_xs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Portfolio, Path, list[Path]]:
    folder = tmp_path_factory.mktemp("finance_xs")
    portfolio = generate_portfolio("XS", seed=42)
    return portfolio, folder, write_finance_files(portfolio, folder)


class Warehouse:
    """A temp DuckDB warehouse plus a landing folder and dlt state of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "warehouse.duckdb"
        self.landing = root / "landing"
        self.landing.mkdir()
        self.pipelines_dir = root / "pipelines"

    def load(self, routes: tuple[dict[str, str], ...] | None = None):
        settings = FinanceSettings(landing_dirs=(self.landing,), sources=routes)  # type: ignore[arg-type]
        return load(
            settings,
            make_destination("duckdb", duckdb_path=self.db),
            pipelines_dir=self.pipelines_dir,
        )

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def drop(self, source: Path, name: str | None = None) -> Path:
        target = self.landing / (name or source.name)
        shutil.copyfile(source, target)
        return target


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)


@pytest.fixture(scope="session")
def torture_routes() -> tuple[dict[str, str], ...]:
    return TORTURE_ROUTES


@pytest.fixture
def make_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Warehouse]:
    return lambda: Warehouse(tmp_path_factory.mktemp("wh"))


@pytest.fixture(scope="module")
def torture_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
    torture_source: tuple[Path, dict[str, ExpectedCounts]],
) -> Warehouse:
    """The whole torture set loaded once into a DuckDB warehouse (read-only use by tests)."""
    folder, expected = torture_source
    warehouse = Warehouse(tmp_path_factory.mktemp("torture_wh"))
    for name in expected:
        warehouse.drop(folder / name)
    warehouse.load(TORTURE_ROUTES)
    return warehouse
