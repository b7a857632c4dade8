"""Dagster resources: the hub configuration, read when a run starts."""

from __future__ import annotations

import dagster as dg

from pmo_hub.config import HubConfig, load_config


class HubConfigResource(dg.ConfigurableResource):
    """Settings from pmo-hub.toml (path from PMO_HUB_CONFIG or the working directory).

    Secrets are read from environment variables inside ``load()``, i.e. at run time, so they are
    never resolved when the code location loads and never shown in the Dagster UI.
    """

    config_file: str | None = None

    def load(self) -> HubConfig:
        return load_config(self.config_file)


def build_resources() -> dict[str, object]:
    return {"hub": HubConfigResource()}
