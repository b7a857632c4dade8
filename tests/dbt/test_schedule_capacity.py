"""Schedule quality (DCMA, GV-06) and the forward capacity plan on the tier-XS sandbox world.

The world plants a plan that fails several DCMA checks (missing logic, a lead, hard constraints
on re-planned work) and a person over-allocated next month (manifest rule CAP-01); GV-06's ground
truth is every plan x check failing in the MSPDI the sandbox serves, read by
sandbox.microsoft.dcma. Both must be found exactly (precision = recall = 1), on DuckDB and
PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from pmo_dbt_helpers import duckdb_rows, postgres_rows

GV06 = "select source_system, entity_key from compliance.fct_dq_exceptions where rule_id = 'GV-06'"


def _next_month(as_of: str) -> tuple[date, date]:
    day = date.fromisoformat(as_of)
    first = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, last


def _over_allocated_next_month(rows_of, world) -> set[str]:
    first, last = _next_month(world.as_of)
    # "Who is over-allocated next month?" (README analyst section): weeks starting in it.
    sql = (
        "select distinct person_id from marts.mart_capacity_plan where is_over_allocated"
        f" and iso_week_start >= date '{first}' and iso_week_start < date '{last}'"
    )
    return {r[0] for r in rows_of(sql)}


def _planted(world, rule_id: str) -> set[tuple[str, str]]:
    return {(f["system"], f["key"]) for f in world.manifest if f["rule_id"] == rule_id}


def test_gv06_precision_and_recall_are_one(duckdb_build) -> None:
    world, _ = duckdb_build
    planted = _planted(world, "GV-06")
    checks = {key.split("|")[1] for _, key in planted}
    assert {"DCMA-01", "DCMA-02", "DCMA-05"} <= checks, "the planted faults are in the manifest"
    found = set(duckdb_rows(world.duckdb_path, GV06))
    assert found == planted


def test_schedule_quality_has_fourteen_checks_per_plan(duckdb_build) -> None:
    world, _ = duckdb_build
    ((plans, rows, keys),) = duckdb_rows(
        world.duckdb_path,
        "select count(distinct plan_id), count(*), count(distinct schedule_check_key)"
        " from marts.mart_schedule_quality",
    )
    assert plans > 0 and rows == keys == 14 * plans
    # Each offending-UID list has as many UIDs as the failing count says.
    for failing, uids in duckdb_rows(
        world.duckdb_path,
        "select failing_count, offending_task_uids from marts.mart_schedule_quality"
        " where failing_count > 0",
    ):
        assert len(uids.split(",")) == failing


def test_over_allocated_next_month_precision_and_recall_are_one(duckdb_build) -> None:
    world, _ = duckdb_build
    planted = {key for _, key in _planted(world, "CAP-01")}
    assert planted, "the world plants no over-allocation"
    found = _over_allocated_next_month(lambda sql: duckdb_rows(world.duckdb_path, sql), world)
    assert found == planted


def test_capacity_plan_spreads_all_remaining_work(duckdb_build) -> None:
    """Planned hours in the horizon equal the remaining work of the items that end in it."""
    world, _ = duckdb_build
    ((in_mart, rows),) = duckdb_rows(
        world.duckdb_path,
        "select sum(planned_msproject_hours + planned_jira_hours), count(*)"
        " from marts.mart_capacity_plan",
    )
    ((remaining,),) = duckdb_rows(
        world.duckdb_path,
        "select sum(remaining_hours) from intermediate.int_planned_work_items"
        " where window_end_date < (select max(iso_week_start) + 5 from marts.mart_capacity_plan)",
    )
    # Each person-week row is rounded to cents of an hour once.
    assert remaining and abs(float(in_mart) - float(remaining)) <= 0.005 * rows


@pytest.mark.slow  # builds the world on PostgreSQL too
def test_same_results_on_postgres(duckdb_build, postgres_build) -> None:
    duck_world, _ = duckdb_build
    pg_world, _ = postgres_build
    assert set(postgres_rows(pg_world.postgres_database, GV06)) == set(
        duckdb_rows(duck_world.duckdb_path, GV06)
    )
    assert _over_allocated_next_month(
        lambda sql: postgres_rows(pg_world.postgres_database, sql), pg_world
    ) == _over_allocated_next_month(
        lambda sql: duckdb_rows(duck_world.duckdb_path, sql), duck_world
    )


def test_capacity_is_working_days_minus_holidays_times_daily_hours(duckdb_build) -> None:
    """Recomputed in Python from dim_person and the holiday seed CSV (DE, the default country)."""
    import csv
    from datetime import timedelta
    from pathlib import Path

    world, _ = duckdb_build
    seed = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "public_holidays.csv"
    with seed.open(encoding="utf-8") as handle:
        holidays = {
            date.fromisoformat(r["holiday_date"])
            for r in csv.DictReader(handle)
            if r["country_code"] == "DE"
        }
    as_of = date.fromisoformat(world.as_of)
    daily = dict(
        duckdb_rows(
            world.duckdb_path,
            "select person_key, std_hours_per_day * fte from core.dim_person"
            " where is_active and not is_unknown_member",
        )
    )
    rows = duckdb_rows(
        world.duckdb_path,
        "select person_key, iso_week_start, capacity_hours, holiday_hours from"
        " marts.mart_capacity_plan where not is_unknown_member",
    )
    assert {r[0] for r in rows} == set(daily)
    christmas_checked = False
    for person_key, week, capacity, holiday in rows:
        days = [week + timedelta(d) for d in range(5) if week + timedelta(d) >= as_of]
        working = [d for d in days if d not in holidays]
        assert float(capacity) == pytest.approx(len(working) * float(daily[person_key]), abs=0.01)
        assert float(holiday) == pytest.approx(
            (len(days) - len(working)) * float(daily[person_key]), abs=0.01
        )
        christmas_checked |= date(week.year, 12, 25) in days and float(holiday) > 0
    assert christmas_checked, "the horizon should cross Christmas in the XS world"
