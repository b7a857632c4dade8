"""Conformance with MPXJ over a public corpus of real MS Project files (Project 98-2021).

Every file of ``../shared/corpora/mpxj`` (137 MSPDI + 297 ``.mpp``; override with
``PMO_HUB_MPXJ_CORPUS``) goes through the connector's reader and through MPXJ, and tasks,
baselines, assignments, links, resources, calendars (working hours per day) and timephased actual
work per day are compared, counts and values. A difference fails the test unless
``conformance_known_differences.toml`` lists it with a reason. The whole corpus is ``slow``
(``make test-all``, ~2 min); a sample of 10 files covering the same features runs by default.
One JVM per test process (JPype can start only one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.msproject.mpxj_reference import (
    Counts,
    Difference,
    KnownDifference,
    compare_file,
    corpus_dir,
    corpus_files,
    load_known_differences,
    require_corpus,
)

# Blank rows, timephased actuals (MSPDI and .mpp), calendars with exceptions, baselines 0-10,
# links, availability, and the file with the listed timephased/calendar differences.
SAMPLE = (
    "mspdinulltasks.xml",
    "mpp12nulltasks.mpp",
    "mspditimephasedsegments.xml",
    "timephased-actual-work-resource.mpp",
    "mspdiassignmentfields.xml",
    "mspdiavailability.xml",
    "generated/calendar-recurring-exceptions/calendar-recurring-exceptions-project2016-mspdi.xml",
    "generated/task-baselines/task-baselines-project2016-mspdi.xml",
    "generated/task-baselines/task-baselines-project2016-mpp14.mpp",
    "generated/task-links/task-links-project2010-mpp14.mpp",
)


@pytest.fixture(scope="module")
def corpus() -> Path:
    return require_corpus()


def _run(files: list[Path], root: Path) -> tuple[list[Difference], list[KnownDifference], Counts]:
    known = load_known_differences()
    counts = Counts()
    unexplained: list[Difference] = []
    for path in files:
        differences, file_counts = compare_file(path, root)
        counts.add(file_counts)
        for difference in differences:
            matches = [k for k in known if k.matches(difference)]
            for k in matches:
                k.matched += 1
            if not matches:
                unexplained.append(difference)
    return unexplained, known, counts


def _report(unexplained: list[Difference], counts: Counts) -> str:
    shown = "\n".join(f"  - {d}" for d in unexplained[:50])
    more = f"\n  ... and {len(unexplained) - 50} more" if len(unexplained) > 50 else ""
    return (
        f"{len(unexplained)} difference(s) from MPXJ not listed in "
        f"conformance_known_differences.toml ({counts.summary()}):\n{shown}{more}"
    )


def test_sample_of_the_corpus_matches_mpxj(corpus: Path) -> None:
    files = [corpus / name for name in SAMPLE]
    missing = [str(f) for f in files if not f.is_file()]
    assert not missing, f"sample files missing from the corpus: {missing}"
    unexplained, _, counts = _run(files, corpus)
    assert not unexplained, _report(unexplained, counts)
    # Each compared feature really was exercised (a sample that compares nothing proves nothing).
    for table in ("tasks", "task baselines", "links", "resources", "assignments", "calendar days"):
        assert counts.values[table] > 0, f"the sample compared no {table}"
    assert counts.values["timephased days"] >= 20, counts.summary()


@pytest.mark.slow
def test_whole_corpus_matches_mpxj(corpus: Path) -> None:
    files = corpus_files(corpus)
    unexplained, known, counts = _run(files, corpus)
    print(f"\nMPXJ conformance: {counts.summary()}")  # noqa: T201  (the closing note's figures)
    assert not unexplained, _report(unexplained, counts)
    stale = [k for k in known if k.matched == 0]
    assert not stale, "listed differences that no longer occur (remove them): " + "; ".join(
        f"{k.files} {k.table}.{k.field}" for k in stale
    )
    assert counts.files == len(files) and counts.mspdi_files > 100 and counts.mpp_files > 250


def test_missing_corpus_fails_with_where_to_put_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PMO_HUB_MPXJ_CORPUS", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.fail.Exception) as failed:
        require_corpus()
    message = str(failed.value)
    assert str((tmp_path / "nowhere").resolve()) in message
    assert "PMO_HUB_MPXJ_CORPUS" in message and "../shared/corpora" in message
    (tmp_path / "nowhere").mkdir()  # an empty folder is no corpus either
    with pytest.raises(pytest.fail.Exception):
        require_corpus()


def test_corpus_defaults_to_shared_corpora_next_to_the_repo(monkeypatch) -> None:
    monkeypatch.delenv("PMO_HUB_MPXJ_CORPUS", raising=False)
    repo = Path(__file__).resolve().parents[2]
    assert corpus_dir() == (repo / ".." / "shared" / "corpora" / "mpxj").resolve()
