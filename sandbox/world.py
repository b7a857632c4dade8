"""The whole sandbox world: one seeded portfolio seen through every system, with a clock."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sandbox.portfolio import DEFAULT_NOW, Manifest, Portfolio, generate_portfolio


@dataclass
class World:
    portfolio: Portfolio
    jira: Any  # sandbox.jira.world.JiraWorld
    planner: Any  # sandbox.microsoft.world.PlannerWorld
    msproject: list[Any]  # sandbox.microsoft.msproject_world.MsProjectPlan
    ticks: int = 0
    written_to: list[Path] = field(default_factory=list)

    @classmethod
    def generate(cls, tier: str = "S", seed: int = 42, now=DEFAULT_NOW) -> World:
        from sandbox.jira.world import generate_jira
        from sandbox.microsoft.msproject_world import generate_msproject
        from sandbox.microsoft.world import generate_planner

        portfolio = generate_portfolio(tier, seed, now)
        return cls(
            portfolio=portfolio,
            jira=generate_jira(portfolio),
            planner=generate_planner(portfolio),
            msproject=generate_msproject(portfolio),
        )

    @property
    def manifest(self) -> Manifest:
        return self.portfolio.manifest

    @property
    def now(self):
        return self.portfolio.now

    def tick(self, days: int = 1, jira_drift: Sequence[Mapping[str, Any]] = ()) -> None:
        """Advance the clock: edit, create and delete records in every system.

        ``jira_drift``: custom-field changes for the Jira site, applied on the first day (see
        :meth:`sandbox.jira.world.JiraWorld.tick`).
        """
        from sandbox.microsoft.msproject_world import tick_msproject

        for day in range(days):
            self.ticks += 1
            self.portfolio.now = self.portfolio.now + timedelta(days=1)
            now = self.portfolio.now
            self.jira.tick(now, drift=jira_drift if day == 0 else ())
            self.planner.tick(now)
            tick_msproject(
                self.msproject,
                now,
                self.portfolio.rng(f"msproject-tick-{self.ticks}"),
                manifest=self.manifest,
            )
        for directory in self.written_to:
            self.write_files(directory, remember=False)

    def write_files(self, directory: Path, remember: bool = True) -> dict[str, list[Path]]:
        """Write the file-based sources (MSPDI plans, finance exports) and the manifest."""
        from sandbox.finance.files import write_finance_files
        from sandbox.microsoft.mspdi import write_msproject_files

        directory = Path(directory)
        plans_dir = directory / "msproject"
        finance_dir = directory / "finance"
        plans_dir.mkdir(parents=True, exist_ok=True)
        finance_dir.mkdir(parents=True, exist_ok=True)
        written = {
            "msproject": write_msproject_files(self.msproject, plans_dir),
            "finance": write_finance_files(self.portfolio, finance_dir),
        }
        (directory / "manifest.json").write_text(
            json.dumps(
                {
                    "tier": self.portfolio.tier,
                    "seed": self.portfolio.seed,
                    "now": self.portfolio.now.isoformat(),
                    **self.manifest.to_dict(),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        if remember and directory not in self.written_to:
            self.written_to.append(directory)
        return written
