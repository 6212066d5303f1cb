"""old-capture: one finding per source whose copy is over two years old."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import valid_record

from audit.record import record_filename
from audit.rules import Context, old_capture
from audit.tables import build_tables

RULE = "old-capture"
AS_OF = date(2026, 11, 22)


def findings_in(tables) -> list:
    return list(old_capture.check(tables, Context(AS_OF, RULE, "info")))


def findings(*records: dict) -> list:
    return findings_in(build_tables((record_filename(r), r) for r in records))


def captured(trial_id: str, day: str | None, source: str = "ictrp") -> dict:
    return valid_record(trial_id, source=source, captured=day)


def test_an_old_export_is_one_finding_for_all_its_records():
    # The ICTRP export of 2020-07-07, audited in 2026: one action (re-capture), one finding.
    found = findings(*(captured(f"ChiCTR200003{i:04d}", "2020-07-07") for i in range(40)))
    assert len(found) == 1
    (item,) = found
    assert item.sources == ("ictrp",) and item.key == "ictrp" and item.severity == "info"
    assert item.evidence["records"] == 40
    assert item.evidence["oldest_capture"] == item.evidence["newest_capture"] == "2020-07-07"
    assert len(item.record_files) == old_capture.SHOWN
    assert "40 ictrp records" in item.message and "6 years 4 months old" in item.message


def test_each_source_is_judged_on_its_own_and_the_span_is_named():
    found = findings(
        captured("NCT04000001", "2023-11-06", "ctgov-api"),
        captured("NCT04000002", "2024-06-06", "ctgov-api"),
        captured("NCT04000003", "2020-07-09", "ctgov-classic"),
    )
    by_source = {f.key: f for f in found}
    assert sorted(by_source) == ["ctgov-api", "ctgov-classic"]
    assert "(2023-11-06 to 2024-06-06)" in by_source["ctgov-api"].message
    assert by_source["ctgov-api"].evidence["records"] == 2


def test_recent_or_undated_copies_are_not_reported():
    # Two years to the day is not over two years; a record without a capture date is not
    # judged (a single API page gives none).
    assert (
        findings(
            captured("NCT04000001", "2024-11-22", "ctgov-api"),
            captured("NCT04000002", "2026-01-10", "ctgov-api"),
            captured("NCT04000003", None, "ctgov-api"),
        )
        == []
    )


def test_the_fingerprint_survives_new_records_of_the_same_source():
    one = findings(captured("ChiCTR2000030001", "2020-07-07"))
    two = findings(captured("ChiCTR2000030001", "2020-07-07"), captured("IRCT1", "2020-07-07"))
    assert one[0].fingerprint == two[0].fingerprint


@pytest.mark.shared
def test_real_corpus(real_tables):
    """The real corpus: the API studies whose data version (versionHolder) is over two years
    old (website exports and AACT fixtures, 2023-11 to 2024-06), the legacy XML (processed
    2017-10 to 2023-05) and the ICTRP export of 2020-07-07 are old copies."""
    found = {f.key: f.evidence for f in findings_in(real_tables)}
    assert {
        k: (e["records"], e["oldest_capture"], e["newest_capture"]) for k, e in found.items()
    } == {
        "ctgov-api": (212, "2023-11-06", "2024-06-14"),
        "ctgov-xml": (1159, "2017-10-20", "2023-05-09"),
        "ictrp": (4098, "2020-07-07", "2020-07-07"),
    }
