"""The project configuration: one TOML file for settings, environment variables for every secret.

Read at run time only (``load_config``), never at import time. A missing or invalid setting raises
:class:`ConfigError` naming the setting and where to set it; secret values never appear in errors.

``load_config`` rejects unknown sections and keys anywhere (suggesting the closest known one);
``check_config`` names every missing setting and secret of the enabled sources, before any network
call. The allowed keys of ``[sources.<system>]`` are the fields of the connector's settings
dataclass (``SOURCE_SETTINGS``) plus ``enabled``.
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib
import importlib.util
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

CONFIG_ENV = "PMO_HUB_CONFIG"
DEFAULT_CONFIG_FILE = "pmo-hub.toml"
SOURCE_NAMES = ("finance", "jira", "planner", "msproject")

# Secret -> environment variable. Secrets are never read from the TOML file.
SECRET_ENV = {
    ("jira", "api_token"): "PMO_HUB_JIRA_API_TOKEN",
    ("jira", "pat"): "PMO_HUB_JIRA_PAT",
    ("planner", "client_secret"): "PMO_HUB_PLANNER_CLIENT_SECRET",
    ("planner", "client_cert_private_key"): "PMO_HUB_PLANNER_CLIENT_CERT_KEY",
    ("warehouse", "postgres_url"): "PMO_HUB_POSTGRES_URL",
}


# system -> (settings module, settings dataclass): its fields are the keys of [sources.<system>].
SOURCE_SETTINGS: dict[str, tuple[str, str]] = {
    "finance": ("connectors.finance.settings", "FinanceSettings"),
    "jira": ("connectors.jira.settings", "JiraSettings"),
    "planner": ("connectors.planner.settings", "PlannerSettings"),
    "msproject": ("connectors.msproject.settings", "MsProjectSettings"),
}

# Keys of the hub's own sections (a new setting = a new key here + its README line).
HUB_KEYS = ("reports_dir", "state_dir", "as_of_date", "reporting_currency")
WAREHOUSE_KEYS = (
    "target",
    "duckdb_path",
    "postgres_url",  # refused with its own message (a secret)
    "postgres_schema_prefix",
    "publish_path",
    "duckdb_memory_limit",
    "dbt_memory_limit",
    "lock_timeout_s",
    "pseudonymize",  # BI copy with HMAC pseudonyms for names and emails (key: PMO_HUB_PSEUDONYM_KEY)
)
PSEUDONYM_KEY_ENV = "PMO_HUB_PSEUDONYM_KEY"
SECTIONS = {"hub": HUB_KEYS, "warehouse": WAREHOUSE_KEYS, "sources": ()}
DEFAULT_LOCK_TIMEOUT_S = 60.0
DEFAULT_DBT_MEMORY_LIMIT = "1GB"

# Settings whose values are file-system paths, resolved against the config file's folder.
PATH_KEYS = {
    "folders",
    "landing_dirs",
    "landing_dir",
    "contract_file",
    "contracts_dir",
    "verify",
    "ca_file",
}


class ConfigError(ValueError):
    """The configuration is incomplete or invalid; the message names the setting to fix."""


@dataclass(frozen=True)
class WarehouseConfig:
    target: str = "duckdb"  # duckdb | postgres
    duckdb_path: Path = Path("warehouse/pmo.duckdb")
    postgres_url: str | None = None  # secret: PMO_HUB_POSTGRES_URL
    postgres_schema_prefix: str = ""  # tests isolate themselves with a prefix
    publish_path: Path | None = Path("warehouse/pmo_serving.duckdb")  # read-only copy for BI
    duckdb_memory_limit: str | None = "256MB"  # DuckDB memory_limit during loads
    # DuckDB memory_limit of dbt's connection: without one DuckDB takes up to 80 % of RAM (a
    # tier-M build peaked at 3.3 GiB); beyond it DuckDB spills to <warehouse>.tmp.
    dbt_memory_limit: str = DEFAULT_DBT_MEMORY_LIMIT
    # PostgreSQL: how long dbt/grants wait for a table lock before failing (0 = wait forever).
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    # Person names and emails in the BI copy replaced by keyed HMAC-SHA256 pseudonyms; the key
    # is read from PMO_HUB_PSEUDONYM_KEY when the copy is published, never stored here.
    pseudonymize: bool = False


@dataclass(frozen=True)
class HubConfig:
    root: Path
    warehouse: WarehouseConfig
    sources: Mapping[str, Mapping[str, Any]]  # per source: settings incl. secrets from env
    enabled: tuple[str, ...]
    reports_dir: Path
    state_dir: Path  # dlt pipelines' local working folders
    as_of_date: str | None = None  # pins the dbt "today"; None = the real date
    reporting_currency: str = "EUR"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def source(self, name: str) -> Mapping[str, Any]:
        if name not in self.sources:
            raise ConfigError(f"[sources.{name}] is missing from the configuration")
        return self.sources[name]

    def with_sources(self, **overrides: Mapping[str, Any]) -> HubConfig:
        merged = {k: dict(v) for k, v in self.sources.items()}
        for name, values in overrides.items():
            merged.setdefault(name, {}).update(values)
        enabled = tuple(n for n in SOURCE_NAMES if merged.get(n, {}).get("enabled", False))
        return replace(self, sources=merged, enabled=enabled)

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt's profiles.yml (paths and connection, read there via env_var)."""
        env = {
            "PMO_HUB_DBT_TARGET": self.warehouse.target,
            "DO_NOT_TRACK": "1",
            # The job builds dbt in two steps (core, then marts). dbt's default "eager" selection
            # runs a test as soon as one parent is selected, so a test between a core model and
            # a mart ran in the core step, before the mart existed. "buildable" runs each test in
            # the step that builds its last parent.
            "DBT_INDIRECT_SELECTION": "buildable",
        }
        if self.warehouse.target == "duckdb":
            env["PMO_HUB_DUCKDB_PATH"] = str(self.warehouse.duckdb_path)
            env["PMO_HUB_DBT_MEMORY_LIMIT"] = self.warehouse.dbt_memory_limit
        else:
            env.update(postgres_env(self.require_postgres_url()))
            # libpq reads these for every connection dbt opens (grants in on-run-end included):
            # a BI session holding a lock makes dbt fail after the timeout instead of hanging.
            env["PGOPTIONS"] = f"-c lock_timeout={int(self.warehouse.lock_timeout_s * 1000)}"
            env["PGAPPNAME"] = "pmo-hub dbt"
            if self.warehouse.postgres_schema_prefix:
                env["PMO_HUB_PG_SCHEMA"] = f"{self.warehouse.postgres_schema_prefix}pmo"
        return env

    def require_postgres_url(self) -> str:
        if not self.warehouse.postgres_url:
            raise ConfigError(
                "warehouse.target is 'postgres' but no URL is set: export PMO_HUB_POSTGRES_URL"
            )
        return self.warehouse.postgres_url

    def dataset_name(self, dataset: str) -> str:
        """Raw dataset name on the target (Postgres tests prefix schemas to stay isolated)."""
        if self.warehouse.target == "postgres":
            return f"{self.warehouse.postgres_schema_prefix}{dataset}"
        return dataset


