"""How dbt nodes become Dagster assets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class PmoDbtTranslator(DagsterDbtTranslator):
    """Groups by layer folder so the UI reads staging -> intermediate -> core -> marts."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # Sources keep their ingest group; models take the folder under models/ (or seeds).
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        if len(fqn) >= 3 and fqn[1] == "marts":
            return f"marts_{fqn[2]}"
        return fqn[1] if len(fqn) >= 2 else None

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:  # type: ignore[override]
        spec = super().get_asset_spec(manifest, unique_id, project)
        # Every model writes to the same DuckDB file as the loaders: one writer at a time.
        return spec
