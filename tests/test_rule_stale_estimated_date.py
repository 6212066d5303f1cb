"""stale-estimated-date: passed estimates, ACTUAL dates in the future, placeholder dates."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from conftest import valid_record

from audit.dates import age_text, months_before
from audit.record import record_filename
from audit.rules import Context, stale_active_status, stale_estimated_date, stale_unknown_status
from audit.tables import Tables, build_tables

RULE = "stale-estimated-date"
AS_OF = date(2026, 11, 22)
NO_DATE = {"date": None, "type": None}


def tables_of(*records: dict) -> Tables:
    return build_tables((record_filename(r), r) for r in records)


def findings(*records: dict, as_of: date = AS_OF) -> list:
    return list(stale_estimated_date.check(tables_of(*records), Context(as_of, RULE, "warning")))


def estimated(day: str) -> dict:
    return {"date": day, "type": "ESTIMATED"}


def test_estimated_start_years_ago_on_a_completed_trial():
    [found] = findings(valid_record(start_date=estimated("2023-09")))
    assert (found.key, found.field, found.severity) == ("estimate-passed", "start_date", "warning")
    assert found.message == (
        "start date 2023-09 is still ESTIMATED, 3 years 2 months later (status COMPLETED)"
    )
    assert found.evidence == {
        "date": "2023-09",
        "type": "ESTIMATED",
        "months_since": 38,
        "overall_status": "COMPLETED",
        "captured": None,
        "judged_at": "2026-11-22",
    }


def test_a_captured_record_is_judged_at_its_capture_date():
    # Stale when captured (2020-07-09): the registry's. Passed only since: our copy is old,
    # as every record of an old export is, and not reported record by record (such info
    # "recapture" findings were judged noise: tests/evaluation/findings/).
    record = valid_record(
        "NCT04999999",
        "ctgov-classic",
        overall_status="SUSPENDED",
        captured="2020-07-09",
        start_date=estimated("2019-03"),
        primary_completion_date=estimated("2020-12"),
        completion_date={"date": "2021-06", "type": None},
    )
    found = {f.field: f for f in findings(record)}
    assert {field: (f.key, f.severity) for field, f in found.items()} == {
        "start_date": ("estimate-passed", "warning"),
    }
    assert found["start_date"].message == (
        "start date 2019-03 was still ESTIMATED when captured on 2020-07-09, 1 year 4 months "
        "later (status SUSPENDED)"
    )
    assert found["start_date"].evidence["judged_at"] == "2020-07-09"


def test_an_ictrp_start_after_the_export_that_passed_since_is_not_reported():
    # Modelled on ICTRP's NL8578 of the 2020-07-07 export: a start date without a type a week
    # after the export, status not given. It passed long ago, but only after the capture.
    record = valid_record(
        "NL0000001",
        "ictrp",
        overall_status=None,
        captured="2020-07-07",
        start_date={"date": "2020-07-13", "type": None},
    )
    assert findings(record) == []


def test_dates_without_a_type_before_the_capture_are_not_judged():
    # They may be actual dates: only a date after the capture must have been an estimate.
    record = valid_record(
        overall_status="SUSPENDED",
        captured="2020-07-09",
        start_date={"date": "2019-03", "type": None},
        completion_date={"date": "2020-07-09", "type": None},
    )
    assert findings(record) == []


def test_a_capture_date_after_the_audit_date_is_not_used():
    record = valid_record(
        overall_status="SUSPENDED", captured="2027-01-01", completion_date=estimated("2024-06")
    )
    [found] = findings(record)
    assert (found.key, found.evidence["captured"]) == ("estimate-passed", None)
    assert found.message.startswith("completion date 2024-06 is still ESTIMATED, 2 years")


def test_actual_date_after_the_capture_is_an_error():
    # Nothing after the capture can have actually happened when it was made.
    record = valid_record(
        captured="2024-01-10", completion_date={"date": "2024-03", "type": "ACTUAL"}
    )
    [found] = findings(record)
    assert (found.key, found.severity) == ("actual-in-future", "error")
    assert found.message == (
        "completion date 2024-03 is marked ACTUAL but lies after the capture date 2024-01-10"
    )


def test_each_field_of_a_terminated_trial_is_its_own_finding():
    record = valid_record(
        overall_status="TERMINATED",
        primary_completion_date=estimated("2016-12"),
        completion_date=estimated("2017-01"),
    )
    found = {f.field: f for f in findings(record)}
    assert set(found) == {"primary_completion_date", "completion_date"}
    assert found["completion_date"].message == (
        "completion date 2017-01 is still ESTIMATED, 9 years 10 months later (status TERMINATED)"
    )


@pytest.mark.parametrize(
    ("day", "as_of", "stale"),
    [
        ("2025-11", date(2026, 11, 22), False),  # a month counts from its last day
        ("2025-11", date(2026, 11, 30), False),
        ("2025-11", date(2026, 12, 1), True),
        ("2025", date(2026, 12, 31), False),  # a year counts from 31 December
        ("2025", date(2027, 1, 1), True),
        ("2025-11-22", date(2026, 11, 22), False),  # exactly 12 months
        ("2025-11-21", date(2026, 11, 22), True),
    ],
)
def test_twelve_month_boundary_counts_partial_dates_from_their_end(day, as_of, stale):
    record = valid_record(overall_status="SUSPENDED", completion_date=estimated(day))
    assert len(findings(record, as_of=as_of)) == int(stale)


@pytest.mark.parametrize(
    "status",
    [
        "UNKNOWN",
        "WITHDRAWN",
        "RECRUITING",
        "NOT_YET_RECRUITING",
        "ACTIVE_NOT_RECRUITING",
        "ENROLLING_BY_INVITATION",
    ],
)
def test_passed_estimates_that_other_rules_own_or_that_are_estimates_by_nature(status):
    record = valid_record(
        overall_status=status,
        start_date=estimated("2019-01"),
        primary_completion_date=estimated("2020-01"),
        completion_date=estimated("2020-06"),
    )
    assert findings(record) == []


def test_one_fact_one_finding_across_the_three_rules():
    records = [
        valid_record(
            f"NCT0000000{n}",
            overall_status=status,
            status_verified="2026-06",
            completion_date=estimated("2022-07-01"),
        )
        for n, status in enumerate(["RECRUITING", "UNKNOWN", "COMPLETED", "WITHDRAWN"])
    ]
    tables = tables_of(*records)
    reported: Counter = Counter()
    for rule_id, module in [
        ("stale-active-status", stale_active_status),
        ("stale-unknown-status", stale_unknown_status),
        (RULE, stale_estimated_date),
    ]:
        for found in module.check(tables, Context(AS_OF, rule_id, "warning")):
            reported[(found.trial_ids, rule_id)] += 1
    assert reported == {
        (("NCT00000000",), "stale-active-status"): 1,
        (("NCT00000001",), "stale-unknown-status"): 1,
        (("NCT00000002",), RULE): 1,
    }


@pytest.mark.parametrize(
    ("day", "as_of", "future"),
    [
        ("2026-11", date(2026, 11, 22), False),  # a month counts from its first day
        ("2026-12", date(2026, 11, 22), True),
        ("2026-11-22", date(2026, 11, 22), False),
        ("2026-11-23", date(2026, 11, 22), True),
        ("2027", date(2026, 11, 22), True),
    ],
)
def test_actual_date_after_as_of_is_an_error(day, as_of, future):
    record = valid_record(completion_date={"date": day, "type": "ACTUAL"})
    found = findings(record, as_of=as_of)
    assert [(f.key, f.severity) for f in found] == (
        [("actual-in-future", "error")] if future else []
    )
    if future:
        assert found[0].message == (
            f"completion date {day} is marked ACTUAL but lies after {as_of.isoformat()}"
        )


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        ("2099-12", "ESTIMATED"),
        ("2100", "ESTIMATED"),
        ("2099-12-31", "ACTUAL"),
        ("1900-01-01", "ESTIMATED"),
        ("1970-01-01", "ACTUAL"),
        ("1899", None),
        ("2057-01", None),
    ],
)
def test_placeholder_dates_give_one_finding_whatever_the_type(day, kind):
    record = valid_record(primary_completion_date={"date": day, "type": kind})
    [found] = findings(record)
    assert (found.key, found.field) == ("placeholder", "primary_completion_date")
    assert found.message == (
        f"primary completion date {day} looks like a placeholder or a typo, not a real date"
    )


def test_far_dates_of_observational_registries_are_real_plans():
    # False positive found on the real corpus: DIABASE (NCT05584293), a diabetes registry,
    # plans to run until 2060-12-31; only 2099 and later is a placeholder there.
    registry = valid_record(
        "NCT05584293",
        study_type="OBSERVATIONAL",
        overall_status="RECRUITING",
        status_verified="2026-04",
        completion_date=estimated("2060-12-31"),
    )
    assert findings(registry) == []
    trial = valid_record(completion_date={"date": "2056-12", "type": "ESTIMATED"})
    assert findings(trial) == []  # 30 years ahead is not more than 30


def test_records_without_dates_or_types_give_nothing():
    bare = valid_record(start_date=NO_DATE, completion_date=NO_DATE)
    untyped = valid_record(
        "NCT07654321",
        start_date={"date": "2001-01", "type": None},
        completion_date={"date": "2003-05", "type": None},
    )
    garbage = valid_record("NCT07654322", completion_date=estimated("soon"))
    assert findings(bare, untyped, garbage) == []


def test_same_as_of_gives_same_findings_and_fingerprints_survive_a_month():
    records = [
        valid_record(
            overall_status="TERMINATED",
            completion_date=estimated("2017-01"),
            start_date={"date": "2099-01", "type": "ESTIMATED"},
        ),
        valid_record("NCT07654321", completion_date={"date": "2027-03", "type": "ACTUAL"}),
    ]
    first, again = findings(*records), findings(*records)
    assert [f.to_json() for f in first] == [f.to_json() for f in again]
    later = findings(*records, as_of=date(2026, 12, 22))
    assert sorted(f.fingerprint for f in later) == sorted(f.fingerprint for f in first)
    assert len({f.fingerprint for f in first}) == 3


def test_date_helpers():
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 11, 22), 24) == date(2024, 11, 22)
    assert months_before(date(2028, 2, 29), 12) == date(2027, 2, 28)
    assert [age_text(m) for m in (0, 1, 5, 12, 13, 24, 77)] == [
        "0 months",
        "1 month",
        "5 months",
        "1 year",
        "1 year 1 month",
        "2 years",
        "6 years 5 months",
    ]


def test_docstring_is_curator_documentation():
    doc = stale_estimated_date.__doc__
    assert doc.splitlines()[0].endswith(".")
    for part in (
        "What it detects",
        "Why it matters",
        "How to fix",
        "Example",
        "stale-active-status",
        "stale-unknown-status",
        "WITHDRAWN",
    ):
        assert part in doc


@pytest.mark.shared
def test_real_corpus_counts(real_tables):
    found = list(stale_estimated_date.check(real_tables, Context(AS_OF, RULE, "warning")))
    # Judged at the capture dates the importers now set, 2 records' 4 passed estimates (of
    # 2023 and 2024) had not passed when they were captured; with 64 ICTRP start dates after
    # its 2020-07-07 export they were info "recapture" findings (our copy is old), judged
    # noise and no longer reported.
    assert Counter((f.key, f.field) for f in found) == {
        ("estimate-passed", "completion_date"): 11,
        ("estimate-passed", "primary_completion_date"): 7,
        ("placeholder", "primary_completion_date"): 2,
        ("placeholder", "completion_date"): 2,
        ("placeholder", "start_date"): 1,
    }
