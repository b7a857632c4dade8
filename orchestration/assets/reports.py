"""The static report site (reporting/), rewritten at the end of every run."""

from __future__ import annotations

import dagster as dg

from orchestration.resources import HubConfigResource
from reporting import write_reports


def build_report_assets(upstream: list[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    """``upstream``: the assets the pages read (compliance and PMO marts, the serving copy)."""

    @dg.asset(
        name="report_site",
        group_name="serving",
        deps=upstream,
        kinds={"html"},
        description=(
            "Static HTML reports: compliance exceptions with locators and history, Great "
            "Expectations and dbt test results, portfolio health, one status page per project."
        ),
    )
    def report_site(hub: HubConfigResource) -> dg.MaterializeResult:
        config = hub.load()
        written = write_reports(config)
        return dg.MaterializeResult(
            metadata={
                "pages": len(written),
                # "path": the run summary lists the site among the outputs written in this run.
                "path": dg.MetadataValue.path(str(config.reports_dir / "index.html")),
            }
        )

    return [report_site]
