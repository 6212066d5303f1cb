"""source-conflict: handwritten records for each field and each negative, and real data
(the real corpus, and ICTRP's July 2020 export against ClinicalTrials.gov's of two days later)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import valid_record

from audit.findings import Finding
from audit.record import person
from audit.rules import all_rules, run_rules
from audit.tables import build_tables

AS_OF = date(2024, 1, 1)
NCT = "NCT04345991"
ICTRP_JULY = "who_ictrp_covid19_2020/ictrp_covid19_export_2020-07-07_4098trials.csv"
CTGOV_JULY = "ctgov_web_export_covid19_2020/ctgov_covid19_search_export_20200709.tsv"


def run(*records: dict) -> list[Finding]:
    tables = build_tables(
        (f"{r['trial_id']}.{r['source']}.{i}.json", r) for i, r in enumerate(records)
    )
    return run_rules(tables, AS_OF, [all_rules()["source-conflict"]])


def ictrp(**fields) -> dict:
    """An ICTRP row of NCT04345991, refreshed by ICTRP on 2020-07-06."""
    return valid_record(NCT, "ictrp", last_update_posted="2020-07-06", **fields)


def classic(last_update: str = "2020-06-20", **fields) -> dict:
    """The classic ClinicalTrials.gov export of NCT04345991, captured 2020-07-09."""
    return valid_record(
        NCT, "ctgov-classic", captured="2020-07-09", last_update_posted=last_update, **fields
    )


def only(findings: list[Finding], field: str) -> Finding:
    found = [f for f in findings if f.field == field]
    assert len(found) == 1, [f.message for f in findings]
    return found[0]


# --- each field ------------------------------------------------------------------------------


def test_status_of_the_same_registry_version_is_a_warning_with_evidence() -> None:
    found = only(
        run(ictrp(overall_status="RECRUITING"), classic(overall_status="COMPLETED")),
        "overall_status",
    )
    assert found.severity == "warning"
    assert found.message == (
        "NCT04345991: overall status RECRUITING in ictrp (last update 2020-07-06) vs COMPLETED "
        "in ctgov-classic (captured 2020-07-09, last update 2020-06-20); ctgov-classic is "
        "newer, but its last update (2020-06-20) predates the ictrp record (2020-07-06)"
    )
    assert found.trial_ids == (NCT,)
    assert found.sources == ("ctgov-classic", "ictrp")
    values = {v["source"]: v for v in found.evidence["values"]}
    assert values["ictrp"] == {
        "source": "ictrp",
        "value": "RECRUITING",
        "record_file": f"{NCT}.ictrp.0.json",
        "trial_id": NCT,
        "captured": None,
        "last_update_posted": "2020-07-06",
    }
    assert values["ctgov-classic"]["captured"] == "2020-07-09"
    assert found.evidence["newer"] == "ctgov-classic"
    assert found.evidence["superseded"] is False


def test_a_later_update_makes_it_info_a_superseded_capture() -> None:
    found = only(
        run(ictrp(overall_status="RECRUITING"), classic("2020-07-08", overall_status="COMPLETED")),
        "overall_status",
    )
    assert found.severity == "info"
    assert found.message.endswith("ctgov-classic is newer and was updated since the ictrp record")
    assert found.evidence["superseded"] is True


def test_an_update_on_the_day_of_the_other_capture_may_come_after_it() -> None:
    found = only(
        run(ictrp(overall_status="RECRUITING"), classic("2020-07-06", overall_status="COMPLETED")),
        "overall_status",
    )
    assert found.severity == "info"


def test_ictrp_refresh_after_the_other_capture_supersedes_it() -> None:
    # ICTRP refreshed its copy (2020-04-14) after ClinicalTrials.gov was captured (04-06).
    older = valid_record(
        NCT,
        "ctgov-classic",
        captured="2020-04-06",
        last_update_posted="2020-04-03",
        overall_status="NOT_YET_RECRUITING",
    )
    newer = valid_record(NCT, "ictrp", last_update_posted="2020-04-14", overall_status="RECRUITING")
    found = only(run(older, newer), "overall_status")
    assert found.severity == "info"
    assert "ictrp is newer and was updated since the ctgov-classic record" in found.message


def test_without_update_dates_captures_more_than_three_months_apart_are_info() -> None:
    april = valid_record(NCT, "veeva", captured="2020-04-01", overall_status="RECRUITING")
    october = valid_record(NCT, "medpath", captured="2020-10-01", overall_status="COMPLETED")
    may = valid_record(NCT, "medpath", captured="2020-05-01", overall_status="COMPLETED")
    assert only(run(april, october), "overall_status").severity == "info"
    near = only(run(april, may), "overall_status")
    assert near.severity == "warning"
    assert near.message.endswith("medpath is newer, but captured within 3 months of veeva")


def test_without_any_dates_it_is_a_warning_that_says_so() -> None:
    found = only(
        run(
            valid_record(NCT, "veeva", overall_status="RECRUITING"),
            valid_record(NCT, "medpath", overall_status="COMPLETED"),
        ),
        "overall_status",
    )
    assert found.severity == "warning"
    assert found.message.endswith("the dates do not tell which is newer")
    assert found.evidence["newer"] is None


def test_enrollment_of_the_same_or_unknown_type_is_compared() -> None:
    same = run(
        ictrp(enrollment={"count": 120, "type": "ESTIMATED"}),
        classic(enrollment={"count": 150, "type": "ESTIMATED"}),
    )
    assert "enrollment 120 in ictrp" in only(same, "enrollment_count").message
    unknown = run(
        ictrp(enrollment={"count": 120, "type": "ESTIMATED"}),
        classic(enrollment={"count": 150, "type": None}),
    )
    found = only(unknown, "enrollment_count")
    assert {v.get("count_type") for v in found.evidence["values"]} == {"ESTIMATED", None}


def test_estimated_and_actual_counts_differ_legitimately() -> None:
    findings = run(
        ictrp(enrollment={"count": 120, "type": "ESTIMATED"}),
        classic(enrollment={"count": 97, "type": "ACTUAL"}),
    )
    assert [f for f in findings if f.field == "enrollment_count"] == []


def test_dates_are_compared_at_the_precision_both_state() -> None:
    agree = run(
        valid_record(NCT, "ctgov-api", start_date={"date": "2020-07", "type": None}),
        classic(start_date={"date": "2020-07-01", "type": None}),
    )
    assert [f for f in agree if f.field == "start_date"] == []
    differ = run(
        valid_record(NCT, "ctgov-api", start_date={"date": "2020-07", "type": None}),
        classic(start_date={"date": "2020-08-03", "type": None}),
    )
    assert only(differ, "start_date").message.startswith(
        "NCT04345991: start date 2020-07 in ctgov-api"
    )
    for name in ("primary_completion_date", "completion_date"):
        dated = run(
            valid_record(NCT, "ctgov-api", **{name: {"date": "2021-01", "type": None}}),
            classic(**{name: {"date": "2021-03-31", "type": None}}),
        )
        assert only(dated, name).severity == "warning"


def test_ictrp_first_of_month_may_be_a_month_only_date() -> None:
    # The spreadsheet export turned "April 2020" into 2020-04-01 (real row NCT04330638).
    ictrp_row = ictrp(start_date={"date": "2020-04-01", "type": None})
    assert [
        f
        for f in run(ictrp_row, classic(start_date={"date": "2020-04-03", "type": None}))
        if f.field == "start_date"
    ] == []
    api = valid_record(NCT, "ctgov-api", start_date={"date": "2020-04-01", "type": None})
    assert only(run(api, classic(start_date={"date": "2020-04-03", "type": None})), "start_date")
    assert only(
        run(ictrp_row, classic(start_date={"date": "2020-05-03", "type": None})), "start_date"
    )


def test_phases_masking_and_allocation() -> None:
    findings = run(
        ictrp(phases=["PHASE2", "PHASE3"], masking="NONE", allocation="RANDOMIZED"),
        classic(phases=["PHASE2"], masking="DOUBLE", allocation="NA"),
    )
    assert "phases PHASE2/PHASE3 in ictrp" in only(findings, "phases").message
    assert only(findings, "masking").evidence["values"][0]["value"] == "DOUBLE"
    assert only(findings, "allocation")


def test_enrolling_by_invitation_is_recruiting_in_ictrp_words() -> None:
    # ICTRP says only "Recruiting" / "Not recruiting" (real row NCT04308317).
    assert (
        run(ictrp(overall_status="RECRUITING"), classic(overall_status="ENROLLING_BY_INVITATION"))
        == []
    )
    api = valid_record(
        NCT, "ctgov-api", last_update_posted="2020-06-01", overall_status="RECRUITING"
    )
    assert only(run(api, classic(overall_status="ENROLLING_BY_INVITATION")), "overall_status")
    # The same word on both sides agrees whichever side is the coarser source.
    both = ictrp(overall_status="ENROLLING_BY_INVITATION")
    assert run(both, classic(overall_status="ENROLLING_BY_INVITATION")) == []


def not_recruiting() -> dict:
    """An ICTRP row saying "Not recruiting": no overall status, its family only."""
    return ictrp(overall_status=None, status_text="Not recruiting", status_family="NOT_RECRUITING")


@pytest.mark.parametrize(
    "status",
    [
        "NOT_YET_RECRUITING",  # 677 rows of the July 2020 exports
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "TERMINATED",
        "WITHDRAWN",
        "SUSPENDED",
        "AVAILABLE",
        "UNKNOWN",  # no family: whether it enrolls is not known
    ],
)
def test_ictrp_not_recruiting_agrees_with_every_status_that_is_not_recruiting(status) -> None:
    assert run(not_recruiting(), classic(overall_status=status)) == []


@pytest.mark.parametrize("status", ["RECRUITING", "ENROLLING_BY_INVITATION"])
def test_ictrp_not_recruiting_conflicts_with_a_recruiting_status(status) -> None:
    found = only(run(not_recruiting(), classic(overall_status=status)), "overall_status")
    assert found.severity == "warning"
    assert found.message.startswith(
        f"NCT04345991: overall status NOT_RECRUITING in ictrp (last update 2020-07-06) vs "
        f"{status} in ctgov-classic"
    )
    assert {v["source"]: v["value"] for v in found.evidence["values"]} == {
        "ictrp": "NOT_RECRUITING",
        "ctgov-classic": status,
    }


def test_status_families_only_stand_in_for_ictrp() -> None:
    # ICTRP "Recruiting" and an UNKNOWN status: not comparable at ICTRP's level.
    assert run(ictrp(overall_status="RECRUITING"), classic(overall_status="UNKNOWN")) == []
    # Two sources that both give full statuses still compare them in full.
    api = valid_record(
        NCT, "ctgov-api", last_update_posted="2020-06-01", overall_status="COMPLETED"
    )
    assert only(run(api, classic(overall_status="TERMINATED")), "overall_status")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Centre Hospitalier Universitaire de Nimes", "Centre Hospitalier Universitaire de Nīmes"),
        ("Biontech SE", "BioNTech SE"),
        ("Usak University", "Uşak University"),
        ("Yasemin Çirak", "Yasemin Çırak"),
        ("Zelazna Medical Centre, LLC", "Żelazna Medical Centre, LLC"),
        ("APHP", "Assistance Publique - Hôpitaux de Paris"),
        ("University Hospital, Ghent", "University Hospital Ghent"),
    ],
)
def test_sponsor_spellings_agree(one: str, other: str) -> None:
    assert run(ictrp(sponsor=one), classic(sponsor=other)) == []


def test_different_sponsors_are_a_warning() -> None:
    found = only(
        run(ictrp(sponsor="Shanghai East Hospital"), classic(sponsor="Tongji University")),
        "sponsor",
    )
    assert found.severity == "warning"


def test_related_sponsors_are_info() -> None:
    contains = run(
        ictrp(sponsor="Johns Hopkins University"),
        classic(sponsor="Sidney Kimmel Comprehensive Cancer Center at Johns Hopkins"),
    )
    assert only(contains, "sponsor").severity == "info"
    assert only(contains, "sponsor").message.endswith("the two may be related organisations")
    collaborator = run(
        ictrp(sponsor="Shanghai East Hospital"),
        classic(sponsor="Tongji University", collaborators=["Shanghai East Hospital"]),
    )
    assert only(collaborator, "sponsor").severity == "info"


def test_people_of_one_role_without_anyone_in_common() -> None:
    one = classic(people=[person("Zhongming Liu", "CENTRAL_CONTACT")])
    other = valid_record(
        NCT,
        "ctgov-api",
        last_update_posted="2020-06-20",
        people=[person("Karine Lacombe", "CENTRAL_CONTACT")],
    )
    found = only(run(one, other), "people")
    assert found.key == "CENTRAL_CONTACT"
    assert "central contact Karine Lacombe in ctgov-api" in found.message


def test_people_spelled_differently_or_in_other_roles_are_no_conflict() -> None:
    one = classic(
        people=[
            person("Zhongming Liu, MD", "CENTRAL_CONTACT"),
            person("Congrong Wang", "CENTRAL_CONTACT"),
            person("Someone Else", "SITE_CONTACT"),
        ]
    )
    spelled = valid_record(
        NCT, "ctgov-api", people=[person("Dr. LIU Zhongming", "CENTRAL_CONTACT")]
    )
    other_role = valid_record(
        NCT,
        "veeva",
        people=[
            person("Karine Lacombe", "OVERALL_OFFICIAL"),
            person("Other Person", "SITE_CONTACT"),
        ],
    )
    assert run(one, spelled, other_role) == []


def test_missing_values_and_one_source_are_no_conflict() -> None:
    assert (
        run(
            ictrp(overall_status=None, phases=[], sponsor=None),
            classic(overall_status="COMPLETED", phases=["PHASE2"], sponsor="Tongji"),
        )
        == []
    )
    april = valid_record(NCT, "ctgov-classic", captured="2020-04-06", overall_status="RECRUITING")
    july = valid_record(NCT, "ctgov-classic", captured="2020-07-09", overall_status="COMPLETED")
    assert run(april, july) == []  # versions of one source: not a source conflict


def test_records_meet_by_nct_id() -> None:
    euctr = valid_record(
        "EUCTR2020-001246-18-FR",
        "ictrp",
        nct_id=NCT,
        last_update_posted="2020-07-06",
        overall_status="RECRUITING",
    )
    found = only(run(euctr, classic(overall_status="COMPLETED")), "overall_status")
    assert found.trial_ids == ("EUCTR2020-001246-18-FR", NCT)
    assert found.message.startswith("NCT04345991: overall status RECRUITING in ictrp")


def test_three_records_give_one_finding_per_field() -> None:
    findings = run(
        ictrp(overall_status="RECRUITING"),
        classic(overall_status="COMPLETED"),
        valid_record(NCT, "veeva", overall_status="TERMINATED"),
    )
    found = only(findings, "overall_status")
    assert found.message.endswith("(3 records disagree, see evidence)")
    assert len(found.evidence["values"]) == 3


def test_fingerprint_does_not_depend_on_file_names_or_values() -> None:
    first = only(
        run(ictrp(overall_status="RECRUITING"), classic(overall_status="COMPLETED")),
        "overall_status",
    )
    tables = build_tables(
        [
            ("x/other-name.json", ictrp(overall_status="RECRUITING")),
            ("y/renamed.json", classic(overall_status="TERMINATED")),
        ]
    )
    second = only(run_rules(tables, AS_OF, [all_rules()["source-conflict"]]), "overall_status")
    assert first.fingerprint == second.fingerprint


# --- real data -------------------------------------------------------------------------------


@pytest.mark.shared
def test_real_corpus(real_tables) -> None:
    findings = run_rules(real_tables, AS_OF, [all_rules()["source-conflict"]])
    assert Counter((f.field, f.severity) for f in findings) == {
        ("overall_status", "info"): 2,
        ("start_date", "info"): 1,
    }
    assert {f.trial_ids for f in findings} == {("NCT04407182",), ("NCT04452435",)}


@pytest.fixture(scope="module")
def july_findings(data: Path) -> list[Finding]:
    """ICTRP's export of 2020-07-07 against ClinicalTrials.gov's search export of 2020-07-09."""
    from audit.sources import import_file

    records = []
    for path in (data / ICTRP_JULY, data / CTGOV_JULY):
        records += [(f"{path.name}#{i}", r) for i, r in enumerate(import_file(path))]
    tables = build_tables(records)
    shared = set(tables.studies.loc[tables.studies["source"] == "ictrp", "nct_id"].dropna())
    assert (
        len(shared & set(tables.studies.loc[tables.studies["source"] == "ctgov-classic", "nct_id"]))
        == 2279
    )
    return run_rules(tables, AS_OF, [all_rules()["source-conflict"]])


@pytest.mark.shared
def test_ictrp_against_ctgov_july_2020_counts(july_findings: list[Finding]) -> None:
    # Every disagreement is a ClinicalTrials.gov update posted 2020-07-07..09, after ICTRP's
    # export: no warning. Before the fixes: 56 status warnings (ENROLLING_BY_INVITATION vs
    # ICTRP "Recruiting"), 14 sponsor warnings (accents, case), 11 month-only start dates.
    # Status: 11 "Recruiting" vs ACTIVE_NOT_RECRUITING / COMPLETED, and, since ICTRP's "Not
    # recruiting" is compared as a family, 28 "Not recruiting" vs RECRUITING (25) and
    # ENROLLING_BY_INVITATION (3): trials that opened, all updated 2020-07-07..09.
    assert Counter(f.field for f in july_findings) == {
        "start_date": 47,
        "enrollment_count": 19,
        "overall_status": 39,
        "masking": 2,
        "allocation": 2,
        "sponsor": 1,
    }
    assert {f.severity for f in july_findings} == {"info"}
    updates = {
        v["last_update_posted"]
        for f in july_findings
        for v in f.evidence["values"]
        if v["source"] == "ctgov-classic"
    }
    assert updates == {"2020-07-07", "2020-07-08", "2020-07-09"}
    statuses = Counter(
        tuple(v["value"] for v in f.evidence["values"])
        for f in july_findings
        if f.field == "overall_status"
    )
    assert statuses == {
        ("COMPLETED", "RECRUITING"): 6,
        ("ACTIVE_NOT_RECRUITING", "RECRUITING"): 5,
        ("RECRUITING", "NOT_RECRUITING"): 25,
        ("ENROLLING_BY_INVITATION", "NOT_RECRUITING"): 3,
    }


@pytest.mark.shared
@pytest.mark.parametrize(
    ("trial", "field"),
    [
        ("NCT04308317", "overall_status"),  # ENROLLING_BY_INVITATION vs ICTRP "Recruiting"
        ("NCT04340466", "sponsor"),  # "de Nimes" vs "de Nīmes"
        ("NCT04346927", "sponsor"),  # "Çirak" vs "Çırak"
        ("NCT04330638", "start_date"),  # ICTRP 2020-04-01 (for "April 2020") vs 2020-04-03
    ],
)
def test_ictrp_against_ctgov_july_2020_false_positives_stay_fixed(
    july_findings: list[Finding], trial: str, field: str
) -> None:
    assert [f for f in july_findings if f.trial_ids == (trial,) and f.field == field] == []


@pytest.mark.shared
def test_ictrp_against_ctgov_july_2020_sample(july_findings: list[Finding]) -> None:
    found = next(
        f for f in july_findings if f.trial_ids == ("NCT04256395",) and f.field == "overall_status"
    )
    # The ICTRP export's capture date comes from its file name.
    assert re.fullmatch(
        r"NCT04256395: overall status RECRUITING in ictrp \(captured 2020-07-07, last "
        r"update 2020-05-04\) vs COMPLETED in ctgov-classic \(captured 2020-07-09, last update "
        r"2020-07-07\); ctgov-classic is newer and was updated since the ictrp record",
        found.message,
    ), found.message
