"""Dagster resources: the hub configuration, read when a run starts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg

from pmo_hub.config import HubConfig, load_config
from pmo_hub.run_lock import acquire_run_lock


class HubConfigResource(dg.ConfigurableResource):
    """Settings from pmo-hub.toml (path from PMO_HUB_CONFIG or the working directory).

    Secrets are read from environment variables inside ``load()``, i.e. at run time, so they are
    never resolved when the code location loads and never shown in the Dagster UI.
    """

    config_file: str | None = None

    def load(self) -> HubConfig:
        return load_config(self.config_file)

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[HubConfigResource]:
        """Hold the warehouse's run lock for the whole run (every step of it uses this resource).

        `pmo-hub run` takes the lock before Dagster starts (this nested take shares it); runs the
        daemon launches for schedules and sensors, or the UI's "Materialize", are refused here at
        once when another run writes to the same warehouse, instead of failing later on a
        DuckDB file lock.
        """
        lock = acquire_run_lock(self.load())
        try:
            yield self
        finally:
            lock.release()


def build_resources() -> dict[str, object]:
    return {"hub": HubConfigResource()}
