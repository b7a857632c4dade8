"""The RAG distribution the run summary prints (pmo_hub.portfolio_health), on a small warehouse."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb

from pmo_hub.portfolio_health import format_rag_distribution, rag_distribution


def _config(path: Path) -> SimpleNamespace:
    return SimpleNamespace(warehouse=SimpleNamespace(target="duckdb", duckdb_path=path))


def test_counts_every_rag_and_names_missing_ones(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.mart_portfolio_health (project_code text, computed_rag text)")
    con.execute(
        "insert into marts.mart_portfolio_health values "
        "('A', 'Green'), ('B', 'Green'), ('C', 'Red'), ('D', 'Grey')"
    )
    con.close()
    distribution = rag_distribution(_config(path))
    assert distribution == {"Green": 2, "Amber": 0, "Red": 1, "Grey": 1}
    assert format_rag_distribution(distribution) == (
        "computed RAG: 2 Green, 0 Amber, 1 Red, 1 Grey (4 projects)"
    )


def test_before_the_first_build(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    assert rag_distribution(_config(path)) == {}
    assert "not built yet" in format_rag_distribution({})
