"""The same dbt build on PostgreSQL gives the same answers as on DuckDB (portable SQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pmo_dbt_helpers import duckdb_rows, postgres_rows

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EXCEPTIONS = (
    "select rule_id, source_system, entity_key, project_code from compliance.fct_dq_exceptions"
)
BUDGET_VS_ACTUAL = (
    "select project_code, fiscal_period, cost_type, budget_amount, actual_amount, "
    "commitment_amount, funds_available from marts.mart_budget_vs_actual"
)
EVM = "select project_code, bac, pv, ev, ac, cpi, spi, tcpi from marts.mart_evm_project"
HEALTH = (
    "select project_code, schedule_days_late, computed_rag, reported_rag "
    "from marts.mart_portfolio_health"
)


def test_postgres_build_finds_the_same_exceptions(duckdb_build, postgres_build) -> None:
    duck_world, _ = duckdb_build
    pg_world, _ = postgres_build
    on_duckdb = set(duckdb_rows(duck_world.duckdb_path, EXCEPTIONS))
    on_postgres = set(postgres_rows(pg_world.postgres_database, EXCEPTIONS))
    assert on_postgres == on_duckdb
    planted = {(f["rule_id"], f["key"]) for f in pg_world.manifest if f["rule_id"] == "AP-03"}
    assert planted and planted <= {(r[0], r[2]) for r in on_postgres}


@pytest.mark.parametrize("sql", [BUDGET_VS_ACTUAL, EVM, HEALTH], ids=["bva", "evm", "health"])
def test_postgres_marts_equal_duckdb_marts(duckdb_build, postgres_build, sql: str) -> None:
    duck_world, _ = duckdb_build
    pg_world, _ = postgres_build

    def normalized(rows: list[tuple]) -> list[tuple]:
        # Decimals may differ in trailing zeros between adapters; compare their values.
        return sorted(
            tuple(Decimal(str(v)).normalize() if isinstance(v, Decimal | float) else v for v in r)
            for r in rows
        )

    on_duckdb = normalized(duckdb_rows(duck_world.duckdb_path, sql))
    on_postgres = normalized(postgres_rows(pg_world.postgres_database, sql))
    assert on_duckdb and on_postgres == on_duckdb
