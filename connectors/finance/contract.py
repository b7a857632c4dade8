"""File contracts: what each finance file must contain and how each exporting system writes it.

The contract lives in versioned TOML under ``connectors/finance/contracts/``; this module only
loads and validates it, so changing a column, an alias or a date format is a config change.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

COLUMN_TYPES = (
    "string",
    "email",
    "currency",
    "decimal",
    "integer",
    "boolean",
    "date",
    "timestamp",
    "period",
)
DATE_ORDERS = ("DMY", "MDY", "YMD")
REISSUE_POLICIES = ("partial", "clean")
DEFAULT_CONTRACT = Path(__file__).parent / "contracts" / "finance_v1.toml"


class ContractError(ValueError):
    """The contract file itself is invalid (a configuration error, not a data error)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an entity contract."""

    name: str
    type: str = "string"
    required: bool = False
    allowed: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    scale: int = 2
    precision: int = 18


@dataclass(frozen=True)
class EntitySpec:
    """The contract of one entity (one raw table)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


@dataclass(frozen=True)
class Dialect:
    """How one exporting system writes its files."""

    name: str
    format: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    decimal_separator: str = "."
    thousands_separator: str = ""
    negative_parentheses: bool = False
    date_order: str = "YMD"
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    timestamp_formats: tuple[str, ...] = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
    period_formats: tuple[str, ...] = ("%Y-%m",)
    true_values: tuple[str, ...] = ("true", "yes", "y", "1")
    false_values: tuple[str, ...] = ("false", "no", "n", "0")
    sheet: str | None = None


@dataclass(frozen=True)
class SourceMapping:
    """Routes landing files whose name matches ``pattern`` to an entity and a dialect."""

    pattern: str
    entity: str
    dialect: str

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatch(file_name.lower(), self.pattern.lower())


@dataclass(frozen=True)
class Contract:
    """A loaded, validated contract file."""

    name: str
    version: int
    entities: dict[str, EntitySpec]
    dialects: dict[str, Dialect]
    sources: tuple[SourceMapping, ...]
    file_version_pattern: str = r"(?i)[_-](?:v|rev|r)(\d+)$"
    # Which re-issue may replace the current version of a file: "partial" = any loaded version
    # (rows failing the contract are quarantined), "clean" = only one without quarantined rows.
    # A re-issue rejected whole never replaces anything.
    reissue_accept: str = "partial"
    path: Path | None = field(default=None, compare=False)

    def route(
        self, file_name: str, sources: tuple[SourceMapping, ...] | None = None
    ) -> SourceMapping | None:
        """The first mapping matching ``file_name`` (from ``sources`` when given), or None."""
        for mapping in sources if sources is not None else self.sources:
            if mapping.matches(file_name):
                return mapping
        return None

    def logical_file_id(self, file_name: str) -> tuple[str, int]:
        """The logical id of a file (name without version suffix) and its version number."""
        stem, dot, ext = file_name.rpartition(".")
        if not dot:
            stem, ext = file_name, ""
        match = re.search(self.file_version_pattern, stem)
        version = int(match.group(1)) if match else 1
        if match:
            stem = stem[: match.start()]
        return (f"{stem}.{ext}" if ext else stem), version


# Formats whose day and month are both numeric and not preceded by the year are ambiguous; each
# must agree with the dialect's declared date order.
_AMBIGUOUS = {"DMY": re.compile(r"%d.%m"), "MDY": re.compile(r"%m.%d")}


def _check_date_formats(dialect: Dialect) -> None:
    if dialect.date_order not in DATE_ORDERS:
        raise ContractError(f"dialect {dialect.name}: date_order must be one of {DATE_ORDERS}")
    for fmt in dialect.date_formats + dialect.timestamp_formats:
        if fmt.startswith("%Y") or fmt.startswith("%y"):
            continue
        for order, pattern in _AMBIGUOUS.items():
            if pattern.search(fmt) and order != dialect.date_order:
                raise ContractError(
                    f"dialect {dialect.name}: format {fmt!r} reads dates as {order} but the "
                    f"dialect declares date_order = {dialect.date_order!r}"
                )


def load_contract(path: str | Path | None = None) -> Contract:
    """Load and validate a contract file.

    Args:
        path: a contract TOML file; the packaged ``finance_v1.toml`` when None.

    Returns:
        The validated contract.

    Raises:
        ContractError: on unknown types, inconsistent date formats or dangling references.
    """
    path = Path(path) if path else DEFAULT_CONTRACT
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entities: dict[str, EntitySpec] = {}
    for name, spec in data.get("entities", {}).items():
        columns = []
        for col in spec["columns"]:
            if col.get("type", "string") not in COLUMN_TYPES:
                raise ContractError(
                    f"entity {name}: column {col['name']} has unknown type {col.get('type')!r}"
                )
            columns.append(
                ColumnSpec(
                    name=col["name"],
                    type=col.get("type", "string"),
                    required=bool(col.get("required", False)),
                    allowed=tuple(col.get("allowed", ())),
                    aliases=tuple(col.get("aliases", ())),
                    scale=int(col.get("scale", 2)),
                    precision=int(col.get("precision", 18)),
                )
            )
        key = tuple(spec.get("key", ()))
        names = {c.name for c in columns}
        if not set(key) <= names:
            raise ContractError(f"entity {name}: key {key} names unknown columns")
        entities[name] = EntitySpec(name=name, key=key, columns=tuple(columns))
    dialects: dict[str, Dialect] = {}
    for name, spec in data.get("dialects", {}).items():
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items()}
        dialect = Dialect(name=name, **kwargs)
        if dialect.decimal_separator == dialect.thousands_separator:
            raise ContractError(f"dialect {name}: decimal and thousands separators must differ")
        _check_date_formats(dialect)
        dialects[name] = dialect
    sources = tuple(SourceMapping(**s) for s in data.get("sources", ()))
    for mapping in sources:
        if mapping.entity not in entities or mapping.dialect not in dialects:
            raise ContractError(f"source {mapping.pattern}: unknown entity or dialect")
    reissue_accept = str(data.get("reissue", {}).get("accept", "partial"))
    if reissue_accept not in REISSUE_POLICIES:
        raise ContractError(f"[reissue] accept must be one of {REISSUE_POLICIES}")
    return Contract(
        name=data.get("name", path.stem),
        version=int(data.get("version", 1)),
        entities=entities,
        dialects=dialects,
        sources=sources,
        file_version_pattern=data.get("file_version_pattern", Contract.file_version_pattern),
        reissue_accept=reissue_accept,
        path=path,
    )
