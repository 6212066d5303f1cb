"""GX in a second process (``audit.validate.gx_process``): the same outcomes as in this
process, the jobs run here when the process is gone, a bad suite's error comes through, and a
run from a kept state uses it and leaves no process behind."""

from __future__ import annotations

import copy
import multiprocessing
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, edit, valid_record, write_records

import audit.engine
from audit.corpus import load_corpus
from audit.engine import findings_json, run_audit
from audit.validate import expectations
from audit.validate.expectations import SuiteError, load_suites, suite_jobs, validate_batches
from audit.validate.gx_process import GxProcess

AS_OF = date(2026, 11, 22)


def batches(folder: Path, suites: dict) -> list[list[expectations.Job]]:
    records = write_records(
        folder,
        {
            f"NCT{n:08d}.ctgov-api.json": valid_record(
                f"NCT{n:08d}", enrollment={"count": n * 2_000_000, "type": "ACTUAL"}
            )
            for n in range(3)
        },
    )
    tables = load_corpus(records).tables
    present = expectations._present(tables, suites)
    return [suite_jobs(tables, suites, present, lambda config: True)]


def without_ids(outcomes: list[dict]) -> list[dict]:
    """Outcomes less the ids GX gives each expectation it is handed (new every time)."""
    plain = copy.deepcopy(outcomes)
    for batch in plain:
        for outcome in batch.values():
            outcome["config"].pop("id", None)
    return plain


@pytest.fixture
def gx():
    process = GxProcess()
    yield process
    process.close()


def test_the_process_validates_as_this_one_does(tmp_path, gx):
    jobs = batches(tmp_path / "records", load_suites(ROOT / "expectations"))
    here = validate_batches(jobs)
    assert any(not o["success"] for o in here[0].values()), (
        "an enrollment over a million should fail a suite"
    )
    assert without_ids(gx.submit(jobs)()) == without_ids(here)


def test_jobs_run_here_when_the_process_is_gone(tmp_path, gx):
    jobs = batches(tmp_path / "records", load_suites(ROOT / "expectations"))
    gx._process.kill()
    gx._process.join()
    assert without_ids(gx.submit(jobs)()) == without_ids(validate_batches(jobs))


def test_a_bad_suite_raises_its_error_through_the_process(tmp_path, gx):
    suites = load_suites(ROOT / "expectations")
    suites["studies"]["expectations"][1]["type"] = "expect_column_values_to_be_purple"
    jobs = batches(tmp_path / "records", suites)
    with pytest.raises(SuiteError, match=r"expectations/studies\.json"):
        gx.submit(jobs)()


def test_a_run_from_a_kept_state_validates_there_and_leaves_no_process(tmp_path, monkeypatch):
    records = write_records(
        tmp_path / "records",
        {f"NCT{n:08d}.ctgov-api.json": valid_record(f"NCT{n:08d}") for n in range(3)},
    )
    cache = tmp_path / "cache"
    sent: list[int] = []

    class Counted(GxProcess):
        def submit(self, jobs):
            sent.append(len(jobs))
            return super().submit(jobs)

    monkeypatch.setattr(audit.engine, "GxProcess", Counted)
    run_audit(records, ROOT / "expectations", AS_OF, cache)
    assert sent == []  # a cold run validates in full, here
    edit(
        records / "NCT00000001.ctgov-api.json",
        lambda r: r.update(enrollment={"count": 2_000_000, "type": "ACTUAL"}),
    )
    warm = run_audit(records, ROOT / "expectations", AS_OF, cache)
    assert sent == [3]  # the whole-table expectations, the changed rows now and before
    assert findings_json(warm) == findings_json(run_audit(records, ROOT / "expectations", AS_OF))
    assert multiprocessing.active_children() == []
