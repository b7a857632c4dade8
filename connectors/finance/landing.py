"""The landing folder: which files are there, what they are, and their content hashes."""

from __future__ import annotations

import fnmatch
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from connectors.finance.contract import Contract, SourceMapping
from connectors.finance.settings import FinanceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandingFile:
    """One file found in a landing folder."""

    path: Path
    file_id: str  # logical id: the file name without a version suffix
    version: int
    mapping: SourceMapping | None  # None: no contract source matches the name
    size: int
    mtime_ns: int


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """The SHA-256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def discover(settings: FinanceSettings, contract: Contract) -> list[LandingFile]:
    """List the landing files, sorted by logical id, version, then modification time.

    Args:
        settings: the landing folders and routing.
        contract: the loaded contract (routing defaults and the version-suffix rule).

    Returns:
        Every candidate file; unroutable files have ``mapping=None``.
    """
    found: list[LandingFile] = []
    for folder in settings.landing_dirs:
        if not folder.is_dir():
            log.warning("finance landing folder %s does not exist", folder)
            continue
        paths = folder.rglob("*") if settings.recursive else folder.iterdir()
        for path in paths:
            if not path.is_file() or any(
                fnmatch.fnmatch(path.name, p) for p in settings.ignore_patterns
            ):
                continue
            stat = path.stat()
            file_id, version = contract.logical_file_id(path.name)
            found.append(
                LandingFile(
                    path=path,
                    file_id=file_id,
                    version=version,
                    mapping=contract.route(path.name, settings.sources),
                    size=stat.st_size,
                    mtime_ns=stat.st_mtime_ns,
                )
            )
    return sorted(found, key=lambda f: (f.file_id, f.version, f.mtime_ns, f.path.name))
