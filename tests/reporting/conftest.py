"""A headless Chromium for the report tests (installed from Debian when missing) and a place
for the screenshots they keep."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import Chromium, ensure_chromium

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser() -> Iterator[Chromium]:
    chromium = Chromium(ensure_chromium())
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Screenshots are test artifacts: reports/screenshots/ (or $PMO_HUB_SCREENSHOT_DIR)."""
    directory = Path(os.environ.get("PMO_HUB_SCREENSHOT_DIR", ROOT / "reports" / "screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory
