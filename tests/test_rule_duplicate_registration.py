"""duplicate-registration: handwritten records for each link and each negative, and real data."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import valid_record

from audit.findings import Finding
from audit.record import person, site
from audit.rules import all_rules, run_rules
from audit.rules.duplicate_registration import _candidate_pairs, _trials, canonical_id
from audit.tables import build_tables

AS_OF = date(2024, 1, 1)
TITLE = "Efficacy of Convalescent Plasma Therapy in Severely Sick COVID-19 Patients"
SPONSOR = "Institute of Liver and Biliary Sciences"
ICTRP_JULY = "who_ictrp_covid19_2020/ictrp_covid19_export_2020-07-07_4098trials.csv"
CTGOV_JULY = "ctgov_web_export_covid19_2020/ctgov_covid19_search_export_20200709.tsv"


def run(*records: dict) -> list[Finding]:
    tables = build_tables(
        (f"{r['trial_id']}.{r['source']}.{i}.json", r) for i, r in enumerate(records)
    )
    return run_rules(tables, AS_OF, [all_rules()["duplicate-registration"]])


def trial(
    trial_id: str,
    source: str = "ctgov-api",
    title: str = TITLE,
    sponsor: str | None = SPONSOR,
    **fields,
) -> dict:
    return valid_record(trial_id, source, title=title, sponsor=sponsor, **fields)


# --- declared links --------------------------------------------------------------------------


def test_secondary_id_naming_another_registry_is_an_info_cross_registration() -> None:
    findings = run(
        trial("NCT04346446", secondary_ids=["ChiCTR2000031319", "ILBS-COVID-02"]),
        trial("ChiCTR2000031319", "ictrp", title="Something else entirely here"),
    )
    assert len(findings) == 1
    found = findings[0]
    assert found.severity == "info"
    assert found.key == "declared"
    assert found.message == (
        "ChiCTR2000031319 and NCT04346446: one trial cross-registered in ChiCTR and "
        "ClinicalTrials.gov (NCT04346446 lists ChiCTR2000031319 as its secondary id)"
    )
    assert found.trial_ids == ("ChiCTR2000031319", "NCT04346446")
    assert found.sources == ("ctgov-api", "ictrp")
    assert found.evidence["ids"] == ["ChiCTR2000031319", "NCT04346446"]
    assert found.evidence["titles"]["NCT04346446"] == [TITLE]
    assert found.evidence["sponsors"]["ChiCTR2000031319"] == [SPONSOR]


def test_both_sides_naming_each_other_give_one_finding() -> None:
    findings = run(
        trial("NCT04346446", secondary_ids=["ChiCTR2000031319"]),
        trial("ChiCTR2000031319", "ictrp", secondary_ids=["NCT04346446"]),
    )
    assert len(findings) == 1
    assert "ChiCTR2000031319 lists NCT04346446" in findings[0].message
    assert "NCT04346446 lists ChiCTR2000031319" in findings[0].message


def test_nct_id_of_another_registry_record_links_it() -> None:
    findings = run(trial("NCT04345991"), trial("DRKS00021626", "ictrp", nct_id="NCT04345991"))
    assert [f.evidence["link"] for f in findings] == [
        "DRKS00021626 lists NCT04345991 as its NCT id"
    ]


def test_one_registry_naming_its_own_other_id_is_a_double_registration() -> None:
    findings = run(
        trial("NCT04346446", secondary_ids=["NCT04425915"]),
        trial("NCT04425915", title="A different title of the same trial here"),
    )
    assert [(f.severity, f.message) for f in findings] == [
        (
            "warning",
            "NCT04346446 and NCT04425915: registered twice in ClinicalTrials.gov "
            "(NCT04346446 lists NCT04425915 as its secondary id)",
        )
    ]


@pytest.mark.parametrize(
    "written",
    [
        "2020-001246-18",
        "EudraCT 2020-001246-18",
        "EudraCT number: 2020-001246-18",
        "EUCTR2020-001246-18-FR",
    ],
)
def test_eudract_numbers_link_to_eu_ctr_records(written: str) -> None:
    findings = run(
        trial("NCT04345991", secondary_ids=[written]),
        trial("EUCTR2020-001246-18-ES", "ictrp", title="Another wording entirely"),
    )
    assert [f.evidence["ids"] for f in findings] == [["EUCTR2020-001246-18", "NCT04345991"]]


def test_eu_ctr_country_records_are_one_trial() -> None:
    spain = trial("EUCTR2020-001246-18-ES", "ictrp")
    france = trial("EUCTR2020-001246-18-FR", "ictrp", secondary_ids=["EUCTR2020-001246-18-ES"])
    assert run(spain, france) == []
    with_nct = run(spain, france, trial("NCT04345991", secondary_ids=["2020-001246-18"]))
    assert len(with_nct) == 1
    assert with_nct[0].trial_ids == (
        "EUCTR2020-001246-18-ES",
        "EUCTR2020-001246-18-FR",
        "NCT04345991",
    )


@pytest.mark.parametrize("shared", ["1", "Pilot", "001", "COVID-19", "2020-001", "IRB-1"])
def test_shared_org_study_ids_never_link(shared: str) -> None:
    assert (
        run(
            trial("NCT04346446", title="First trial of something", secondary_ids=[shared]),
            trial("NCT04425915", title="Second trial of other", secondary_ids=[shared]),
        )
        == []
    )


def test_one_trial_from_two_sources_is_not_a_duplicate() -> None:
    assert (
        run(
            trial("NCT04346446"),
            trial("NCT04346446", "ictrp"),
            trial("NCT04346446", "ctgov-classic", secondary_ids=["NCT04346446"]),
        )
        == []
    )


@pytest.mark.parametrize("identifier", ["1", "NCT123", "2020-5001234-56", "pilot-2020"])
def test_canonical_id_refuses_what_is_not_a_registry_id(identifier: str) -> None:
    assert canonical_id(identifier) is None


# --- found by title --------------------------------------------------------------------------


def test_same_title_and_sponsor_in_two_registries_is_a_warning() -> None:
    findings = run(
        trial(
            "NCT04346446",
            title=f"{TITLE}: A Pilot Randomized Controlled Trial",
            sponsor="Institute of Liver and Biliary Sciences, India",
        ),
        trial(
            "CTRI/2020/04/024706",
            "ictrp",
            title=f"{TITLE.lower()}: a pilot randomised controlled trial.",
        ),
    )
    assert [(f.severity, f.key) for f in findings] == [("warning", "title")]
    assert findings[0].message == (
        "CTRI/2020/04/024706 and NCT04346446: look like one trial in CTRI and "
        "ClinicalTrials.gov, and neither record names the other (same title, same sponsor)"
    )
    assert len(findings[0].evidence["matched_titles"]) == 2


def test_a_trailing_label_is_ignored_across_registries_only() -> None:
    base = "An international randomised trial of additional treatments for COVID-19"
    labelled = trial(
        "CTRI/2020/04/024773",
        "ictrp",
        title=f"{base} - SOLIDARITY TRIAL",
        sponsor="World Health Organization",
    )
    assert (
        len(
            run(
                labelled,
                trial("ISRCTN83971151", "ictrp", title=base, sponsor="World Health Organization"),
            )
        )
        == 1
    )
    us = trial("NCT04397692", title=f"{base} (US Trial)")
    assert run(us, trial("NCT04456088", title=base)) == []


def test_titles_that_differ_in_a_content_word_are_different_trials() -> None:
    pairs = [
        (
            "Effect of Prednisolone on treatment of COVID-19 patients",
            "Effect of Methylprednisolone on treatment of COVID-19 patients",
        ),
        (
            "Lian-Hua Qing-Wen Capsule in the treatment of suspected novel coronavirus pneumonia",
            "Lian-Hua Qing-Wen Capsule in the treatment of novel coronavirus pneumonia",
        ),
        (
            "Chloroquine in severe patients with novel coronavirus pneumonia",
            "Chloroquine in mild and common patients with novel coronavirus pneumonia",
        ),
    ]
    for one, other in pairs:
        assert (
            run(
                trial("IRCT20081027001411N3", "ictrp", title=one),
                trial("IRCT20200404046947N1", "ictrp", title=other),
            )
            == []
        ), one


def test_same_title_with_other_sponsors_is_no_duplicate() -> None:
    assert (
        run(
            trial("NCT04346446"),
            trial("ChiCTR2000031319", "ictrp", sponsor="Renmin Hospital of Wuhan University"),
        )
        == []
    )


def test_seed_pair_of_one_team_is_not_a_duplicate() -> None:
    team = [person("Zhongming Liu", "OVERALL_OFFICIAL"), person("Congrong Wang", "CENTRAL_CONTACT")]
    diabetes = trial(
        "NCT04441658",
        "veeva",
        sponsor="Tongji University",
        people=team,
        secondary_ids=["DFSC-2020(CR)-02"],
        title=(
            "Efficacy and Safety of Umbilical Cord Mesenchymal Stem Cells "
            "Transplantation in Patients With Type 2 Diabetes Mellitus"
        ),
    )
    nephropathy = trial(
        "NCT04216849",
        "ctgov-classic",
        sponsor="Tongji University",
        people=team,
        secondary_ids=["DFSC-2019(CR)-06"],
        title=(
            "Clinical Study of Umbilical Cord Mesenchymal Stem Cells in the "
            "Treatment of Type 2 Diabetic Nephropathy"
        ),
    )
    assert run(diabetes, nephropathy) == []


def test_short_titles_do_not_link() -> None:
    assert (
        run(
            trial("NCT04346446", title="COVID-19 Plasma Study"),
            trial("CTRI/2020/04/024706", "ictrp", title="COVID-19 plasma study"),
        )
        == []
    )


def test_one_registry_needs_every_title_kind_to_match() -> None:
    common = "Optimization of treatment and diagnosis plan for critically ill patients"
    ecmo = trial(
        "ChiCTR2000029804",
        "ictrp",
        official_title=common,
        title="Clinical application of ECMO in patients with respiratory failure",
    )
    features = trial(
        "ChiCTR2000029805",
        "ictrp",
        official_title=common,
        title="Analysis of clinical characteristics of severe pneumonia patients",
    )
    assert run(ecmo, features) == []
    twin = trial("ChiCTR2000029806", "ictrp", official_title=common, title=ecmo["title"])
    found = run(ecmo, twin)
    assert [f.message for f in found] == [
        "ChiCTR2000029804 and ChiCTR2000029806: look like one trial registered twice in "
        "ChiCTR (same title, same sponsor)"
    ]


@pytest.mark.parametrize(
    "second",
    [
        {"sites": [site("Hospital", country="Germany")]},
        {"enrollment": {"count": 270, "type": "ESTIMATED"}},
        {"start_date": {"date": "2019-10", "type": "ACTUAL"}},
    ],
)
def test_one_registry_same_title_but_evidently_two_trials(second: dict) -> None:
    first = trial(
        "NCT03795987",
        sites=[site("VA", country="United States")],
        enrollment={"count": 100, "type": "ACTUAL"},
        start_date={"date": "2019-02-07", "type": "ACTUAL"},
    )
    other = trial(
        "NCT04040387",
        **(
            {
                "sites": [site("VA", country="United States")],
                "enrollment": {"count": 120, "type": "ESTIMATED"},
                "start_date": {"date": "2019-03", "type": None},
            }
            | second
        ),
    )
    assert run(first, other) == []
    same = trial(
        "NCT04040387",
        sites=[site("VA", country="United States")],
        enrollment={"count": 120, "type": "ESTIMATED"},
        start_date={"date": "2019-03", "type": None},
    )
    assert len(run(first, same)) == 1


def test_a_declared_link_is_not_reported_again_by_title() -> None:
    findings = run(
        trial("NCT04346446", secondary_ids=["CTRI/2020/04/024706"]),
        trial("CTRI/2020/04/024706", "ictrp"),
    )
    assert [f.key for f in findings] == ["declared"]


def test_fingerprint_does_not_depend_on_file_names() -> None:
    records = [trial("NCT04346446"), trial("CTRI/2020/04/024706", "ictrp")]
    first = run(*records)
    tables = build_tables([("a/x.json", records[0]), ("b/y.json", records[1])])
    second = run_rules(tables, AS_OF, [all_rules()["duplicate-registration"]])
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]


# --- real data -------------------------------------------------------------------------------


@pytest.mark.shared
def test_real_corpus(real_tables) -> None:
    findings = run_rules(real_tables, AS_OF, [all_rules()["duplicate-registration"]])
    assert Counter((f.key, f.severity) for f in findings) == {
        ("title", "warning"): 57,
        ("declared", "info"): 1,
    }
    by_ids = {tuple(f.evidence["ids"]): f for f in findings}
    assert by_ids[("KCT0005105", "NCT04330586")].key == "title"
    assert ("NCT03795987", "NCT04040387") not in by_ids  # NightWare pilot (15) and main (270)
    twice = sorted(ids for ids, f in by_ids.items() if "twice" in f.message)
    assert twice == [
        ("ChiCTR2000029954", "ChiCTR2000030545"),
        ("ChiCTR2000032367", "ChiCTR2000033318"),
        ("JPRN-UMIN000040353", "JPRN-UMIN000040520"),
    ]


@pytest.mark.shared
def test_blocking_stays_near_linear(real_tables) -> None:
    trials = _trials(real_tables)
    pairs = _candidate_pairs(trials)
    assert len(trials) == 5900
    assert len(pairs) < 5 * len(trials)  # 24,135 pairs; all pairs would be ~17 million


@pytest.mark.shared
def test_ictrp_and_ctgov_july_2020(data: Path) -> None:
    from audit.sources import import_file

    records = []
    for path in (data / ICTRP_JULY, data / CTGOV_JULY):
        records += [(f"{path.name}#{i}", r) for i, r in enumerate(import_file(path))]
    findings = run_rules(build_tables(records), AS_OF, [all_rules()["duplicate-registration"]])
    assert Counter((f.key, f.severity) for f in findings) == {
        ("declared", "info"): 53,
        ("title", "warning"): 40,
    }
    by_ids = {tuple(f.evidence["ids"]): f for f in findings}
    # ClinicalTrials.gov's "EudraCT 2020-001206-35" names the EU CTR record.
    assert by_ids[("EUCTR2020-001206-35", "NCT04353596")].key == "declared"
    for ids in [
        ("NCT04346199", "NCT04380688"),  # AstraZeneca's US and ex-US trials
        ("ChiCTR2000029804", "ChiCTR2000029805"),  # one programme title, two studies
        ("IRCT20081027001411N3", "IRCT20200404046947N1"),
    ]:  # two different drugs
        assert ids not in by_ids
