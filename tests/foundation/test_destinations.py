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
