"""Jobs: the main sync job (every asset) and the finance landing job."""

from __future__ import annotations

import dagster as dg

RECONCILE_TAG = "pmo_hub/reconcile"

# In-process: the whole chain shares one DuckDB file, and per-step subprocesses cost ~1.8 s each.
sync_job = dg.define_asset_job(
    name="pmo_hub_sync",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load every enabled source, build the PMO schema and marts, check data quality.",
)

finance_landing_job = dg.define_asset_job(
    name="finance_landing",
    selection=dg.AssetSelection.groups("ingest_finance").downstream(),
    executor_def=dg.in_process_executor,
    description="Load newly landed finance files and rebuild what depends on them.",
)
