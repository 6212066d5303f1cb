"""stale-active-status: active statuses nobody keeps up to date, sites left open."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from conftest import valid_record

from audit.record import record_filename, site
from audit.rules import Context, stale_active_status, stale_estimated_date
from audit.tables import Tables, build_tables

RULE = "stale-active-status"
AS_OF = date(2026, 11, 22)
FUTURE = {"date": "2027-06", "type": "ESTIMATED"}


def tables_of(*records: dict) -> Tables:
    return build_tables((record_filename(r), r) for r in records)


def findings(*records: dict, as_of: date = AS_OF) -> list:
    return list(stale_active_status.check(tables_of(*records), Context(as_of, RULE, "warning")))


def estimated_date_findings(*records: dict, as_of: date = AS_OF) -> list:
    context = Context(as_of, "stale-estimated-date", "warning")
    return list(stale_estimated_date.check(tables_of(*records), context))


def active(status: str = "RECRUITING", trial_id: str = "NCT01234567", **fields) -> dict:
    fields.setdefault("status_verified", "2026-09")
    fields.setdefault("primary_completion_date", FUTURE)
    fields.setdefault("completion_date", FUTURE)
    return valid_record(trial_id, overall_status=status, **fields)


def test_site_still_recruiting_under_a_completed_trial():
    record = valid_record(
        "NCT04216849",
        "ctgov-classic",
        overall_status="COMPLETED",
        sites=[
            site("Shanghai East Hospital", "Shanghai", "Shanghai", "200124", "China", "RECRUITING")
        ],
    )
    [found] = findings(record)
    assert (found.key, found.field, found.severity) == (
        "site-recruiting",
        "sites.status",
        "warning",
    )
    assert found.trial_ids == ("NCT04216849",) and found.sources == ("ctgov-classic",)
    assert found.message == (
        "overall status COMPLETED but 1 site still says it is enrolling: "
        "Shanghai East Hospital (Shanghai, China): RECRUITING"
    )
    assert found.evidence == {
        "overall_status": "COMPLETED",
        "site_count": 1,
        "sites": [
            {
                "item": 0,
                "facility": "Shanghai East Hospital",
                "city": "Shanghai",
                "country": "China",
                "status": "RECRUITING",
            }
        ],
    }


def test_sites_still_recruiting_under_unknown_are_left_to_stale_unknown_status():
    # One stale record, one finding: the UNKNOWN finding lists the open sites.
    record = valid_record(
        "NCT04216849",
        overall_status="UNKNOWN",
        sites=[site("Shanghai East Hospital", status="RECRUITING")],
    )
    assert findings(record) == []


def test_one_finding_lists_every_open_site_under_a_closed_trial():
    sites = [site(f"Hospital {n}", "Lyon", country="France", status="RECRUITING") for n in range(6)]
    sites += [
        site("Clinic X", status="NOT_YET_RECRUITING"),
        site("Done", status="COMPLETED"),
        site("Quiet", status="ACTIVE_NOT_RECRUITING"),
        site("No status"),
    ]
    [found] = findings(valid_record(overall_status="TERMINATED", sites=sites))
    assert found.evidence["site_count"] == 7
    assert found.message.startswith(
        "overall status TERMINATED but 7 sites still say they are "
        "enrolling: Hospital 0 (Lyon, France): RECRUITING; "
    )
    assert found.message.endswith("; and 2 more")
    assert {s["facility"] for s in found.evidence["sites"]} == {
        *(f"Hospital {n}" for n in range(6)),
        "Clinic X",
    }


@pytest.mark.parametrize("status", ["RECRUITING", "ACTIVE_NOT_RECRUITING", None, "Sort of"])
def test_open_sites_are_fine_under_active_missing_or_unmapped_status(status):
    assert findings(active(status, sites=[site("A", status="RECRUITING")])) == []


def test_active_status_verified_long_ago():
    [found] = findings(active(status_verified="2023-03"))
    assert (found.key, found.field, found.severity) == ("status", "overall_status", "warning")
    assert found.message == (
        "status RECRUITING, but the record looks out of date: last "
        "verified 2023-03, 3 years 8 months ago"
    )
    assert found.evidence["months_since_verification"] == 44
    assert found.evidence["passed_estimates"] == {}


@pytest.mark.parametrize(
    ("verified", "as_of", "stale"),
    [
        ("2024-11", date(2026, 11, 22), False),  # counted from 2024-11-30
        ("2024-11", date(2026, 11, 30), False),
        ("2024-11", date(2026, 12, 1), True),
        ("2024-10", date(2026, 11, 22), True),
        ("2024-11-22", date(2026, 11, 22), False),  # exactly 2 years
        ("2024-11-21", date(2026, 11, 22), True),
    ],
)
def test_two_year_verification_boundary(verified, as_of, stale):
    assert len(findings(active(status_verified=verified), as_of=as_of)) == int(stale)


@pytest.mark.parametrize(
    ("completion", "as_of", "stale"),
    [
        ("2025-11", date(2026, 11, 22), False),  # counted from 2025-11-30
        ("2025-11", date(2026, 12, 1), True),
        ("2025-11-22", date(2026, 11, 22), False),  # exactly 12 months
        ("2025-11-21", date(2026, 11, 22), True),
    ],
)
def test_estimated_completion_passed_over_a_year_ago(completion, as_of, stale):
    record = active(
        "ACTIVE_NOT_RECRUITING",
        status_verified=f"{as_of:%Y-%m}",
        completion_date={"date": completion, "type": "ESTIMATED"},
    )
    found = findings(record, as_of=as_of)
    assert len(found) == int(stale)
    if stale:
        assert f"estimated completion date {completion} passed" in found[0].message


def test_one_finding_gives_every_reason():
    record = active(
        "NOT_YET_RECRUITING",
        status_verified="2019-04",
        start_date={"date": "2019-05", "type": "ESTIMATED"},
        primary_completion_date={"date": "2019-12", "type": "ESTIMATED"},
        completion_date={"date": "2020-05", "type": "ESTIMATED"},
    )
    [found] = findings(record)
    assert found.message == (
        "status NOT_YET_RECRUITING, but the record looks out of date: last verified 2019-04, "
        "7 years 7 months ago; estimated start date 2019-05 passed 7 years 6 months ago; "
        "estimated primary completion date 2019-12 passed 6 years 11 months ago; estimated "
        "completion date 2020-05 passed 6 years 6 months ago"
    )
    assert found.evidence["passed_estimates"] == {
        "start_date": "2019-05",
        "primary_completion_date": "2019-12",
        "completion_date": "2020-05",
    }


def test_passed_completion_of_an_active_trial_is_reported_once_not_twice():
    record = active(
        status_verified="2026-06", completion_date={"date": "2024-06", "type": "ESTIMATED"}
    )
    assert [f.key for f in findings(record)] == ["status"]
    assert estimated_date_findings(record) == []


def test_placeholder_date_of_an_active_trial_is_only_a_placeholder():
    record = active(
        completion_date={"date": "2099-12", "type": "ESTIMATED"},
        start_date={"date": "1900-01-01", "type": "ESTIMATED"},
    )
    assert findings(record) == []
    assert sorted(f.key for f in estimated_date_findings(record)) == ["placeholder"] * 2


def test_fresh_active_records_and_records_without_dates_give_nothing():
    fresh = active(start_date={"date": "2026-01", "type": "ACTUAL"})
    bare = valid_record(
        "NCT07654321",
        overall_status="RECRUITING",
        start_date={"date": None, "type": None},
        completion_date={"date": None, "type": None},
    )
    assert findings(fresh, bare) == []


def test_last_update_is_not_a_verification():
    # False positive found on the real corpus: every RECRUITING row of the 2020 ICTRP export
    # was flagged because its "last refreshed" date (when WHO harvested it) is from 2020.
    record = valid_record(
        "ChiCTR2000029763",
        "ictrp",
        overall_status="RECRUITING",
        last_update_posted="2020-02-17",
        start_date={"date": "2020-02-01", "type": None},
        completion_date={"date": None, "type": None},
    )
    assert findings(record) == []


def test_stale_when_captured_is_the_registry_s_and_says_when():
    # Judged at the capture date: verified 2020-09 was 2 years 5 months old on 2023-02-03.
    record = active(status_verified="2020-09", captured="2023-02-03")
    [found] = findings(record)
    assert (found.key, found.severity) == ("status", "warning")
    assert found.message == (
        "status RECRUITING, but the registry record was already out of date when captured on "
        "2023-02-03: last verified 2020-09, 2 years 5 months earlier"
    )
    assert found.evidence["months_since_verification"] == 29
    assert (found.evidence["captured"], found.evidence["judged_at"]) == ("2023-02-03", "2023-02-03")
    # The same record without a capture date is judged at the audit date, as before.
    [uncaptured] = findings(active(status_verified="2020-09"))
    assert uncaptured.fingerprint == found.fingerprint
    assert uncaptured.message.endswith("last verified 2020-09, 6 years 2 months ago")


def test_gone_stale_only_since_the_capture_is_not_reported():
    # Real record NCT04366882 of the classic export of 2020-07-09: no verification date, dates
    # without a type, after the capture. Up to date when captured; by the audit date only our
    # copy is old, as every record of that export is: no finding per record (the sample of
    # such findings was judged noise, tests/evaluation/findings/stale-active-status.csv).
    record = valid_record(
        "NCT04366882",
        "ctgov-classic",
        overall_status="RECRUITING",
        captured="2020-07-09",
        start_date={"date": "2020-04-22", "type": None},
        primary_completion_date={"date": "2020-12", "type": None},
        completion_date={"date": "2020-12", "type": None},
    )
    assert findings(record) == []
    # The same with typed estimates (a website export of 2024-06-06, NCT03731637): the
    # estimate passed only after the capture.
    typed = active(
        status_verified="2024-01",
        captured="2024-06-06",
        primary_completion_date={"date": "2025-08", "type": "ESTIMATED"},
    )
    assert findings(typed) == []


def test_a_verification_that_aged_after_the_capture_is_not_reported():
    assert findings(active(status_verified="2023-01", captured="2023-02-03")) == []


def test_a_capture_after_the_audit_date_is_judged_at_the_audit_date():
    assert findings(active(status_verified="2026-06", captured="2026-10-01")) == []
    late = active(status_verified="2023-01", captured="2027-01-01")  # judged at the audit date
    [found] = findings(late)
    assert (found.key, found.evidence["judged_at"]) == ("status", "2026-11-22")
    assert found.message.startswith("status RECRUITING, but the record looks out of date")


def test_same_as_of_gives_same_findings_and_fingerprints_survive_a_month():
    records = [
        active(status_verified="2023-03"),
        valid_record(
            "NCT07654321", overall_status="COMPLETED", sites=[site("A", status="RECRUITING")]
        ),
    ]
    first, again = findings(*records), findings(*records)
    assert [f.to_json() for f in first] == [f.to_json() for f in again]
    later = findings(*records, as_of=date(2026, 12, 22))
    assert [f.fingerprint for f in later] == [f.fingerprint for f in first]


def test_a_new_reason_keeps_the_fingerprint():
    record = active(
        status_verified="2024-06", completion_date={"date": "2025-12", "type": "ESTIMATED"}
    )
    [before] = findings(record)
    [after] = findings(record, as_of=date(2027, 2, 1))
    assert "estimated completion" not in before.message
    assert "estimated completion" in after.message
    assert before.fingerprint == after.fingerprint


def test_docstring_is_curator_documentation():
    doc = stale_active_status.__doc__
    assert doc.splitlines()[0].endswith(".")
    for part in (
        "What it detects",
        "Why it matters",
        "How to fix",
        "Example",
        "stale-estimated-date",
        "2 years",
    ):
        assert part in doc


@pytest.mark.shared
def test_real_corpus_counts(real_tables):
    found = list(stale_active_status.check(real_tables, Context(AS_OF, RULE, "warning")))
    # Before the importers set capture dates, the 279 status findings were all judged at the
    # audit date. Judged at the capture date, 37 were out of date in the registry already;
    # 242 went out of date since (legacy XML of 2023, website exports of 2023-2025), joined
    # by 9 ICTRP rows whose start date lay after the export of 2020-07-07: 251 findings that
    # said only that our copy is old (info "recapture"), judged noise and no longer reported.
    # Every site still recruiting is under an UNKNOWN trial: stale-unknown-status lists them.
    # NCT06171568 (an AACT API fixture) was judged at the audit date until API studies took
    # their data version (versionHolder) as capture date: it was current when copied.
    assert Counter(f.key for f in found) == {"status": 36}


@pytest.mark.shared
def test_classic_export_of_july_2020_has_old_copies_only(data):
    """The classic export carries no verification dates nor date types. Captured 2020-07-09,
    its 1,971 active records whose dates passed since are old copies, nothing to act on
    record by record (they were info "recapture" findings, judged noise)."""
    from audit.sources import import_file

    path = data / "ctgov_web_export_covid19_2020" / "ctgov_covid19_search_export_20200709.tsv"
    records = import_file(path)
    tables = build_tables((f"{path.name}#{i}", r) for i, r in enumerate(records))
    found = list(stale_active_status.check(tables, Context(AS_OF, RULE, "warning")))
    assert found == []
