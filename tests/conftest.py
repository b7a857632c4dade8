"""Suite-wide test settings: no telemetry, no stray config, warehouses in temp folders."""

from __future__ import annotations

import os

import pytest

os.environ["GX_ANALYTICS_ENABLED"] = "False"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")


@pytest.fixture(autouse=True)
def _isolated_hub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own PMO_HUB_* settings must never leak into a test.
    for name in list(os.environ):
        if name.startswith("PMO_HUB_"):
            monkeypatch.delenv(name, raising=False)
