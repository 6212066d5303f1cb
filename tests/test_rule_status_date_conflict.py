"""status-date-conflict: active statuses contradicted by ACTUAL dates."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import valid_record

from audit.record import record_filename
from audit.rules import Context, stale_estimated_date, status_date_conflict
from audit.tables import build_tables

RULE = "status-date-conflict"
AS_OF = date(2026, 11, 22)


def tables_of(*records: dict):
    return build_tables((record_filename(r), r) for r in records)


def findings(*records: dict) -> list:
    return list(status_date_conflict.check(tables_of(*records), Context(AS_OF, RULE, "warning")))


def dated(day: str | None, kind: str | None = "ACTUAL") -> dict:
    return {"date": day, "type": kind}


def trial(status: str, **dates: dict) -> dict:
    dates.setdefault("start_date", dated("2021-01-01"))
    dates.setdefault("primary_completion_date", dated("2027-01", "ESTIMATED"))
    dates.setdefault("completion_date", dated("2027-06", "ESTIMATED"))
    return valid_record("NCT04949152", overall_status=status, **dates)


def test_real_recruiting_trial_with_an_actual_primary_completion():
    # NCT04949152 (diabetes website export, captured 2024-06-06): RECRUITING, primary
    # completion 2021-05-31 (ACTUAL), completion 2026-05-31 (ESTIMATED).
    record = trial(
        "RECRUITING",
        primary_completion_date=dated("2021-05-31"),
        completion_date=dated("2026-05-31", "ESTIMATED"),
        captured="2024-06-06",
    )
    [found] = findings(record)
    assert (found.key, found.field, found.severity) == ("actual-date", "overall_status", "warning")
    assert found.message == (
        "status RECRUITING, but the primary completion date 2021-05-31 is ACTUAL (the last "
        "participant was examined for the primary outcome)"
    )
    assert found.evidence == {
        "overall_status": "RECRUITING",
        "actual_dates": {"primary_completion_date": "2021-05-31"},
        "captured": "2024-06-06",
        "judged_at": "2024-06-06",
    }


def test_every_contradicting_date_in_one_finding():
    record = trial(
        "NOT_YET_RECRUITING",
        start_date=dated("2020-02"),
        primary_completion_date=dated("2020-10"),
        completion_date=dated("2021-01"),
    )
    [found] = findings(record)
    assert found.message == (
        "status NOT_YET_RECRUITING, but the start date 2020-02 is ACTUAL (the first "
        "participant was enrolled); the primary completion date 2020-10 is ACTUAL (the last "
        "participant was examined for the primary outcome); the completion date 2021-01 is "
        "ACTUAL (the study has ended)"
    )
    assert list(found.evidence["actual_dates"]) == [
        "start_date",
        "primary_completion_date",
        "completion_date",
    ]


@pytest.mark.parametrize(
    ("status", "field"),
    [
        ("ENROLLING_BY_INVITATION", "primary_completion_date"),
        ("ENROLLING_BY_INVITATION", "completion_date"),
        ("RECRUITING", "completion_date"),
        ("ACTIVE_NOT_RECRUITING", "completion_date"),
    ],
)
def test_contradictions(status, field):
    [found] = findings(trial(status, **{field: dated("2024-03")}))
    assert list(found.evidence["actual_dates"]) == [field]


@pytest.mark.parametrize(
    ("status", "field"),
    [
        ("ACTIVE_NOT_RECRUITING", "primary_completion_date"),  # follow-up goes on after it
        ("RECRUITING", "start_date"),
        ("ENROLLING_BY_INVITATION", "start_date"),
        ("ACTIVE_NOT_RECRUITING", "start_date"),
        ("COMPLETED", "completion_date"),
        ("TERMINATED", "primary_completion_date"),
        ("UNKNOWN", "completion_date"),
    ],
)
def test_actual_dates_the_status_allows(status, field):
    assert findings(trial(status, **{field: dated("2024-03")})) == []


def test_dates_without_a_type_or_estimated_are_not_judged():
    # Classic exports and ICTRP give no date types: the date may be an estimate.
    assert findings(trial("RECRUITING", completion_date=dated("2021-01", None))) == []
    assert findings(trial("RECRUITING", completion_date=dated("2021-01", "ESTIMATED"))) == []


def test_an_actual_date_after_the_capture_is_the_other_rule_s_error():
    # Impossible rather than contradicting: stale-estimated-date reports it (one fact, one
    # finding). Judged at the capture date, not at the audit date.
    record = trial("RECRUITING", completion_date=dated("2024-03"), captured="2024-01-10")
    assert findings(record) == []
    other = stale_estimated_date.check(tables_of(record), Context(AS_OF, "x", "warning"))
    assert [f.key for f in other] == ["actual-in-future"]
    assert findings(trial("RECRUITING", completion_date=dated("2027-03"))) == []


def test_docstring_is_curator_documentation():
    doc = status_date_conflict.__doc__
    for part in ("What it detects:", "Why it matters:", "How to fix:", "Example:"):
        assert part in doc


@pytest.mark.shared
def test_real_corpus(real_tables):
    found = list(status_date_conflict.check(real_tables, Context(AS_OF, RULE, "warning")))
    assert [(f.trial_ids, f.evidence["actual_dates"]) for f in found] == [
        (("NCT04949152",), {"primary_completion_date": "2021-05-31"})
    ]
