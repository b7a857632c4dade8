"""Every threshold of the RAG seed is read by some model: a key no model uses is a setting that
silently does nothing (issue 10: schedule_spi_green_min / amber_min were such keys)."""

from __future__ import annotations

import csv
import re

from pmo_dbt_helpers import DBT_PROJECT

SEED = DBT_PROJECT / "seeds" / "rag_rule_config.csv"
USE = re.compile(r"pmo_rag_param\(\s*['\"]([a-z0-9_]+)['\"]\s*\)")


def _seed_keys() -> set[str]:
    with SEED.open(encoding="utf-8") as handle:
        return {row["param_name"] for row in csv.DictReader(handle)}


def _used_keys() -> set[str]:
    used: set[str] = set()
    for path in (DBT_PROJECT / "models").rglob("*.sql"):
        used |= set(USE.findall(path.read_text(encoding="utf-8")))
    return used


def test_every_rag_seed_key_is_used_by_a_model() -> None:
    keys = _seed_keys()
    assert {"schedule_spi_green_min", "schedule_spi_amber_min"} <= keys
    unused = keys - _used_keys()
    assert not unused, f"rag_rule_config keys no model reads: {sorted(unused)}"


def test_every_rag_param_a_model_reads_is_in_the_seed() -> None:
    # The other direction: a typo in a model would read NULL and band every project wrongly.
    missing = _used_keys() - _seed_keys()
    assert not missing, f"models read RAG params the seed does not define: {sorted(missing)}"
