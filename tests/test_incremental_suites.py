"""The GX suites in an incremental run (``audit run --cache``) and the gate: row-by-row
expectations validated on the changed rows only, their whole-table counts kept in the cache;
the findings equal a cold run's, byte for byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import ROOT, edit, valid_record, write_records

from audit.engine import AuditResult, findings_json, run_audit
from audit.record import person, site

AS_OF = date(2026, 11, 22)


def audit(records: Path, cache: Path | None) -> AuditResult:
    return run_audit(records, ROOT / "expectations", AS_OF, cache)


def warm_equals_cold(records: Path, cache: Path) -> AuditResult:
    warm = audit(records, cache)
    assert not warm.problems
    assert findings_json(warm) == findings_json(audit(records, None))
    return warm


def of(result: AuditResult, rule: str) -> list[tuple[str, ...]]:
    return sorted(f.record_files for f in result.findings if f.rule == rule)


def corpus(folder: Path, countries: int = 20) -> Path:
    """Twenty trials of one site each; the first has no country (5%: sites' country must be
    stated in at least 90% of rows, so no finding yet)."""
    return write_records(
        folder,
        {
            f"NCT{n:08d}.ctgov-api.json": valid_record(
                f"NCT{n:08d}",
                sites=[site(f"Clinic {n}", "Town", None, None, None if n == 0 else "France")],
                people=[person(f"Ann Smith{n}", "PRINCIPAL_INVESTIGATOR", [], None, None, None)],
            )
            for n in range(countries)
        },
    )


def name(n: int) -> str:
    return f"NCT{n:08d}.ctgov-api.json"


def test_a_threshold_crossed_by_a_change_reports_unchanged_rows(tmp_path):
    records, cache = corpus(tmp_path / "records"), tmp_path / "cache"
    assert of(audit(records, cache), "missing-site-country") == []
    # Two more sites without a country: 3 of 20, under 90%: every such row is reported,
    # the unchanged first one too.
    for n in (5, 6):
        edit(records / name(n), lambda r: r["sites"][0].update(country=None))
    warm = warm_equals_cold(records, cache)
    assert warm.rechecked["gx"] == 2
    assert of(warm, "missing-site-country") == [(name(0),), (name(5),), (name(6),)]
    # One back: 2 of 20 is exactly 90%, no finding.
    edit(records / name(6), lambda r: r["sites"][0].update(country="Chad"))
    warm = warm_equals_cold(records, cache)
    assert warm.rechecked["gx"] == 1 and of(warm, "missing-site-country") == []


def test_row_expectations_on_changed_rows_and_whole_table_ones(tmp_path):
    records, cache = corpus(tmp_path / "records"), tmp_path / "cache"
    audit(records, cache)
    edit(records / name(3), lambda r: r["enrollment"].update(count=2_000_000))  # a row_condition
    edit(records / name(4), lambda r: r["people"][0].update(name=" Ann Smith4"))  # a regex
    edit(records / name(9), lambda r: r["people"][0].update(name="Ann Smith9 "))
    (records / name(7)).unlink()
    write_records(records, {"copy.json": valid_record(name(8)[:11])})  # trial and source twice
    warm = warm_equals_cold(records, cache)
    assert warm.rechecked["gx"] == 5
    assert of(warm, "implausible-enrollment") == [(name(3),)]
    assert of(warm, "untrimmed-name") == [(name(4),), (name(9),)]
    assert (name(8),) in of(warm, "duplicate-record") or ("copy.json",) in of(
        warm, "duplicate-record"
    )
    # One name trimmed: only the other is still reported.
    edit(records / name(4), lambda r: r["people"][0].update(name="Ann Smith4"))
    assert of(warm_equals_cold(records, cache), "untrimmed-name") == [(name(9),)]
    # Undone: the findings go, the counts follow.
    edit(records / name(3), lambda r: r["enrollment"].update(count=40))
    edit(records / name(9), lambda r: r["people"][0].update(name="Ann Smith9"))
    (records / "copy.json").unlink()
    warm = warm_equals_cold(records, cache)
    assert not of(warm, "implausible-enrollment") and not of(warm, "untrimmed-name")


def test_a_new_source_in_a_table_validates_in_full(tmp_path):
    """Which rows a completeness expectation counts depends on the sources present."""
    records, cache = corpus(tmp_path / "records"), tmp_path / "cache"
    audit(records, cache)
    write_records(records, {"ISRCTN12345678.ictrp.json": valid_record("ISRCTN12345678", "ictrp")})
    assert warm_equals_cold(records, cache).rechecked["gx"] is None
    edit(records / name(2), lambda r: r.update(title="Another title"))
    assert warm_equals_cold(records, cache).rechecked["gx"] == 1
