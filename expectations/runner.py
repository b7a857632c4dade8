"""Run expectation suites (defined as code) on data frames or PostgreSQL tables.

GX 1.x on DuckDB through SQLAlchemy computes no metrics and reports every expectation as failed
with the real error hidden in ``exception_info`` (see docs/DECISIONS.md). So DuckDB tables are
validated as pandas frames, PostgreSQL tables natively, and any engine error raises
:class:`ExpectationEngineError` instead of passing for a data-quality failure.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# GX phones home by default; a PMO's data-quality runs must not.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


SuiteBuilder = Callable[[], Any]  # returns a gx.ExpectationSuite


class ExpectationEngineError(RuntimeError):
    """GX could not evaluate an expectation: a tooling fault, not a data-quality result."""


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation_type: str
    column: str | None
    success: bool
    critical: bool
    unexpected_count: int | None
    element_count: int | None
    observed_value: Any = None
    description: str = ""
    # Up to 20 of the failing values (GX's partial_unexpected_list), as GX returned them.
    unexpected_sample: tuple[Any, ...] = ()


@dataclass
class SuiteOutcome:
    suite_name: str
    success: bool
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def evaluated(self) -> int:
        return len(self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.failed if o.critical]

    def unexpected_count(self, expectation_type: str, column: str | None = None) -> int | None:
        for o in self.outcomes:
            if o.expectation_type == expectation_type and (column is None or o.column == column):
                return o.unexpected_count
        raise KeyError(f"{expectation_type} on {column} is not in suite {self.suite_name}")


def _outcomes(result: Any) -> list[ExpectationOutcome]:
    outcomes = []
    for r in result.results:
        info = r.exception_info or {}
        raised = info.get("raised_exception") if isinstance(info, dict) else None
        if raised is None and isinstance(info, dict):
            # Some GX paths key exception info by metric id.
            raised = any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())
        config = r.expectation_config
        if raised:
            message = info.get("exception_message") if isinstance(info, dict) else None
            raise ExpectationEngineError(
                f"GX failed to evaluate {config.type} on {config.kwargs.get('column')}: "
                f"{message or info}"
            )
        res = r.result or {}
        meta = config.meta or {}
        outcomes.append(
            ExpectationOutcome(
                expectation_type=config.type,
                column=config.kwargs.get("column"),
                success=bool(r.success),
                critical=bool(meta.get("critical", False)),
                unexpected_count=res.get("unexpected_count"),
                element_count=res.get("element_count"),
                observed_value=res.get("observed_value"),
                description=str(meta.get("why", "")),
                unexpected_sample=tuple(res.get("partial_unexpected_list") or ()),
            )
        )
    return outcomes


def _run(
    build_suite: SuiteBuilder, batch_definition: Any, context: Any, batch_parameters: dict | None
) -> SuiteOutcome:
    import great_expectations as gx

    # Suites are built after the context exists: GX 1.x requires an active context for that.
    suite = context.suites.add_or_update(build_suite())
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(data=batch_definition, suite=suite, name=f"{suite.name}-validation")
    )
    result = validation.run(batch_parameters=batch_parameters, result_format="SUMMARY")
    outcomes = _outcomes(result)
    return SuiteOutcome(
        suite_name=suite.name, success=all(o.success for o in outcomes), outcomes=outcomes
    )


def _quiet_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX logs an INFO line per ephemeral context about a docs site we never build.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate_dataframe(build_suite: SuiteBuilder, frame: pd.DataFrame) -> SuiteOutcome:
    """Validate a pandas frame against a suite in an ephemeral GX context."""

    context = _quiet_context()
    source = context.data_sources.add_pandas(f"frames-{uuid.uuid4().hex[:8]}")
    asset = source.add_dataframe_asset(name="frame")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    return _run(build_suite, batch_definition, context, {"dataframe": frame})


def validate_postgres_table(
    build_suite: SuiteBuilder, url: str, schema: str, table: str
) -> SuiteOutcome:
    """Validate a PostgreSQL table natively (GX supports PostgreSQL's SQL dialect)."""

    context = _quiet_context()
    source = context.data_sources.add_postgres(f"pg-{uuid.uuid4().hex[:8]}", connection_string=url)
    asset = source.add_table_asset(name=table, table_name=table, schema_name=schema)
    batch_definition = asset.add_batch_definition_whole_table("whole")
    return _run(build_suite, batch_definition, context, None)
