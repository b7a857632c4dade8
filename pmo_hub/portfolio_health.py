"""The portfolio's RAG distribution, for the run summary (`marts.mart_portfolio_health`).

`rag_distribution(config)` counts projects per computed RAG (Green, Amber, Red, Grey);
`format_rag_distribution` renders it as one summary line, e.g.
``computed RAG: 21 Green, 18 Amber, 6 Red, 5 Grey (50 projects)``.
"""

from __future__ import annotations

from pmo_hub.config import HubConfig
from pmo_hub.warehouse import query, table_exists

RAG_ORDER = ("Green", "Amber", "Red", "Grey")


def rag_distribution(config: HubConfig) -> dict[str, int]:
    """Projects per computed RAG; every RAG present as a key (0 when none), {} before a build."""
    if not table_exists(config, "marts", "mart_portfolio_health"):
        return {}
    counts = dict(
        query(
            config,
            "select computed_rag, count(*) from marts.mart_portfolio_health group by computed_rag",
        )
    )
    return {rag: int(counts.get(rag, 0)) for rag in RAG_ORDER} | {
        str(rag): int(n) for rag, n in counts.items() if rag not in RAG_ORDER
    }


def format_rag_distribution(distribution: dict[str, int]) -> str:
    """One line for the run summary; explains itself when the mart is not built yet."""
    if not distribution:
        return "computed RAG: marts.mart_portfolio_health not built yet"
    parts = ", ".join(f"{n} {rag}" for rag, n in distribution.items())
    return f"computed RAG: {parts} ({sum(distribution.values())} projects)"
