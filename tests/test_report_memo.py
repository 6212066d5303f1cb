"""The reports of a run over a cache (``audit.report.memo``): what they computed from record
files is kept for the next run, which reads again only the records a change reaches and
resolves again only the persons it reaches; its reports equal a cold run's byte for byte."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, edit, synthetic_records

from audit import people
from audit.engine import AuditResult, run_audit
from audit.record import contact
from audit.report import persons, sarif, write_reports

AS_OF = date(2026, 11, 22)
REPORTS = ("index.html", "findings.sarif", "junit.xml", "summary.md")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return synthetic_records(tmp_path_factory.mktemp("synth"), 300, seed=5)


def reports(records: Path, cache: Path | None) -> dict[str, str]:
    """Audit and write every report (always into one folder, so they name the same paths)."""
    result = run_audit(records, ROOT / "expectations", AS_OF, cache)
    out = records.parent / "reports"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    write_reports(result, out)
    return {name: (out / name).read_text(encoding="utf-8") for name in REPORTS}


def with_people(records: Path) -> list[Path]:
    return [p for p in sorted(records.glob("*.json")) if json.loads(p.read_text())["people"]]


def _misspell(records: Path) -> None:
    """A person written with one letter changed in another record: two persons merge."""
    first, second = with_people(records)[:2]
    person = json.loads(first.read_text())["people"][0]
    last = "e" if person["name"].endswith("a") else "a"
    edit(second, lambda r: r["people"].append(dict(person, name=person["name"][:-1] + last)))


def _nameless(records: Path) -> None:
    """A contact without a name, given the address of a named person of another record:
    it joins that person."""
    first, second = with_people(records)[3:5]
    address = json.loads(first.read_text())["people"][0].get("email") or "x@example.org"
    nobody = contact(None, "CENTRAL_CONTACT", email=address, phone="+1 555 0100")
    edit(second, lambda r: r["people"].append(nobody))


def _split(records: Path) -> None:
    """A person's entries removed from one record: a person may split or vanish."""
    for path in with_people(records)[6:9]:
        edit(path, lambda r: r.update(people=r["people"][1:]))


def _records(records: Path) -> None:
    files = sorted(records.glob("*.json"))
    edit(files[3], lambda r: r.update(title=r["title"] + " (edited)"))
    edit(files[10], lambda r: r["enrollment"].update(count=-5))
    files[30].unlink()
    shutil.copy(files[40], records / "NCT99999999.ctgov-api.json")
    edit(records / "NCT99999999.ctgov-api.json", lambda r: r.update(trial_id="NCT99999999"))
    edit(files[50], lambda r: r.update(trial_id="NCT99999998"))


CHANGES = {"misspelling": _misspell, "nameless": _nameless, "split": _split, "records": _records}


@pytest.mark.parametrize("change", list(CHANGES))
def test_warm_reports_equal_cold_reports(records, tmp_path, change):
    cache = tmp_path / "cache"
    reports(records, cache)
    CHANGES[change](records)
    warm = reports(records, cache)
    assert warm == reports(records, None)


def test_a_second_warm_run_starts_from_the_first(records, tmp_path):
    cache = tmp_path / "cache"
    reports(records, cache)
    _misspell(records)
    reports(records, cache)
    _records(records)
    _split(records)
    assert reports(records, cache) == reports(records, None)
    assert len(list(cache.glob("report-*.json"))) == 1  # the previous states' are removed


def test_warm_reports_read_and_resolve_only_what_the_change_reaches(records, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    reports(records, cache)
    files = sorted(records.glob("*.json"))
    changed = files[3]
    edit(changed, lambda r: r.update(title=r["title"] + " (edited)"))
    read: list[str] = []
    resolved: list[int] = []
    record, read_lines, everyone = AuditResult.record, sarif._read_lines, people.everyone

    def counted_record(self, name):
        read.append(name)
        return record(self, name)

    def counted_lines(folder, name):
        read.append(name)
        return read_lines(folder, name)

    def counted_everyone(tables):
        resolved.append(len(tables.people))
        return everyone(tables)

    monkeypatch.setattr(AuditResult, "record", counted_record)
    monkeypatch.setattr(sarif, "_read_lines", counted_lines)
    monkeypatch.setattr(people, "everyone", counted_everyone)
    warm = reports(records, cache)
    assert set(read) == {changed.name}
    total = len(run_audit(records, ROOT / "expectations", AS_OF).tables.people)
    assert resolved and all(size < total // 10 for size in resolved)
    monkeypatch.undo()
    assert warm == reports(records, None)


@pytest.mark.parametrize("margin", [-1, 0, 1])
def test_the_people_views_limit_is_kept_from_the_cache(records, tmp_path, monkeypatch, margin):
    """Past ``MAX_PEOPLE`` persons the view keeps those seen more than once; a warm run near
    the limit, on either side of it after the change, equals a cold run."""
    tables = run_audit(records, ROOT / "expectations", AS_OF).tables
    monkeypatch.setattr(persons, "MAX_PEOPLE", len(people.everyone(tables)) + margin)
    cache = tmp_path / "cache"
    reports(records, cache)
    _split(records)
    assert reports(records, cache) == reports(records, None)
