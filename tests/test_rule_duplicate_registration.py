"""duplicate-registration: handwritten records for each link and each negative, and real data.

The negatives under "found by record linkage" are the false positives found while judging the
pairs the rule adds to DIRECCT's list (tests/evaluation/duplicate_registration_pairs.csv),
written as the records that produced them."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import valid_record

from audit.findings import Finding
from audit.record import intervention, person, site
from audit.rules import all_rules, run_rules
from audit.rules.duplicate_registration import (
    WEIGHTS,
    _candidate_pairs,
    _records,
    canonical_id,
)
from audit.tables import build_tables

AS_OF = date(2024, 1, 1)
TITLE = "Efficacy of Convalescent Plasma Therapy in Severely Sick COVID-19 Patients"
SPONSOR = "Institute of Liver and Biliary Sciences"
ICTRP_JULY = "who_ictrp_covid19_2020/ictrp_covid19_export_2020-07-07_4098trials.csv"
CTGOV_JULY = "ctgov_web_export_covid19_2020/ctgov_covid19_search_export_20200709.tsv"


def tables_of(*records: dict):
    return build_tables(
        (f"{r['trial_id']}.{r['source']}.{i}.json", r) for i, r in enumerate(records)
    )


def run(*records: dict) -> list[Finding]:
    return run_rules(tables_of(*records), AS_OF, [all_rules()["duplicate-registration"]])


def joined(findings: list[Finding]) -> list[list[str]]:
    return [f.evidence["ids"] for f in findings]


def trial(
    trial_id: str,
    source: str = "ctgov-api",
    title: str = TITLE,
    sponsor: str | None = SPONSOR,
    **fields,
) -> dict:
    return valid_record(trial_id, source, title=title, sponsor=sponsor, **fields)


def planned(count: int, start: str) -> dict:
    return {"enrollment": {"count": count, "type": "ESTIMATED"}, "start_date": {"date": start}}


def in_(*countries: str) -> list[dict]:
    return [site(None, country=c) for c in countries]


def drugs(*names: str) -> list[dict]:
    return [intervention("DRUG", n) for n in names]


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
    assert found.evidence["links"] == [
        {
            "ids": ["ChiCTR2000031319", "NCT04346446"],
            "declared": "NCT04346446 lists ChiCTR2000031319 as its secondary id",
        }
    ]
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
    assert [x["declared"] for f in findings for x in f.evidence["links"]] == [
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
    assert joined(findings) == [["EUCTR2020-001246-18", "NCT04345991"]]


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


def test_a_declared_link_is_not_reported_again_as_found() -> None:
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


# --- found by record linkage: what links -----------------------------------------------------

STEROID_EU = trial(
    "EUCTR2020-001395-15-DK",
    "ictrp",
    title="Low dose hydrocortisone in patients with COVID-19 and severe oxygen deficiency – the "
    "COVID STEROID trial",
    official_title="Low dose hydrocortisone in patients with COVID-19 and severe hypoxia – the "
    "COVID STEROID trial - COVID-STEROID trial",
    sponsor="Deparment of Intensive Care, Rigshospitalet",
    sites=in_("Denmark"),
    interventions=drugs("Solu-Cortef (hydrocortisone sodium succinate)"),
    **planned(1000, "2020-04-06"),
)
STEROID_NCT = trial(
    "NCT04348305",
    "ictrp",
    title="Hydrocortisone for COVID-19 and Severe Hypoxia",
    official_title="Low-dose Hydrocortisone in Patients With COVID-19 and Severe Hypoxia - the "
    "COVID STEROID Trial",
    sponsor="Scandinavian Critical Care Trials Group",
    sites=in_("Denmark"),
    interventions=drugs("Hydrocortisone", "Placebo"),
    **planned(1000, "2020-04-17"),
)


def test_near_identical_titles_with_other_sponsors_link_and_explain_the_score() -> None:
    """EUCTR2020-001395-15 / NCT04348305 in the ICTRP export: the sponsors are written
    differently, the titles, acronym, size, start and country agree."""
    [found] = run(STEROID_EU, STEROID_NCT)
    assert (found.severity, found.key) == ("warning", "found")
    assert found.message == (
        "EUCTR2020-001395-15 and NCT04348305: look like one trial in ClinicalTrials.gov and EU "
        "CTR, and neither record names the other (score 14: titles 90% alike, acronym "
        "STEROID, enrollment 1000 in both, starts 11 days apart, countries Denmark, "
        "interventions hydrocortisone)"
    )
    [link] = found.evidence["links"]
    fields = link["fields"]
    assert {name: item["level"] for name, item in fields.items()} == {
        "title": "90%",
        "acronym": "shared",
        "sponsor": "other",
        "enrollment": "equal",
        "start": "within a month",
        "countries": "shared",
        "interventions": "shared",
    }
    assert fields["title"]["similarity"] == 0.9
    assert fields["sponsor"]["values"] == [
        "Deparment of Intensive Care, Rigshospitalet",
        "Scandinavian Critical Care Trials Group",
    ]
    assert all(item["weight"] == WEIGHTS[name][item["level"]] for name, item in fields.items())
    assert link["score"] == sum(item["weight"] for item in fields.values())
    assert link["score"] >= link["threshold"]


def test_a_title_prefix_with_the_same_sponsor_team_and_size_links() -> None:
    """ChiCTR2000030894 / NCT04310228: one title is the other's first half."""
    team = [person("Guiqiang Wang", "PUBLIC_CONTACT")]
    chictr = trial(
        "ChiCTR2000030894",
        "ictrp",
        title="Favipiravir Combined With Tocilizumab in the Treatment of novel coronavirus "
        "pneumonia (COVID-19) - A Multicenter, Randomized, Controlled Trial",
        sponsor="Peking University First Hospital",
        people=team,
        sites=in_("China"),
        **planned(150, "2020-03-01"),
    )
    nct = trial(
        "NCT04310228",
        "ictrp",
        title="Favipiravir Combined With Tocilizumab in the Treatment of Corona Virus Disease 2019",
        official_title="Favipiravir Combined With Tocilizumab in the Treatment of Corona Virus "
        "Disease 2019-A Multicenter, Randomized and Controlled Clinical Trial Study",
        sponsor="Peking University First Hospital",
        people=team,
        sites=in_("China"),
        **planned(150, "2020-03-08"),
    )
    [found] = run(chictr, nct)
    assert found.evidence["ids"] == ["ChiCTR2000030894", "NCT04310228"]
    assert "same people (guiqiang wang)" in found.message


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
    assert [(f.severity, f.key) for f in findings] == [("warning", "found")]
    assert findings[0].message.startswith(
        "CTRI/2020/04/024706 and NCT04346446: look like one trial in CTRI and "
        "ClinicalTrials.gov, and neither record names the other (score 16: same title, "
        "same sponsor, enrollment 40 in both, same start)"
    )


