"""Fixtures for the PMO schema tests: the tier-XS sandbox world loaded and built by dbt.

One world (tier XS, seed 14: the first XS seed in which every implemented compliance rule has at
least one planted fault) is served, loaded through the four real pipelines and transformed by dbt,
once into a temp DuckDB file and once into a fresh PostgreSQL database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from pmo_dbt_helpers import (
    OWN_TESTS,
    PG_DSN,
    SEED,
    TIER,
    DbtRun,
    LoadedWorld,
    base_env,
    load_all,
)


@pytest.fixture(scope="session")
def running_xs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runtime import start_sandbox

    sandbox = start_sandbox(tmp_path_factory.mktemp("dbt_sandbox"), tier=TIER, seed=SEED)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _world(sandbox: Any) -> LoadedWorld:
    return LoadedWorld(
        manifest=sandbox.world.manifest.to_dict()["faults"],
        as_of=sandbox.world.now.date().isoformat(),
    )


@pytest.fixture(scope="session")
def duckdb_build(
    running_xs: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[LoadedWorld, DbtRun]:
    """The XS world loaded into a temp DuckDB file and built by dbt (models + own tests)."""
    from pipelines.destinations import make_destination

    work = tmp_path_factory.mktemp("dbt_duckdb")
    world = _world(running_xs)
    world.duckdb_path = work / "warehouse.duckdb"
    load_all(running_xs, make_destination("duckdb", duckdb_path=world.duckdb_path), work / "dlt")
    dbt = DbtRun(
        work,
        base_env(PMO_HUB_DBT_TARGET="duckdb", PMO_HUB_DUCKDB_PATH=str(world.duckdb_path)),
        {"as_of_date": world.as_of},
    )
    dbt("seed")
    dbt("run", "--select", "+marts")
    dbt("test", "--select", *OWN_TESTS)
    return world, dbt


@pytest.fixture(scope="session")
def postgres_build(
    running_xs: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LoadedWorld, DbtRun]]:
    """The same world loaded into a fresh PostgreSQL database and built by dbt-postgres."""
    from pipelines.destinations import make_destination

    work = tmp_path_factory.mktemp("dbt_postgres")
    database = f"pmo_dbt_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **PG_DSN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        world = _world(running_xs)
        world.postgres_database = database
        # Trust auth ignores the password, but dlt refuses credentials without one.
        url = f"postgresql://postgres:trust@127.0.0.1:5432/{database}"
        load_all(running_xs, make_destination("postgres", postgres_url=url), work / "dlt")
        dbt = DbtRun(
            work,
            base_env(PMO_HUB_DBT_TARGET="postgres", PMO_HUB_PG_DATABASE=database),
            {"as_of_date": world.as_of},
        )
        dbt("seed")
        dbt("run", "--select", "+marts")
        dbt("test", "--select", *OWN_TESTS)
        yield world, dbt
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                (database,),
            )
            cur.execute(f'drop database if exists "{database}"')
        admin.close()


@pytest.fixture(scope="session")
def s_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedWorld]:
    """The demo world (tier S, seed 42) loaded into a temp DuckDB file and built by dbt."""
    from pipelines.destinations import make_destination
    from sandbox.runtime import start_sandbox

    work = tmp_path_factory.mktemp("dbt_s")
    sandbox: Any = start_sandbox(work / "sandbox", tier="S", seed=42)
    try:
        world = LoadedWorld(
            manifest=sandbox.world.manifest.to_dict()["faults"],
            as_of=sandbox.world.now.date().isoformat(),
            duckdb_path=work / "warehouse.duckdb",
        )
        load_all(sandbox, make_destination("duckdb", duckdb_path=world.duckdb_path), work / "dlt")
    finally:
        sandbox.stop()
    dbt = DbtRun(
        work,
        base_env(PMO_HUB_DBT_TARGET="duckdb", PMO_HUB_DUCKDB_PATH=str(world.duckdb_path)),
        {"as_of_date": world.as_of},
    )
    dbt("seed")
    dbt("run", "--select", "+marts")
    dbt("test", "--select", *OWN_TESTS)
    yield world
