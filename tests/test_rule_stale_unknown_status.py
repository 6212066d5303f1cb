"""stale-unknown-status: UNKNOWN records, their age, last known status and passed completion."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import valid_record

from audit.cli import main
from audit.corpus import load_corpus
from audit.record import record_filename, site
from audit.rules import Context, stale_active_status, stale_estimated_date, stale_unknown_status
from audit.tables import Tables, build_tables

RULE = "stale-unknown-status"
AS_OF = date(2026, 11, 22)
SEED_UNKNOWN = ["NCT01219465", "NCT03943940", "NCT04216849", "NCT04441658"]


def tables_of(*records: dict) -> Tables:
    return build_tables((record_filename(r), r) for r in records)


def findings(*records: dict, as_of: date = AS_OF) -> list:
    return list(stale_unknown_status.check(tables_of(*records), Context(as_of, RULE, "warning")))


def unknown(**fields) -> dict:
    fields.setdefault("completion_date", {"date": "2022-07-01", "type": "ESTIMATED"})
    return valid_record(overall_status="UNKNOWN", **fields)


def test_seed_like_record_gives_age_last_status_passed_completion_and_open_sites():
    [found] = findings(
        unknown(
            trial_id="NCT04216849",
            source="ctgov-classic",
            status_verified="2020-06",
            last_known_status="RECRUITING",
            sites=[
                site("Shanghai East Hospital", "Shanghai", country="China", status="RECRUITING"),
                site("Tongji Hospital", "Wuhan", country="China", status="COMPLETED"),
            ],
        )
    )
    assert found.severity == "warning"
    assert (found.field, found.trial_ids, found.sources) == (
        "overall_status",
        ("NCT04216849",),
        ("ctgov-classic",),
    )
    assert found.record_files == ("NCT04216849.ctgov-classic.json",)
    assert found.message == (
        "status UNKNOWN, last verified 2020-06 (6 years 5 months ago); last known status "
        "RECRUITING; estimated completion 2022-07-01 has passed; 1 site still says it is "
        "enrolling: Shanghai East Hospital (Shanghai, China): RECRUITING"
    )
    assert found.evidence == {
        "status_verified": "2020-06",
        "months_since_verification": 77,
        "last_known_status": "RECRUITING",
        "completion_date": "2022-07-01",
        "completion_date_type": "ESTIMATED",
        "estimated_completion_passed": True,
        "captured": None,
        "judged_at": "2026-11-22",
        "copy_age_months": None,
        "open_site_count": 1,
        "open_sites": [
            {
                "item": 0,
                "facility": "Shanghai East Hospital",
                "city": "Shanghai",
                "country": "China",
                "status": "RECRUITING",
            }
        ],
    }


def test_a_captured_record_is_judged_at_its_capture_date():
    # Verified 2020-06: 6 years by the audit date, but 2 years 8 months when captured. The
    # registry's staleness is a warning; that our copy is old is said, with its own advice.
    [found] = findings(
        unknown(status_verified="2020-06", last_known_status="RECRUITING", captured="2023-02-03")
    )
    assert found.severity == "warning"
    assert found.message == (
        "status UNKNOWN when captured on 2023-02-03, last verified 2020-06 (2 years 8 months "
        "earlier); last known status RECRUITING; estimated completion 2022-07-01 has passed; our "
        "copy is 3 years 9 months old: re-capture it first, the registry may know the outcome "
        "by now"
    )
    assert (found.evidence["judged_at"], found.evidence["copy_age_months"]) == ("2023-02-03", 45)
    assert found.evidence["months_since_verification"] == 32
    # The identity does not depend on the capture: a waiver still applies after a re-capture.
    [uncaptured] = findings(unknown(status_verified="2020-06", last_known_status="RECRUITING"))
    assert uncaptured.fingerprint == found.fingerprint and uncaptured.severity == "warning"


def test_a_recent_copy_gets_no_recapture_advice():
    [found] = findings(unknown(status_verified="2016-06", captured="2025-06-30"))
    assert found.severity == "warning"  # 9 years unverified when captured: still the registry's
    assert "re-capture" not in found.message
    assert found.evidence["copy_age_months"] == 16


@pytest.mark.parametrize(
    ("verified", "months"),
    [("2025-06", 17), ("2021-11", 60), ("2021-10", 61), ("2010-01", 202), (None, None)],
)
def test_a_warning_however_old_with_the_age_in_the_evidence(verified, months):
    # The registry's status is not the curator's to change: it never blocks a merge.
    [found] = findings(unknown(status_verified=verified))
    assert found.severity == "warning"
    assert found.evidence["months_since_verification"] == months


def test_recently_verified_unknown_says_its_age_and_last_status():
    [found] = findings(unknown(status_verified="2023-04", last_known_status="NOT_YET_RECRUITING"))
    assert "3 years 7 months ago" in found.message
    assert "NOT_YET_RECRUITING" in found.message


def test_no_verification_date_is_said():
    [found] = findings(unknown(completion_date={"date": "2019-01", "type": "ESTIMATED"}))
    assert "the source gives no verification date" in found.message
    assert found.evidence["months_since_verification"] is None


def test_open_sites_are_listed_five_at_most_and_counted():
    sites = [site(f"Site {n}", status="RECRUITING") for n in range(7)]
    sites.append(site("Closed site", status="COMPLETED"))
    [found] = findings(unknown(sites=sites))
    assert found.message.endswith(
        "7 sites still say they are enrolling: Site 0: RECRUITING; Site 1: RECRUITING; Site 2: "
        "RECRUITING; Site 3: RECRUITING; Site 4: RECRUITING; and 2 more"
    )
    assert found.evidence["open_site_count"] == 7
    assert len(found.evidence["open_sites"]) == 7


def test_unreadable_verification_date_is_named_not_hidden():
    [found] = findings(unknown(status_verified="June 2020"))
    assert "verification date 'June 2020' is not a date" in found.message
    assert found.evidence["months_since_verification"] is None


def test_record_without_any_dates_gives_a_warning_and_no_crash():
    record = valid_record(
        overall_status="UNKNOWN",
        start_date={"date": None, "type": None},
        completion_date={"date": None, "type": None},
    )
    [found] = findings(record)
    assert found.severity == "warning"
    assert found.message == (
        "status UNKNOWN, the source gives no verification date; last "
        "known status not given; no completion date"
    )


@pytest.mark.parametrize(
    ("as_of", "passed"),
    [
        (date(2026, 10, 31), False),  # "2026-10" counts as its last day
        (date(2026, 11, 1), True),
    ],
)
def test_partial_completion_date_passes_at_the_end_of_its_month(as_of, passed):
    record = unknown(
        status_verified="2024-01", completion_date={"date": "2026-10", "type": "ESTIMATED"}
    )
    [found] = findings(record, as_of=as_of)
    assert found.evidence["estimated_completion_passed"] is passed
    assert ("has passed" in found.message) is passed


def test_actual_or_future_completion_is_not_called_passed():
    actual = unknown(completion_date={"date": "2020-01", "type": "ACTUAL"})
    future = unknown(
        trial_id="NCT07654321", completion_date={"date": "2027-06", "type": "ESTIMATED"}
    )
    for found in findings(actual, future):
        assert "has passed" not in found.message
        assert found.evidence["estimated_completion_passed"] is False
    assert "completion 2020-01 (ACTUAL)" in findings(actual)[0].message


def test_other_statuses_give_nothing():
    assert (
        findings(
            valid_record(),
            valid_record("NCT07654321", overall_status="RECRUITING", status_verified="2015-01"),
        )
        == []
    )


def test_same_as_of_gives_same_findings_and_fingerprints_survive_a_month():
    records = [unknown(status_verified="2020-06"), unknown(trial_id="NCT07654321")]
    first, again = findings(*records), findings(*records)
    assert [f.to_json() for f in first] == [f.to_json() for f in again]
    later = findings(*records, as_of=date(2026, 12, 22))
    assert [f.fingerprint for f in later] == [f.fingerprint for f in first]
    assert later[0].message != first[0].message  # the age moved on, the identity did not


def test_passed_estimates_and_open_sites_of_an_unknown_record_are_not_reported_twice():
    record = unknown(
        status_verified="2020-06",
        start_date={"date": "2020-07", "type": "ESTIMATED"},
        primary_completion_date={"date": "2022-02-01", "type": "ESTIMATED"},
        sites=[site("City Hospital", status="RECRUITING")],
    )
    tables = tables_of(record)
    assert len(findings(record)) == 1
    assert (
        list(stale_estimated_date.check(tables, Context(AS_OF, "stale-estimated-date", "warning")))
        == []
    )
    assert (
        list(stale_active_status.check(tables, Context(AS_OF, "stale-active-status", "warning")))
        == []
    )


def test_docstring_is_curator_documentation():
    doc = stale_unknown_status.__doc__
    assert doc.splitlines()[0].endswith(".")
    for part in ("What it detects", "Why it matters", "How to fix", "Example", "however old"):
        assert part in doc


@pytest.mark.shared
def test_seed_trials_normalized_with_the_cli(seeds, tmp_path, capsys):
    assert main(["normalize", str(seeds), "--out", str(tmp_path)]) == 0
    tables = load_corpus(tmp_path).tables
    unknown_findings = list(stale_unknown_status.check(tables, Context(AS_OF, RULE, "warning")))
    assert sorted(t for f in unknown_findings for t in f.trial_ids) == SEED_UNKNOWN
    by_trial = {f.trial_ids[0]: f for f in unknown_findings}
    assert {f.severity for f in unknown_findings} == {"warning"}
    assert "last verified 2020-06" in by_trial["NCT04216849"].message
    assert "Shanghai East Hospital (Shanghai, China): RECRUITING" in by_trial["NCT04216849"].message
    assert "the source gives no verification date" in by_trial["NCT04441658"].message
    active = stale_active_status.check(tables, Context(AS_OF, "stale-active-status", "warning"))
    assert list(active) == []  # its recruiting site is part of the UNKNOWN finding


@pytest.mark.shared
def test_real_corpus_counts(real_tables):
    found = list(stale_unknown_status.check(real_tables, Context(AS_OF, RULE, "warning")))
    # The same 179 records as when those verified over 5 years ago were errors (163 of them);
    # 91 list sites still recruiting: every site-recruiting finding stale-active-status gave.
    assert {f.severity for f in found} == {"warning"}
    assert len(found) == 179
    assert sum(f.evidence["open_site_count"] > 0 for f in found) == 91
