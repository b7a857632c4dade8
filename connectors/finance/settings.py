"""Settings of the finance file connector: where files land and which contract reads them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from connectors.finance.contract import DEFAULT_CONTRACT, SourceMapping

DATASET_NAME = "raw_finance"

# Raw tables written by the connector (one per contract entity) plus the two bookkeeping tables.
ENTITY_TABLES = (
    "projects",
    "people",
    "vendors",
    "budget_lines",
    "purchase_order_lines",
    "invoice_lines",
    "timesheet_entries",
    "fx_rates",
    "payments",
    "change_requests",
)
QUARANTINE_TABLE = "quarantine"
LEDGER_TABLE = "file_ledger"

# Files that are never picked up: partial uploads, hidden and lock files, the sandbox manifest.
DEFAULT_IGNORE = ("*.part", "*.tmp", ".*", "~$*", "manifest.json", "*.md")

ENV_LANDING = "PMO_HUB_FINANCE_LANDING"
ENV_CONTRACT = "PMO_HUB_FINANCE_CONTRACT"


@dataclass(frozen=True)
class FinanceSettings:
    """Where finance files land and how they are read.

    Attributes:
        landing_dirs: folders scanned for files (not recursive unless ``recursive``).
        contract_file: the versioned contract TOML; the packaged ``finance_v1.toml`` by default.
        sources: routing of file-name globs to entity + dialect; the contract's ``[[sources]]``
            when None. First match wins.
        recursive: scan sub-folders too.
        ignore_patterns: globs of file names never picked up.
    """

    landing_dirs: tuple[Path, ...]
    contract_file: Path = DEFAULT_CONTRACT
    sources: tuple[SourceMapping, ...] | None = None
    recursive: bool = False
    ignore_patterns: tuple[str, ...] = field(default=DEFAULT_IGNORE)

    def __post_init__(self) -> None:
        # Values may come from TOML (strings, lists, dicts): normalise them once here.
        dirs = self.landing_dirs
        if isinstance(dirs, str | Path):
            dirs = (dirs,)
        object.__setattr__(self, "landing_dirs", tuple(Path(p) for p in dirs))
        object.__setattr__(self, "contract_file", Path(self.contract_file or DEFAULT_CONTRACT))
        if self.sources is not None:
            mappings = tuple(
                m if isinstance(m, SourceMapping) else SourceMapping(**m) for m in self.sources
            )
            object.__setattr__(self, "sources", mappings)
        object.__setattr__(self, "ignore_patterns", tuple(self.ignore_patterns))

    @classmethod
    def from_env(cls) -> FinanceSettings:
        """Read ``PMO_HUB_FINANCE_LANDING`` (os.pathsep-separated) and ``PMO_HUB_FINANCE_CONTRACT``.

        Raises:
            ValueError: when no landing folder is configured.
        """
        landing = os.environ.get(ENV_LANDING, "")
        if not landing:
            raise ValueError(f"finance landing folder is not set ({ENV_LANDING})")
        contract = os.environ.get(ENV_CONTRACT)
        return cls(
            landing_dirs=tuple(Path(p) for p in landing.split(os.pathsep) if p),
            contract_file=Path(contract) if contract else DEFAULT_CONTRACT,
        )

    @classmethod
    def for_folder(cls, folder: str | Path, **kwargs: object) -> FinanceSettings:
        """Settings for one landing folder."""
        return cls(landing_dirs=(Path(folder),), **kwargs)  # type: ignore[arg-type]
