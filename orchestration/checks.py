"""Asset checks: Great Expectations suites and the finance reconciliation invariant."""

import dagster as dg

from expectations.results import record_outcome, write_report
from expectations.runner import SuiteOutcome, validate_dataframe, validate_postgres_table
from expectations.suites import SUITES, SuiteSpec
from orchestration.resources import HubConfigResource
from pmo_hub.config import HubConfig
from pmo_hub.warehouse import read_table


def run_suite(spec: SuiteSpec, config: HubConfig) -> SuiteOutcome:
    schema = config.dataset_name(spec.schema) if spec.is_raw else spec.schema
    if config.warehouse.target == "postgres":
        return validate_postgres_table(
            spec.build, config.require_postgres_url(), schema, spec.table
        )
    return validate_dataframe(spec.build, read_table(config, schema, spec.table))


def _gx_check(spec: SuiteSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset_key)),
        name=f"gx_{spec.name}",
        blocking=spec.blocking,
        description=(
            f"Great Expectations suite `{spec.name}`; a failed critical expectation is an ERROR"
            + (" and stops everything downstream in the run." if spec.blocking else ".")
        ),
    )
    def _check(
        context: dg.AssetCheckExecutionContext, hub: HubConfigResource
    ) -> dg.AssetCheckResult:
        config = hub.load()
        outcome = run_suite(spec, config)
        record_outcome(config, outcome, context.run.run_id, "/".join(spec.asset_key))
        # Checks may run after the report asset: each one refreshes the report it feeds.
        write_report(config)
        failed = {
            f"{o.expectation_type}({o.column or ''})": o.unexpected_count for o in outcome.failed
        }
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR
            if outcome.critical_failures
            else dg.AssetCheckSeverity.WARN,
            metadata={
                "evaluated": outcome.evaluated,
                "failed": len(outcome.failed),
                "critical_failed": len(outcome.critical_failures),
                "failed_expectations": dg.MetadataValue.json(failed),
            },
        )

    return _check


def build_checks() -> list[dg.AssetChecksDefinition]:
    return [_gx_check(spec) for spec in SUITES]
