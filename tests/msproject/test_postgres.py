"""The same replace-on-change behaviour on PostgreSQL (merge + hard-delete tombstones)."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import psycopg2
import pytest

from connectors.msproject.settings import MsProjectSettings
from pipelines.destinations import make_destination
from pipelines.msproject_pipeline import MsProjectFilesFailed, load
from sandbox.microsoft.mspdi import write_msproject_files
from sandbox.microsoft.msproject_world import MsProjectPlan, tick_msproject
from sandbox.portfolio import Portfolio

# Trust auth ignores the password; dlt insists on one.
POSTGRES_URL = "postgresql://postgres:postgres@127.0.0.1:5432/test"


@pytest.mark.postgres
def test_load_and_tick_on_postgres(
    fresh_world: tuple[Portfolio, list[MsProjectPlan]], tmp_path: Path
) -> None:
    portfolio, plans = fresh_world
    folder = tmp_path / "plans"
    write_msproject_files(plans, folder)
    # A dataset of its own: parallel test runs share the database.
    dataset = f"raw_msproject_t{uuid.uuid4().hex[:10]}"
    destination = make_destination("postgres", postgres_url=POSTGRES_URL)
    settings = MsProjectSettings(folders=str(folder))  # one path, as a TOML config may give it

    def run() -> None:
        load(settings, destination, tmp_path / "dlt", dataset_name=dataset)

    def counts() -> tuple[int, int, int]:
        with psycopg2.connect(POSTGRES_URL) as con, con.cursor() as cur:
            cur.execute(
                f"select (select count(*) from {dataset}.tasks), "
                f"(select count(*) from {dataset}.timephased_actuals), "
                f"(select count(*) from {dataset}.tasks where _tombstone)"
            )
            return cur.fetchone()

    try:
        run()
        assert counts() == (
            sum(len(p.tasks) for p in plans),
            sum(len(a.timephased) for p in plans for a in p.assignments),
            0,
        )
        tick_msproject(plans, portfolio.now, random.Random(11))
        write_msproject_files(plans, folder)
        (folder / "broken.xml").write_text("<Project><Tasks>\n<Task>", encoding="utf-8")
        with pytest.raises(MsProjectFilesFailed) as caught:
            run()
        (failed,) = caught.value.failed
        assert failed.source_file == str(folder / "broken.xml")
        assert failed.error_line == 2
        assert counts() == (
            sum(len(p.tasks) for p in plans),
            sum(len(a.timephased) for p in plans for a in p.assignments),
            0,
        )
    finally:
        with psycopg2.connect(POSTGRES_URL) as con, con.cursor() as cur:
            cur.execute(f"drop schema if exists {dataset} cascade")
            cur.execute(f"drop schema if exists {dataset}_staging cascade")
