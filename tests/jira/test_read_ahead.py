"""Search pages are read one page ahead: the next download overlaps the rows of this one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from connectors.jira import _read_ahead


def _pages(log: list[str], n: int, fail_at: int | None = None) -> Iterator[list[int]]:
    for i in range(n):
        log.append(f"fetch {i} in {threading.current_thread().name}")
        if i == fail_at:
            raise RuntimeError(f"page {i} failed")
        yield [i]


def test_pages_arrive_in_order_and_the_next_is_fetched_before_this_one_is_used() -> None:
    log: list[str] = []
    seen = []
    for page in _read_ahead(_pages(log, 4), enabled=True):
        # While page k is still being processed here, page k + 1 gets fetched.
        wanted = min(page[0] + 2, 4)
        deadline = time.monotonic() + 5
        while len(log) < wanted and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(log) == wanted
        seen.append(page[0])
    assert seen == [0, 1, 2, 3]
    assert all("jira-search" in line for line in log), log


def test_a_failing_page_raises_in_the_consumer() -> None:
    log: list[str] = []
    got = []
    with pytest.raises(RuntimeError, match="page 2 failed"):
        for page in _read_ahead(_pages(log, 5, fail_at=2), enabled=True):
            got.append(page[0])
    assert got == [0, 1]


def test_disabled_reads_inline() -> None:
    log: list[str] = []
    assert [p[0] for p in _read_ahead(_pages(log, 3), enabled=False)] == [0, 1, 2]
    assert not any("jira-search" in line for line in log)