def postgres_env(url: str) -> dict[str, str]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return {
        "PMO_HUB_PG_HOST": parts.hostname or "127.0.0.1",
        "PMO_HUB_PG_PORT": str(parts.port or 5432),
        "PMO_HUB_PG_USER": unquote(parts.username or "postgres"),
        "PMO_HUB_PG_PASSWORD": unquote(parts.password or ""),
        "PMO_HUB_PG_DATABASE": (parts.path or "/postgres").lstrip("/") or "postgres",
    }


def find_config_file(explicit: str | Path | None = None) -> Path | None:
    candidate = explicit or os.environ.get(CONFIG_ENV)
    if candidate:
        path = Path(candidate)
        if not path.is_file():
            raise ConfigError(
                f"configuration file {path} does not exist (from {CONFIG_ENV} or --config)"
            )
        return path
    default = Path.cwd() / DEFAULT_CONFIG_FILE
    return default if default.is_file() else None


def load_config(
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> HubConfig:
    """Read the configuration file and the secrets from the environment."""
    env = os.environ if environ is None else environ
    config_file = find_config_file(path)
    raw: dict[str, Any] = {}
    if config_file is not None:
        try:
            raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file} is not valid TOML: {exc}") from None
    root = (config_file.parent if config_file else Path.cwd()).resolve()

    def resolve(value: str | Path) -> Path:
        p = Path(value)
        return p if p.is_absolute() else root / p

    _check_known_keys(raw, config_file)
    wh = raw.get("warehouse", {})
    target = env.get("PMO_HUB_WAREHOUSE_TARGET", wh.get("target", "duckdb"))
    if target not in ("duckdb", "postgres"):
        raise ConfigError(f"warehouse.target must be 'duckdb' or 'postgres', not {target!r}")
    publish = wh.get("publish_path", "warehouse/pmo_serving.duckdb")
    warehouse = WarehouseConfig(
        target=target,
        duckdb_path=resolve(
            env.get("PMO_HUB_DUCKDB_PATH", wh.get("duckdb_path", "warehouse/pmo.duckdb"))
        ),
        postgres_url=env.get(SECRET_ENV[("warehouse", "postgres_url")]),
        postgres_schema_prefix=wh.get("postgres_schema_prefix", ""),
        publish_path=resolve(publish) if publish else None,
        duckdb_memory_limit=wh.get("duckdb_memory_limit", "256MB") or None,
        dbt_memory_limit=str(wh.get("dbt_memory_limit") or DEFAULT_DBT_MEMORY_LIMIT),
        lock_timeout_s=_lock_timeout(wh.get("lock_timeout_s", DEFAULT_LOCK_TIMEOUT_S)),
        pseudonymize=_pseudonymize(wh.get("pseudonymize", False), env),
    )
    if "postgres_url" in wh:
        raise ConfigError(
            "warehouse.postgres_url must not be in the config file (it holds a password): "
            "export PMO_HUB_POSTGRES_URL instead"
        )

    sources: dict[str, dict[str, Any]] = {}
    for name, values in raw.get("sources", {}).items():
        if name not in SOURCE_NAMES:
            raise ConfigError(
                f"unknown source [sources.{name}]{_did_you_mean(name, SOURCE_NAMES, '[sources.', ']')}"
                f"; known: {', '.join(SOURCE_NAMES)}"
            )
        for (section, key), var in SECRET_ENV.items():
            if section == name and key in values:
                raise ConfigError(
                    f"sources.{name}.{key} is a secret and must not be in the config file: "
                    f"export {var} instead"
                )
        settings = dict(values)
        for (section, key), var in SECRET_ENV.items():
            if section == name and env.get(var):
                settings[key] = env[var]
        sources[name] = settings
    enabled = tuple(n for n in SOURCE_NAMES if sources.get(n, {}).get("enabled", False))

    hub = raw.get("hub", {})
    return HubConfig(
        root=root,
        warehouse=warehouse,
        sources=sources,
        enabled=enabled,
        reports_dir=resolve(hub.get("reports_dir", "reports")),
        state_dir=resolve(hub.get("state_dir", ".pmo-hub/dlt")),
        as_of_date=hub.get("as_of_date") or env.get("PMO_HUB_AS_OF_DATE") or None,
        reporting_currency=hub.get("reporting_currency", "EUR"),
    )


