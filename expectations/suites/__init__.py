"""Expectation suites as code: one module per suite, each exposing ``build_suite()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from expectations.suites import marts__pmo__budget_vs_actual, raw__finance__invoice_lines


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    asset_key: tuple[str, ...]  # the Dagster asset the suite checks
    schema: str  # warehouse schema (raw datasets are prefixed on shared Postgres targets)
    table: str
    build: Callable[[], Any]
    blocking: bool  # a failed critical expectation stops everything downstream in the run
    is_raw: bool = False


SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec(
        name=raw__finance__invoice_lines.SUITE_NAME,
        asset_key=("raw_finance", "invoice_lines"),
        schema="raw_finance",
        table="invoice_lines",
        build=raw__finance__invoice_lines.build_suite,
        blocking=True,
        is_raw=True,
    ),
    SuiteSpec(
        name=marts__pmo__budget_vs_actual.SUITE_NAME,
        asset_key=("core", "fct_invoice_lines"),
        schema="core",
        table="fct_invoice_lines",
        build=marts__pmo__budget_vs_actual.build_fact_suite,
        blocking=True,
    ),
    SuiteSpec(
        name=marts__pmo__budget_vs_actual.MART_SUITE_NAME,
        asset_key=("marts", "mart_budget_vs_actual"),
        schema="marts",
        table="mart_budget_vs_actual",
        build=marts__pmo__budget_vs_actual.build_suite,
        blocking=False,
    ),
)
