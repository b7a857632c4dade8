"""mart_schedule_quality against an independent reading of real MSPDI files (MPXJ's corpus).

Four files of ../shared/corpora/mpxj are loaded through the MS Project connector into a temp
DuckDB, dbt builds mart_schedule_quality (MS Project only), and every plan x check is compared
with ``sandbox.microsoft.dcma.assess`` over the same XML: population, offending task UIDs, measured value
and pass/fail. The hand-checked figures of these files are written down in
``connectors/msproject/README.md`` (*Schedule quality*) and asserted in
``test_figures_written_down_in_the_readme``.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sandbox.microsoft.dcma import assess

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))

from pmo_dbt_helpers import DbtRun, base_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("PMO_HUB_MPXJ_CORPUS", ROOT.parent / "shared" / "corpora" / "mpxj"))
FILES = (
    "generated/task-links/task-links-project2016-mspdi.xml",
    "mspdirelations.xml",
    "generated/task-baselines/task-baselines-project2016-mspdi.xml",
    "generated/task-durations/task-durations-project2016-mspdi.xml",
)
AS_OF = date(2016, 2, 1)  # no corpus file has a status date: the as-of date stands in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from connectors.msproject.settings import MsProjectSettings
    from pipelines.destinations import make_destination
    from pipelines.msproject_pipeline import load

    if not CORPUS.is_dir():
        pytest.fail(f"MPXJ corpus not found at {CORPUS}; set PMO_HUB_MPXJ_CORPUS")
    work = tmp_path_factory.mktemp("dcma_corpus")
    plans = work / "plans"
    plans.mkdir()
    for name in FILES:
        shutil.copy(CORPUS / name, plans / Path(name).name)
    db = work / "w.duckdb"
    load(
        MsProjectSettings(folders=(plans,)),
        make_destination("duckdb", duckdb_path=str(db)),
        work / "dlt",
    )
    dbt = DbtRun(
        work,
        base_env(PMO_HUB_DBT_TARGET="duckdb", PMO_HUB_DUCKDB_PATH=str(db)),
        {"as_of_date": AS_OF.isoformat(), "enabled_sources": ["msproject"]},
    )
    dbt("seed", "--select", "dcma_check_config")
    dbt("run", "--select", "+mart_schedule_quality")
    dbt("test", "--select", "mart_schedule_quality", "dcma_check_config")
    return db, plans


def _mart(db: Path) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select file_name, check_id, population_count, failing_count, offending_task_uids,"
            " measured_value, is_pass from marts.mart_schedule_quality"
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_every_check_matches_the_xml_read_independently(built) -> None:
    db, plans = built
    mart = _mart(db)
    assert len(mart) == 14 * len(FILES)
    for name in FILES:
        file_name = Path(name).name
        for check_id, ref in assess(plans / file_name, AS_OF).items():
            population, failing, uids, measured, is_pass = mart[(file_name, check_id)]
            where = f"{file_name} {check_id}"
            if check_id != "DCMA-13":
                assert population == ref.population, where
                assert failing == len(ref.offending), where
                assert (uids or "") == ",".join(map(str, ref.offending)), where
            if ref.measured is None:
                assert measured is None, where
            else:
                assert float(measured) == pytest.approx(ref.measured, abs=1e-4), where
            assert is_pass == ref.is_pass, where


def test_figures_written_down_in_the_readme(built) -> None:
    db, _ = built
    mart = _mart(db)
    # Counted by hand from the XML (see connectors/msproject/README.md, Schedule quality).
    links = mart[("task-links-project2016-mspdi.xml", "DCMA-04")]
    # 8 links into incomplete tasks: 5 FS, 1 SF, 1 SS, 1 FF -> FS share 0.625 < 0.90, fails.
    assert links[:2] == (8, 3) and float(links[3]) == 0.625 and links[4] is False
    # 7 of the 8 carry a positive lag (LinkLag 4800..48000 tenths of a minute = 1..10 days).
    lags = mart[("task-links-project2016-mspdi.xml", "DCMA-03")]
    assert lags[:2] == (8, 7) and lags[4] is False
    assert links[2] == "12,14,16"
    # mspdirelations.xml: logic 2 of 5 (UIDs 1, 5), 3 of 4 links not FS, all 5 tasks dated 2006.
    rel = "mspdirelations.xml"
    assert mart[(rel, "DCMA-01")][:3] == (5, 2, "1,5")
    assert mart[(rel, "DCMA-04")][:3] == (4, 3, "3,4,5")
    assert mart[(rel, "DCMA-09")][:2] == (5, 5)
    # task-baselines: two tasks baselined to finish by 2016-02-01, neither finished.
    base = "task-baselines-project2016-mspdi.xml"
    assert mart[(base, "DCMA-11")][:3] == (2, 2, "23,67")
    assert float(mart[(base, "DCMA-14")][3]) == 0.0
    # task-durations: 110 one-day tasks, none long, none resourced, no critical task.
    dur = "task-durations-project2016-mspdi.xml"
    assert mart[(dur, "DCMA-08")][:2] == (110, 0) and mart[(dur, "DCMA-08")][4] is True
    assert mart[(dur, "DCMA-10")][:2] == (110, 110) and mart[(dur, "DCMA-10")][4] is False
    assert mart[(dur, "DCMA-12")][4] is False
