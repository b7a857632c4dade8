"""The project configuration: one TOML file for settings, environment variables for every secret.

Read at run time only (``load_config``), never at import time. A missing or invalid setting raises
:class:`ConfigError` naming the setting and where to set it; secret values never appear in errors.
"""

from __future__ import annotations

import os
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
        else:
            env.update(postgres_env(self.require_postgres_url()))
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
    )
    if "postgres_url" in wh:
        raise ConfigError(
            "warehouse.postgres_url must not be in the config file (it holds a password): "
            "export PMO_HUB_POSTGRES_URL instead"
        )

    sources: dict[str, dict[str, Any]] = {}
    for name, values in raw.get("sources", {}).items():
        if name not in SOURCE_NAMES:
            raise ConfigError(f"unknown source [sources.{name}]; known: {', '.join(SOURCE_NAMES)}")
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