SOLIDARITY = (
    "An international randomised trial of additional treatments for COVID-19 in hospitalised "
    "patients who are all receiving the local standard of care"
)


def test_national_arms_of_an_international_trial_are_one_finding() -> None:
    """WHO's SOLIDARITY in the ICTRP export: the international registration, India's and the
    German and Czech EU CTR registrations (their own sponsors, sizes and countries) copy the
    protocol's title and its name."""
    who = {"sponsor": "World Health Organization", "interventions": drugs("Remdesivir")}
    records = [
        trial("ISRCTN83971151", "ictrp", title=SOLIDARITY, sites=in_("Canada", "India"), **who),
        trial("CTRI/2020/04/024773", "ictrp", title=f"{SOLIDARITY} - SOLIDARITY TRIAL", **who),
        trial(
            "EUCTR2020-001549-38-DE",
            "ictrp",
            title=f"{SOLIDARITY} - WHO-SOLIDARITY-GERMANY - WHO-SOLIDARITY-GERMANY",
            sponsor="Gesundheit Nord gGmbH",
            sites=in_("Germany"),
            **planned(800, "2020-06-29"),
        ),
        trial(
            "EUCTR2020-002060-31-CZ",
            "ictrp",
            title=f"{SOLIDARITY} - SOLIDARITY",
            sponsor="Masaryk University",
            sites=in_("Czech Republic"),
            **planned(100000, "2020-06-22"),
        ),
    ]
    [found] = run(*records)
    assert found.evidence["ids"] == [
        "CTRI/2020/04/024773",
        "EUCTR2020-001549-38",
        "EUCTR2020-002060-31",
        "ISRCTN83971151",
    ]
    assert found.message.startswith(
        "CTRI/2020/04/024773, EUCTR2020-001549-38, EUCTR2020-002060-31 and ISRCTN83971151: "
        "look like one trial in CTRI, EU CTR and ISRCTN ("
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
    assert [f.message.split(" (score")[0] for f in found] == [
        "ChiCTR2000029804 and ChiCTR2000029806: look like one trial registered twice in ChiCTR"
    ]


# --- found by record linkage: what does not link ---------------------------------------------


def test_a_trailing_label_is_ignored_across_registries_only() -> None:
    base = "An international randomised trial of additional treatments for COVID-19"
    labelled = trial(
        "CTRI/2020/04/024773",
        "ictrp",
        title=f"{base} - SOLIDARITY TRIAL",
        sponsor="World Health Organization",
    )
    isrctn = trial("ISRCTN83971151", "ictrp", title=base, sponsor="World Health Organization")
    assert len(run(labelled, isrctn)) == 1
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


def test_same_title_with_other_sponsor_size_and_start_is_no_duplicate() -> None:
    assert (
        run(
            trial("NCT04346446", **planned(40, "2020-04-20")),
            trial(
                "ChiCTR2000031319",
                "ictrp",
                sponsor="Renmin Hospital of Wuhan University",
                **planned(200, "2020-02-10"),
            ),
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


def _programme_part(trial_id: str, protocol: str, count: int, dose: str) -> dict:
    # Modelled on AllPublicXML's NCT00000757 and NCT00000956: two phase I protocols of one
    # HIV vaccine programme, registered under the programme's title with their own numbers.
    title = "A Phase I Multicenter Trial of the Safety and Immunogenicity of Vaccine gp99"
    return trial(
        trial_id,
        "ctgov-xml",
        title=title,
        official_title=title,
        sponsor="National Institute of Allergy and Infectious Diseases (NIAID)",
        secondary_ids=[protocol, f"1054{count % 10}"],
        enrollment={"count": count, "type": None},
        people=[person("Smith J", "OVERALL_OFFICIAL"), person("Jones ML", "OVERALL_OFFICIAL")],
        sites=in_("United States"),
        interventions=drugs(f"gp99 Vaccine {dose}"),
    )


@pytest.mark.parametrize(("first", "second"), [("AVEG 003A", "AVEG 003B"), ("048A", "048B")])
def test_parts_of_one_programme_with_their_own_protocol_numbers_stay_two(
    first: str, second: str
) -> None:
    # One title, sponsor, team and product, but protocol numbers of one series: two parts.
    one = _programme_part("NCT00000701", first, 30, "160 mcg")
    other = _programme_part("NCT00000902", second, 25, "640 mcg")
    assert run(one, other) == []


def test_one_protocol_registered_twice_still_links_within_a_registry() -> None:
    # The same protocol number on both sides (or none of a series) is no sign of two parts.
    one = _programme_part("NCT00000701", "AVEG 003A", 30, "160 mcg")
    again = _programme_part("NCT00000902", "AVEG 003A", 30, "160 mcg")
    assert joined(run(one, again)) == [["NCT00000701", "NCT00000902"]]


def test_short_titles_do_not_link() -> None:
    assert (
        run(
            trial("NCT04346446", title="COVID-19 Plasma Study", sponsor="A", **planned(9, "2020")),
            trial("CTRI/2020/04/024706", "ictrp", title="COVID-19 plasma study", sponsor="B"),
        )
        == []
    )


def test_titles_with_other_numbers_are_other_trials() -> None:
    """The benchmark's corpora title trials "A Study of Aspirin in Asthma (12345)": a number
    is no label, and one sponsor's two trials of one template stay two."""
    same = {"sponsor": "Coastal Pharmaceuticals", "sites": in_("Spain"), **planned(60, "2021-03")}
    one = trial("NCT10012345", title="A Study of Aspirin in Asthma (12345)", **same)
    other = trial("ChiCTR2100067890", "ictrp", title="A Study of Aspirin in Asthma (67890)", **same)
    assert run(one, other) == []


def test_a_product_name_is_no_trial_name() -> None:
    """EUCTR2020-001172-15 / NCT04287686: both titles mark "rhACE2", the drug, not a trial.
    Apeiron's multinational phase 2 and a withdrawn Guangzhou pilot are two trials."""
    title = "Recombinant human angiotensin-converting enzyme 2 (rhACE2) as a treatment for "
    eu = trial(
        "EUCTR2020-001172-15-AT",
        "ictrp",
        title=f"{title} patients with COVID-19 - APN01-01-COVID19",
        sponsor="APEIRON Biologics AG",
        sites=in_("Austria", "Germany"),
        interventions=drugs("rhACE2"),
        **planned(200, "2020-04-03"),
    )
    china = trial(
        "NCT04287686",
        "ictrp",
        title=f"{title} Patients With COVID-19",
        sponsor="The First Affiliated Hospital of Guangzhou Medical University",
        sites=in_("China"),
        interventions=drugs("rhACE2"),
        start_date={"date": "2020-02-01"},
        enrollment={"count": None},
    )
    assert run(eu, china) == []


def test_two_trials_of_one_treatment_and_size_by_other_sponsors_stay_two() -> None:
    """ChiCTR2000030138 / NCT04371601: mesenchymal stem cells for COVID-19 pneumonia, 60
    patients each, at the Chinese PLA General Hospital and at Fuzhou General Hospital: the
    shared word "General" makes no sponsors alike."""
    plan = {"sites": in_("China"), **planned(60, "2020-02-24")}
    pla = trial(
        "ChiCTR2000030138",
        "ictrp",
        title="Clinical Trial for Human Mesenchymal Stem Cells in the Treatment of Severe Novel "
        "Coronavirus Pneumonia (COVID-19)",
        sponsor="Chinese PLA General Hospital",
        interventions=drugs("Umbilical cord mesenchymal stem cells"),
        **plan,
    )
    fuzhou = trial(
        "NCT04371601",
        "ictrp",
        title="Safety and Effectiveness of Mesenchymal Stem Cells in the Treatment of Pneumonia "
        "of Coronavirus Disease 2019",
        sponsor="Fuzhou General Hospital",
        interventions=drugs("Mesenchymal stem cells"),
        **plan,
    )
    assert run(pla, fuzhou) == []


def test_a_shared_product_name_is_counted_once_as_an_intervention() -> None:
    """ISRCTN89951424 / NCT04444674: Oxford's ChAdOx1 nCoV-19 phase III in Brazil (COV003)
    and phase I/II in South Africa (COV005), 2,000 each: "ChAdOx1" marked in both titles is
    the vaccine, not a trial name."""
    vaccine = {"interventions": drugs("ChAdOx1 nCoV-19"), **planned(2000, "2020-06-15")}
    brazil = trial(
        "ISRCTN89951424",
        "ictrp",
        title="A phase III randomized controlled trial to determine safety, efficacy, and "
        "immunogenicity of the non-replicating ChAdOx1 nCoV-19 vaccine",
        sponsor="University of Oxford",
        sites=in_("Brazil"),
        **vaccine,
    )
    south_africa = trial(
        "NCT04444674",
        "ictrp",
        title="An Adaptive Phase I/II Randomized Placebo-controlled Trial to Determine Safety, "
        "Immunogenicity and Efficacy of Non-replicating ChAdOx1 SARS-CoV-2 Vaccine in South "
        "African Adults",
        sponsor="University of Witwatersrand, South Africa",
        collaborators=["University of Oxford"],
        sites=in_("South Africa"),
        **vaccine,
    )
    assert run(brazil, south_africa) == []


def _sister(trial_id: str, population: str, count: int, start: str, **more) -> dict:
    return trial(
        trial_id,
        "ictrp",
        title="A Phase III, Double-blind, Randomized, Placebo-controlled Multicentre Clinical "
        f"Trial to Assess the Efficacy and Safety of VPM1002 in {population} in the SARS-CoV-2 "
        "Pandemic",
        sponsor="Vakzine Projekt Management GmbH",
        sites=in_("Germany"),
        interventions=drugs("VPM1002"),
        **planned(count, start),
        **more,
    )


def test_a_record_like_two_sister_trials_joins_the_likelier() -> None:
    """EUCTR2020-001376-15 looks like both VPM1002 trials of its sponsor (NCT04387409 in
    healthcare workers, NCT04435379 in the elderly): it joins the first, and the two NCT
    trials, evidently two, are never one."""
    eu = _sister(
        "EUCTR2020-001376-15-DE",
        "Reducing Healthcare Professionals' Absenteeism",
        1200,
        "2020-05-13",
    )
    workers = _sister(
        "NCT04387409", "Reducing Healthcare Professionals' Absenteeism", 1200, "2020-05-25"
    )
    elderly = _sister(
        "NCT04435379",
        "Reducing Hospital Admissions and/or Severe Respiratory Infectious Diseases in Elderly",
        2038,
        "2020-06-01",
    )
    assert joined(run(eu, workers, elderly)) == [["EUCTR2020-001376-15", "NCT04387409"]]


@pytest.mark.parametrize(
    ("main", "other"),
    [
        # Coalition COVID-19 Brazil I (REBEC and NCT04322123) and II (NCT04321278)
        (
            (
                "NCT04322123",
                "Safety and Efficacy of Hydroxychloroquine Associated With Azithromycin in "
                "SARS-Cov-2 Virus (COVID-19)",
                630,
            ),
            (
                "NCT04321278",
                "Safety and Efficacy of Hydroxychloroquine Associated With Azithromycin in "
                "SARS-CoV2 Virus (Coalition Covid-19 Brasil II)",
                440,
            ),
        ),
        # AstraZeneca's acalabrutinib trials: ex-US (NCT04346199) and US (NCT04380688)
        (
            (
                "NCT04346199",
                "A Phase 2, Open Label, Randomized Study of the Efficacy and Safety of "
                "Acalabrutinib With Best Supportive Care in Subjects Hospitalized With COVID-19",
                140,
            ),
            (
                "NCT04380688",
                "A Phase 2, Open Label, Randomized Study of the Efficacy and Safety of "
                "Acalabrutinib With Best Supportive Care in Subjects Hospitalized With COVID-19",
                60,
            ),
        ),
    ],
)
def test_two_trials_of_one_registry_are_not_joined_through_a_third_record(
    main: tuple, other: tuple
) -> None:
    """A record of another registry that looks like both joins the likelier only."""
    shared = {"sponsor": "Hospital do Coracao", "interventions": drugs("Hydroxychloroquine")}
    third = trial("RBR-9d8z6m", "ictrp", title=main[1], **shared, **planned(main[2], "2020-04"))
    first = trial(main[0], title=main[1], **shared, **planned(main[2], "2020-04-01"))
    second = trial(
        other[0],
        title=other[1],
        **shared,
        sites=in_("United States"),
        **planned(other[2], "2020-04-01"),
    )
    assert joined(run(third, first, second)) == [sorted(["RBR-9d8z6m", main[0]])]


# --- real data -------------------------------------------------------------------------------


@pytest.mark.shared
def test_real_corpus(real_tables) -> None:
    findings = run_rules(real_tables, AS_OF, [all_rules()["duplicate-registration"]])
    # 57 title matches and 1 declared link before record linkage: the ICTRP export's
    # cross-registrations are now found (every pair added among DIRECCT's trials is judged in
    # tests/evaluation/duplicate_registration_pairs.csv).
    assert Counter((f.key, f.severity) for f in findings) == {
        ("found", "warning"): 174,
        ("declared", "info"): 1,
    }
    by_ids = {tuple(f.evidence["ids"]): f for f in findings}
    assert by_ids[("KCT0005105", "NCT04330586")].key == "found"
    linked = {i for ids in by_ids for i in ids}
    assert not {"NCT03795987", "NCT04040387"} <= linked  # NightWare pilot (15) and main (270)
    twice = sorted(ids for ids, f in by_ids.items() if "twice" in f.message)
    assert twice == [
        ("ChiCTR2000029954", "ChiCTR2000030545"),
        ("ChiCTR2000032367", "ChiCTR2000033318"),
        ("JPRN-UMIN000040353", "JPRN-UMIN000040520"),
    ]


@pytest.mark.shared
def test_blocking_stays_near_linear(real_tables) -> None:
    records = _records(real_tables.studies)
    pairs = _candidate_pairs(records)
    trials = records["canonical"].nunique()
    assert trials == 5900
    assert len(pairs) < 6 * trials  # 31,075 pairs; all pairs would be ~17 million


@pytest.mark.shared
def test_ictrp_and_ctgov_july_2020(data: Path) -> None:
    from audit.sources import import_file

    records = []
    for path in (data / ICTRP_JULY, data / CTGOV_JULY):
        records += [(f"{path.name}#{i}", r) for i, r in enumerate(import_file(path))]
    findings = run_rules(build_tables(records), AS_OF, [all_rules()["duplicate-registration"]])
    assert Counter((f.key, f.severity) for f in findings) == {
        ("declared", "info"): 52,
        ("found", "warning"): 140,
    }
    by_ids = {tuple(f.evidence["ids"]): f for f in findings}
    # ClinicalTrials.gov's "EudraCT 2020-001206-35" names the EU CTR record.
    assert by_ids[("EUCTR2020-001206-35", "NCT04353596")].key == "declared"
    linked = [set(ids) for ids in by_ids]
    for ids in [
        {"NCT04346199", "NCT04380688"},  # AstraZeneca's US and ex-US trials
        {"ChiCTR2000029804", "ChiCTR2000029805"},  # one programme title, two studies
        {"IRCT20081027001411N3", "IRCT20200404046947N1"},  # two different drugs
        {"NCT04324606", "NCT04400838"},  # Oxford's COV001 and COV002 vaccine trials
        {"NCT04324528", "NCT04385771"},  # CYCOV and CYCOV-II
        {"NCT04346446", "NCT04425915"},  # ILBS plasma pilot and its main trial
        {"EUCTR2020-001953-36", "NCT04432324"},  # Grifols: Prolastin vs IVIG
        {"ChiCTR2000030138", "NCT04371601"},  # stem cells at two PLA hospitals
        {"ISRCTN89951424", "NCT04444674"},  # Oxford's COV003 (Brazil) and COV005
    ]:
        assert not any(ids <= group for group in linked), ids
    solidarity = next(group for group in linked if "ISRCTN83971151" in group)
    assert {"CTRI/2020/04/024773", "EUCTR2020-001549-38", "LBCTR2020043495"} <= solidarity
