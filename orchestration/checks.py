"""Asset checks: Great Expectations suites and the finance reconciliation invariant."""

import dagster as dg

from connectors.finance.reconcile import unreconciled_files
from expectations.results import record_outcome, write_report
from expectations.runner import SuiteOutcome, validate_dataframe, validate_postgres_table
from expectations.suites import SUITES, SuiteSpec
from orchestration.resources import HubConfigResource
from pmo_hub.config import HubConfig
from pmo_hub.warehouse import read_table, table_exists


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
        schema = config.dataset_name(spec.schema) if spec.is_raw else spec.schema
        if not table_exists(config, schema, spec.table):
            # Source disabled or this file kind never delivered: nothing to check, not a failure.
            return dg.AssetCheckResult(
                passed=True,
                metadata={
                    "skipped": f"{schema}.{spec.table} does not exist (no data from its source)"
                },
            )
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


@dg.asset_check(
    asset=dg.AssetKey(["raw_finance", "file_ledger"]),
    name="reconciled_rows_read_loaded_quarantined",
    blocking=True,
    description=(
        "Nothing lost: for every current finance file, rows read = rows loaded + rows quarantined, "
        "and the ledger's counts equal the rows actually in the raw tables. Blocks dbt on failure."
    ),
)
def finance_files_reconcile(hub: HubConfigResource) -> dg.AssetCheckResult:
    config = hub.load()
    if "finance" not in config.enabled:
        return dg.AssetCheckResult(passed=True, metadata={"skipped": "finance source disabled"})
    warehouse: object = (
        str(config.warehouse.duckdb_path)
        if config.warehouse.target == "duckdb"
        else config.require_postgres_url()
    )
    broken = unreconciled_files(warehouse, dataset=config.dataset_name("raw_finance"))
    return dg.AssetCheckResult(
        passed=not broken,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "unreconciled_files": len(broken),
            "details": dg.MetadataValue.json([{k: str(v) for k, v in b.items()} for b in broken]),
        },
    )


def build_checks() -> list[dg.AssetChecksDefinition]:
    return [*(_gx_check(spec) for spec in SUITES), finance_files_reconcile]