def require(settings: Mapping[str, Any], source: str, *keys: str) -> None:
    """Raise a ConfigError naming every missing setting of an enabled source."""
    missing = [k for k in keys if settings.get(k) in (None, "", [])]
    if missing:
        hints = []
        for k in missing:
            var = SECRET_ENV.get((source, k))
            hints.append(
                f"export {var}" if var else f"set sources.{source}.{k} in {DEFAULT_CONFIG_FILE}"
            )
        raise ConfigError(f"source '{source}' is enabled but incomplete: " + "; ".join(hints))


# ---- validation ----------------------------------------------------------------------------


def _did_you_mean(
    word: str, known: tuple[str, ...] | list[str], pre: str = "", post: str = ""
) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {pre}{close[0]}{post}?)" if close else ""


def _lock_timeout(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(
            f"[warehouse] lock_timeout_s must be a number of seconds >= 0 (0 = wait forever), "
            f"not {value!r}"
        )
    return float(value)


def settings_class(system: str) -> type:
    """The connector's settings dataclass for ``system`` (imported on demand)."""
    module_name, class_name = SOURCE_SETTINGS[system]
    return getattr(importlib.import_module(module_name), class_name)


@dataclass(frozen=True)
class SettingField:
    """One field of a connector's settings dataclass, as read from its source code."""

    name: str
    annotation: str
    required: bool  # no default
    doc: str  # its line of the class docstring's Attributes, "" if none

    @property
    def is_table(self) -> bool:
        """Typed as a mapping: written as a nested TOML table ``[sources.<system>.<name>]``."""
        return any(t in self.annotation for t in ("dict", "Mapping", "SourceMapping"))


@functools.cache
def source_fields(system: str) -> dict[str, SettingField]:
    """Allowed keys of ``[sources.<system>]`` (besides ``enabled``): the settings' fields.

    Read from the settings module's source rather than imported: a connector package imports dlt
    (seconds), and checking a configuration must answer at once.
    """
    module_name, class_name = SOURCE_SETTINGS[system]
    # find_spec of the submodule would import its package (and dlt): locate the file instead.
    top, *inner = module_name.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the {system} connector is not installed ({module_name})")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*inner).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            docstring = ast.get_docstring(node) or ""
            return {
                item.target.id: SettingField(
                    name=item.target.id,
                    annotation=ast.unparse(item.annotation),
                    required=item.value is None,
                    doc=_field_doc(docstring, item.target.id),
                )
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and "ClassVar" not in ast.unparse(item.annotation)
            }
    raise ConfigError(f"{module_name} has no settings class {class_name}")


def _check_known_keys(raw: Mapping[str, Any], config_file: Path | None) -> None:
    """Unknown sections and keys anywhere are errors, each with the closest known name."""
    where = f" in {config_file}" if config_file else ""
    problems: list[str] = []
    for section, values in raw.items():
        if section not in SECTIONS:
            if isinstance(values, dict):
                shown = f"[{section}]"
                nested = [k for k, v in values.items() if isinstance(v, dict)]
                if section in ("source", "src", "sourcess") or (
                    nested and set(nested) & set(SOURCE_NAMES)
                ):
                    shown = f"[{section}.{nested[0]}]" if nested else shown
                    hint = f" (did you mean [sources.{nested[0]}]?)" if nested else ""
                else:
                    hint = _did_you_mean(section, list(SECTIONS), "[", "]")
                problems.append(f"unknown section {shown}{hint}")
            else:
                problems.append(
                    f"unknown top-level key {section!r}{_did_you_mean(section, list(SECTIONS), '[', ']')}"
                    "; settings belong in [hub], [warehouse] or [sources.<system>]"
                )
            continue
        if not isinstance(values, dict):
            problems.append(f"{section} must be a table [{section}], not a value")
            continue
        if section == "sources":
            for system, settings in values.items():
                if system not in SOURCE_NAMES:
                    continue  # reported by load_config with the known list
                if not isinstance(settings, dict):
                    problems.append(f"sources.{system} must be a table [sources.{system}]")
                    continue
                fields = source_fields(system)
                known = ["enabled", *fields]
                for key, value in settings.items():
                    if key not in known:
                        problems.append(
                            f"unknown key {key!r} in [sources.{system}]"
                            + _did_you_mean(key, known, "'", "'")
                        )
                    elif isinstance(value, dict) and key in fields and not fields[key].is_table:
                        problems.append(f"[sources.{system}] {key} must be a value, not a table")
            continue
        for key, value in values.items():
            if key in SECTIONS[section] and isinstance(value, dict):
                problems.append(f"[{section}] {key} must be a value, not a table")
            elif key not in SECTIONS[section]:
                problems.append(
                    f"unknown key {key!r} in [{section}]"
                    + _did_you_mean(key, SECTIONS[section], "'", "'")
                    + f"; known: {', '.join(k for k in SECTIONS[section] if k != 'postgres_url')}"
                )
    if problems:
        raise ConfigError(f"invalid configuration{where}:\n  - " + "\n  - ".join(problems))


def _field_doc(docstring: str, name: str) -> str:
    """The field's line of the class docstring's ``Attributes:`` (to say what a setting is)."""
    match = re.search(rf"^\s+{re.escape(name)}: (.+)$", docstring, re.MULTILINE)
    return match.group(1).replace("``", "").rstrip(".") if match else ""


def _missing_credentials(system: str, settings: Mapping[str, Any]) -> list[str]:
    """Problems with the secrets of an enabled source (no network, values never shown)."""
    if system == "jira":
        has_pat = bool(settings.get("pat"))
        if settings.get("deployment", "cloud") == "datacenter":
            return [] if has_pat else ["Jira (Data Center) needs a token: export PMO_HUB_JIRA_PAT"]
        if has_pat:
            return []
        problems = []
        if not settings.get("api_token"):
            problems.append(
                "Jira (Cloud) needs an API token: export PMO_HUB_JIRA_API_TOKEN "
                "(or PMO_HUB_JIRA_PAT for a service-account bearer token)"
            )
        if not settings.get("email"):
            problems.append("[sources.jira] needs email (the account the API token belongs to)")
        return problems
    if system == "planner":
        cert = settings.get("client_cert_private_key") and settings.get("client_cert_thumbprint")
        if settings.get("client_secret") or cert:
            return []
        if settings.get("client_cert_private_key"):
            return ["[sources.planner] needs client_cert_thumbprint (for the certificate key)"]
        return [
            "Microsoft Planner needs the app's credential: export PMO_HUB_PLANNER_CLIENT_SECRET "
            "(or PMO_HUB_PLANNER_CLIENT_CERT_KEY with [sources.planner] client_cert_thumbprint)"
        ]
    return []


def resolve_source_paths(values: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """Path settings made absolute against the config file's folder (URLs and booleans kept)."""

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value and not value.startswith(("http://", "https://")):
            p = Path(value)
            return str(p if p.is_absolute() else root / p)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    out = dict(values)
    for key in PATH_KEYS & set(out):
        if isinstance(out[key], bool):
            continue
        out[key] = resolve(out[key])
    return out


def missing_settings(system: str, values: Mapping[str, Any]) -> list[str]:
    """ "[sources.<system>] needs <key> (<what it is>)" for every required setting not given."""
    return [
        f"[sources.{system}] needs {f.name}" + (f" ({f.doc})" if f.doc else "")
        for f in source_fields(system).values()
        if f.required and values.get(f.name) in (None, "", [], ())
    ]


def source_settings(system: str, config: HubConfig) -> Any:
    """The connector's settings object for ``[sources.<system>]``; ConfigError names what is wrong."""
    values = resolve_source_paths(config.source(system), config.root)
    fields = source_fields(system)
    unknown = sorted(set(values) - set(fields) - {"enabled"})
    if unknown:
        raise ConfigError(
            f"unknown setting(s) in [sources.{system}]: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(fields))}"
        )
    missing = missing_settings(system, values)
    if missing:
        raise ConfigError("; ".join(missing))
    try:
        return settings_class(system)(**{k: v for k, v in values.items() if k in fields})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[sources.{system}] is invalid: {exc}") from None


def _pseudonymize(value: object, env: Mapping[str, str]) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"[warehouse] pseudonymize must be true or false, not {value!r}")
    if value and not env.get(PSEUDONYM_KEY_ENV, "").strip():
        raise ConfigError(
            "[warehouse] pseudonymize = true needs the pseudonym key: export "
            f"{PSEUDONYM_KEY_ENV} (a long random secret; keep it stable, pseudonyms change "
            "with it)"
        )
    return value


def check_config(config: HubConfig, construct: bool = True) -> None:
    """Name every missing setting and secret of the enabled sources and the warehouse.

    No network call: this runs before anything starts (``pmo-hub run`` and ``run --check``).
    With ``construct`` the connectors' settings objects are also built (their own validation;
    imports the connector packages, i.e. dlt); without, only the source of their fields is read.

    Raises:
        ConfigError: listing every problem found.
    """
    problems: list[str] = []
    if config.warehouse.target == "postgres" and not config.warehouse.postgres_url:
        problems.append(
            "warehouse.target is 'postgres' but no URL is set: export PMO_HUB_POSTGRES_URL"
        )
    for system in config.enabled:
        values = config.source(system)
        missing = missing_settings(system, values) + _missing_credentials(system, values)
        problems.extend(missing)
        if missing or not construct:
            continue  # constructing the settings would only repeat the same problems
        try:
            source_settings(system, config)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n  - ".join(["the configuration is incomplete:", *problems]))
