"""enrollment-still-estimated: closed trials whose enrollment is still the planned count."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from conftest import valid_record

from audit.record import record_filename
from audit.rules import Context, enrollment_still_estimated
from audit.tables import build_tables

RULE = "enrollment-still-estimated"
CONTEXT = Context(date(2026, 11, 22), RULE, "warning")


def findings(*records: dict) -> list:
    tables = build_tables((record_filename(r), r) for r in records)
    return list(enrollment_still_estimated.check(tables, CONTEXT))


def closed(status: str = "COMPLETED", count: int | None = 24, kind: str | None = "ESTIMATED"):
    return valid_record(
        "NCT00739778",
        "ctgov-xml",
        overall_status=status,
        enrollment={"count": count, "type": kind},
        completion_date={"date": "2008-12", "type": "ACTUAL"},
    )


def test_real_completed_trial_with_anticipated_enrollment():
    # NCT00739778 (TREC 2022 sample): Completed, completion December 2008 (Actual),
    # <enrollment type="Anticipated">24</enrollment>.
    [found] = findings(closed())
    assert (found.key, found.field, found.severity) == ("closed", "enrollment_type", "warning")
    assert found.message == (
        "status COMPLETED but enrollment 24 is still ESTIMATED (the planned size): a closed "
        "trial knows how many it enrolled"
    )
    assert found.evidence == {
        "overall_status": "COMPLETED",
        "enrollment_count": 24,
        "enrollment_type": "ESTIMATED",
        "completion_date": "2008-12",
        "completion_date_type": "ACTUAL",
    }


def test_terminated_trials_and_counts_left_out_are_reported_too():
    assert [f.key for f in findings(closed("TERMINATED"))] == ["closed"]
    [found] = findings(closed(count=None))
    assert found.message.startswith("status COMPLETED but enrollment is still ESTIMATED")


def test_withdrawn_trial_still_planning_participants():
    # NCT00460837 (AllPublicXML 2023-02): Withdrawn, <enrollment type="Anticipated">150.
    [found] = findings(closed("WITHDRAWN", 150))
    assert (found.key, found.field) == ("withdrawn", "enrollment_type")
    assert found.message == (
        "status WITHDRAWN but enrollment 150 is still ESTIMATED (the planned size): a "
        "withdrawn trial enrolled no one (ACTUAL 0)"
    )


@pytest.mark.parametrize(
    ("status", "count", "kind"),
    [
        ("WITHDRAWN", 0, "ESTIMATED"),  # an estimated 0 already says "no one"
        ("WITHDRAWN", None, "ESTIMATED"),
        ("SUSPENDED", 40, "ESTIMATED"),  # may resume
        ("RECRUITING", 40, "ESTIMATED"),
        ("ACTIVE_NOT_RECRUITING", 40, "ESTIMATED"),
        ("COMPLETED", 40, "ACTUAL"),
        ("COMPLETED", 40, None),  # no type (classic exports, CSV downloads)
        (None, 40, "ESTIMATED"),
    ],
)
def test_what_is_not_a_defect(status, count, kind):
    assert findings(closed(status, count, kind)) == []


def test_ictrp_target_size_is_the_planned_size_by_definition():
    row = valid_record(
        "ChiCTR2000099901",
        "ictrp",
        overall_status="COMPLETED",
        enrollment={"count": 180, "type": "ESTIMATED"},
    )
    assert findings(row) == []


def test_docstring_is_curator_documentation():
    doc = enrollment_still_estimated.__doc__
    for part in ("What it detects:", "Why it matters:", "How to fix:", "Example:", "WITHDRAWN"):
        assert part in doc


@pytest.mark.shared
def test_real_corpus_counts(real_tables):
    found = list(enrollment_still_estimated.check(real_tables, CONTEXT))
    # Every one was read against its source file: the status is Completed, Terminated or
    # Withdrawn and the enrollment "Anticipated" (XML) or ESTIMATED (API).
    assert Counter((f.key, f.evidence["overall_status"]) for f in found) == {
        ("closed", "COMPLETED"): 91,
        ("closed", "TERMINATED"): 20,
        ("withdrawn", "WITHDRAWN"): 2,
    }
    by_source = Counter(s for f in found for s in f.sources)
    assert by_source == {"ctgov-xml": 107, "ctgov-api": 6}
