"""Progress of long steps (pages, files, rows), reported by connectors and shown by the CLI.

Connectors call :func:`report` as often as they like; nothing is printed unless a console is
attached (``pmo-hub run`` / ``demo`` attach :class:`ThrottledProgressHandler`), and then at most
one line per source every few seconds. The messages go through the standard ``logging`` tree
under ``pmo_hub.progress.<system>``, so a connector imports nothing but this module.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

PROGRESS_LOGGER = "pmo_hub.progress"


def report(system: str, message: str, *, always: bool = False) -> None:
    """One progress message of ``system`` (e.g. "project PMO: 1,200 issues read").

    ``always`` marks a line that must not be thinned out (a step's closing summary).
    """
    logging.getLogger(f"{PROGRESS_LOGGER}.{system}").info(message, extra={"always": always})


class ThrottledProgressHandler(logging.Handler):
    """Prints at most one progress line per source every ``interval`` seconds.

    Messages between two printed lines are dropped, not queued: a line says where the step is
    now, so only the latest one matters.
    """

    def __init__(self, interval: float = 3.0, stream: TextIO | None = None) -> None:
        super().__init__(level=logging.INFO)
        self.interval = interval
        # Bound now: a step may redirect sys.stdout (dbt's output goes to a file) meanwhile.
        self.stream = stream or sys.stdout
        self._last: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        system = record.name.removeprefix(PROGRESS_LOGGER).strip(".") or "progress"
        now = time.monotonic()
        always = getattr(record, "always", False)
        if not always and now - self._last.get(system, -self.interval) < self.interval:
            return
        self._last[system] = now
        try:
            self.stream.write(f"   [{system}] {record.getMessage()}\n")
            self.stream.flush()
        except (
            OSError,
            ValueError,
        ):  # console gone (closed pipe): a progress line never fails a sync
            pass


def attach_console(interval: float = 3.0) -> ThrottledProgressHandler:
    """Show progress on stdout (idempotent: one handler however often it is called)."""
    logger = logging.getLogger(PROGRESS_LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in logger.handlers:
        if isinstance(handler, ThrottledProgressHandler):
            handler.stream = sys.stdout  # this run's console (tests swap sys.stdout per test)
            return handler
    handler = ThrottledProgressHandler(interval)
    logger.addHandler(handler)
    return handler
