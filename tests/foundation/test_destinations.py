"""The destination factory: DuckDB with a memory cap and parquet loads; PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from pipelines.destinations import loader_file_format_for, make_destination


def test_duckdb_loads_parquet_with_a_memory_limit(tmp_path: Path) -> None:
    db = tmp_path / "w" / "pmo.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="dest_test",
        destination=make_destination("duckdb", duckdb_path=db, duckdb_memory_limit="200MB"),
        dataset_name="raw_test",
        pipelines_dir=str(tmp_path / "state"),
    )
    assert loader_file_format_for(pipeline) == "parquet"
    info = pipeline.run([{"id": 1}, {"id": 2}], table_name="t", loader_file_format="parquet")
    info.raise_on_failed_jobs()
    jobs = info.load_packages[0].jobs["completed_jobs"]
    assert {j.job_file_info.file_format for j in jobs if j.job_file_info.table_name == "t"} == {
        "parquet"
    }
    with pipeline.sql_client() as client:
        limit = client.execute_sql("select current_setting('memory_limit')")[0][0]
    assert limit.endswith("MiB") and float(limit.split()[0]) < 200
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from raw_test.t").fetchone()[0] == 2
    con.close()


def test_postgres_lets_dlt_choose_its_format(tmp_path: Path) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="dest_pg",
        destination=make_destination("postgres", postgres_url="postgresql://u:p@127.0.0.1:5432/x"),
        pipelines_dir=str(tmp_path),
    )
    assert loader_file_format_for(pipeline) is None


def test_duckdb_loads_one_job_at_a_time(tmp_path: Path) -> None:
    """Parallel merges shared DuckDB's one memory budget until a tier-M incremental ran out."""
    destination = make_destination("duckdb", duckdb_path=tmp_path / "pmo.duckdb")
    caps = destination.capabilities()
    assert caps.max_parallel_load_jobs == 1
    assert caps.loader_parallelism_strategy == "sequential"
    pipeline = dlt.pipeline(
        pipeline_name="dest_seq",
        destination=destination,
        dataset_name="raw_seq",
        pipelines_dir=str(tmp_path / "state"),
    )
    for table in ("a", "b", "c"):
        pipeline.extract([{"id": 1}, {"id": 2}], table_name=table, loader_file_format="parquet")
    pipeline.normalize()
    pipeline.load().raise_on_failed_jobs()
    with pipeline.sql_client() as client:
        counts = [
            client.execute_sql(f"select count(*) from raw_seq.{t}")[0][0] for t in ("a", "b", "c")
        ]
    assert counts == [2, 2, 2]
