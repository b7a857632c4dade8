"""The same world written twice gives byte-identical files, so a re-drop is a no-op."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from sandbox.world import World


def _digests(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_rewriting_the_world_is_byte_identical(tmp_path: Path) -> None:
    world = World.generate("XS", 5)
    world.write_files(tmp_path / "a")
    time.sleep(1.1)  # zip entries and workbook properties carry second-resolution timestamps
    world.write_files(tmp_path / "b")
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert any(name.endswith(".xlsx") for name in first)
    assert first == second
