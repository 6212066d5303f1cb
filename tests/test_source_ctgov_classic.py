"""The classic ClinicalTrials.gov page importer, on the seed page and handwritten pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import parse_one, people_of

from audit.sources import SourceError, ctgov_classic

FIXTURES = Path(__file__).parent / "fixtures" / "ctgov_classic"
SEED = "001_4252685c35d04e8b.txt"


def load(path: Path) -> dict:
    return parse_one(ctgov_classic, path)


people = people_of


@pytest.fixture(scope="module")
def seed(seeds: Path) -> dict:
    return load(seeds / SEED)


@pytest.mark.shared
def test_seed_identity_status_and_dates(seed: dict) -> None:
    assert seed["source"] == "ctgov-classic"
    assert seed["trial_id"] == seed["nct_id"] == "NCT04216849"
    assert seed["secondary_ids"] == ["DFSC-2019(CR)-06"]
    title = (
        "Clinical Study of Umbilical Cord Mesenchymal Stem Cells in the Treatment of Type 2 "
        "Diabetic Nephropathy"
    )
    assert seed["title"] == seed["official_title"] == title
    assert seed["overall_status"] == "UNKNOWN"
    assert seed["status_text"] is None
    assert seed["last_known_status"] == "RECRUITING"
    assert seed["status_verified"] == "2020-06"
    assert seed["first_posted"] == "2020-01-03"
    assert seed["last_update_posted"] == "2020-12-17"
    assert seed["start_date"] == {"date": "2020-07-01", "type": "ACTUAL"}
    assert seed["primary_completion_date"] == {"date": "2022-02-01", "type": "ESTIMATED"}
    assert seed["completion_date"] == {"date": "2022-07-01", "type": "ESTIMATED"}
    assert seed["sponsor"] == "Shanghai East Hospital"
    assert seed["collaborators"] == []


@pytest.mark.shared
def test_seed_design(seed: dict) -> None:
    assert seed["study_type"] == "INTERVENTIONAL"
    assert seed["enrollment"] == {"count": 54, "type": "ESTIMATED"}
    assert seed["allocation"] == "RANDOMIZED"
    assert seed["intervention_model"] == "PARALLEL"
    assert seed["masking"] == "TRIPLE"
    assert seed["who_masked"] == ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"]
    assert seed["primary_purpose"] == "TREATMENT"
    assert seed["phases"] == ["PHASE1", "PHASE2"]
    assert seed["stated_arm_count"] is None
    assert seed["conditions"] == ["Type 2 Diabetes With Renal Manifestations"]
    assert seed["interventions"] == [
        {
            "type": "BIOLOGICAL",
            "name": "human umbilical cord mesenchymal stem cells",
            "description": "human umbilical cord mesenchymal stem cells were peripheral "
            "intravenous infused to experimental group",
        },
        {
            "type": "OTHER",
            "name": "saline",
            "description": "Saline solution containing human serum albumin will be infused to "
            "the control group",
        },
    ]


@pytest.mark.shared
def test_seed_arms_and_outcomes(seed: dict) -> None:
    experimental, control = seed["arms"]
    assert (experimental["label"], experimental["type"]) == ("experimental group", "EXPERIMENTAL")
    assert experimental["description"].startswith("The volunteers of the experimental group")
    assert experimental["interventions"] == [
        "Biological: human umbilical cord mesenchymal stem cells"
    ]
    assert experimental["planned_size"] is None
    assert (control["label"], control["type"]) == ("control group", "PLACEBO_COMPARATOR")
    assert control["interventions"] == ["Other: saline"]
    assert [(o["kind"], o["measure"], o["time_frame"]) for o in seed["outcomes"]] == [
        ("primary", "UACR", "48weeks after treatment"),
        ("other", "HbA1c", "48weeks after treatment"),
        ("other", "insulin/C peptide", "48weeks after treatment"),
        ("other", "insulin dosage", "48weeks after treatment"),
        ("other", "eGFR", "48weeks after treatment"),
    ]


@pytest.mark.shared
def test_seed_eligibility(seed: dict) -> None:
    eligibility = seed["eligibility"]
    assert (eligibility["min_age_years"], eligibility["max_age_years"]) == (30, 70)
    assert eligibility["sex"] == "ALL"
    assert eligibility["healthy_volunteers"] is False
    assert eligibility["inclusion"] == [
        "Type 2 diabetes mellitus",
        "Diabetes duration≤20 years",
        "18.5kg/m^2 ≤ BMI< 30 kg/m^2",
        "7.5%≤HbA1C≤10%",
        "UACR≥30mg/gCr",
        "eGFR ≥45/milliliter/1.73m^2",
    ]
    assert eligibility["exclusion"] == [
        "Type 1 diabetes mellitus",
        "tumor history",
        "Other causes of chronic kidney disease",
        "Abnormal liver function",
    ]


@pytest.mark.shared
def test_seed_people_and_site(seed: dict) -> None:
    assert people(seed) == [
        ("Congrong Wang", "CENTRAL_CONTACT", ["MD"], "wcr601@163.com"),
        ("Zhongming Liu", "CENTRAL_CONTACT", ["MD"], "liu.zhongmin@tongji.edu.cn"),
        ("Congrong Wang", "SITE_CONTACT", ["MD"], "wcr601@163.com"),
        ("Zhongming Liu", "OVERALL_OFFICIAL", ["MD"], None),
    ]
    assert seed["people"][0]["phone"] == "+86-021-38804518"
    assert seed["people"][2]["affiliation"] == "Shanghai East Hospital"
    assert seed["people"][3]["affiliation"] == "Shanghai East Hospital, Shanghai Tongji University"
    assert seed["sites"] == [
        {
            "facility": "Shanghai East Hospital",
            "city": "Shanghai",
            "state": "Shanghai",
            "zip": "200124",
            "country": "China",
            "status": "RECRUITING",
        }
    ]


@pytest.mark.shared
def test_seed_source_lines(seed: dict, seeds: Path) -> None:
    lines = (seeds / SEED).read_text(encoding="utf-8").splitlines()
    expected = {
        "trial_id": "ClinicalTrials.gov Identifier: NCT04216849",
        "title": "Clinical Study of Umbilical Cord",
        "overall_status": "Recruitment Status : Unknown",
        "last_known_status": "Recruitment status was: Recruiting",
        "status_verified": "Verified June 2020",
        "enrollment": "Estimated Enrollment",
        "masking": "Masking:",
        "allocation": "Allocation:",
        "phases": "Phase 1 Phase 2",
        "start_date": "Actual Study Start Date",
        "primary_completion_date": "Estimated Primary Completion Date",
        "completion_date": "Estimated Study Completion Date",
        "first_posted": "First Posted",
        "last_update_posted": "Last Update Posted",
        "secondary_ids": "DFSC-2019(CR)-06",
        "eligibility.min_age_years": "Ages Eligible",
        "sites": "Shanghai East Hospital | Recruiting",
        "outcomes": "UACR",
        "people": "Contact: Congrong Wang",
        "sponsor": "Responsible Party",
    }
    for field_name, text in expected.items():
        assert text in lines[seed["source_lines"][field_name] - 1], field_name


@pytest.mark.shared
def test_sniff_seeds(seeds: Path) -> None:
    for name in sorted(p.name for p in seeds.glob("*.txt")):
        head = (seeds / name).read_text(encoding="utf-8")[:65536]
        assert ctgov_classic.sniff(seeds / name, head) == (name == SEED), name


def test_completed_page_with_headings_and_two_countries() -> None:
    record = load(FIXTURES / "completed_with_headings.txt")
    assert record["trial_id"] == "NCT09100001"
    assert record["overall_status"] == "COMPLETED"
    assert record["last_known_status"] is None
    assert record["status_verified"] == "2019-04"
    assert record["first_posted"] == "2015-03-05"
    assert record["last_update_posted"] == "2019-05-02"
    assert record["sponsor"] == "Riverside Heart Foundation"
    assert record["collaborators"] == ["National Cardiology Network"]
    assert record["enrollment"] == {"count": 1240, "type": "ACTUAL"}
    assert record["masking"] == "DOUBLE"
    assert record["who_masked"] == ["PARTICIPANT", "OUTCOMES_ASSESSOR"]
    assert record["primary_purpose"] == "PREVENTION"
    assert record["phases"] == ["PHASE3"]
    assert record["start_date"] == {"date": "2015-04", "type": "ACTUAL"}
    assert record["completion_date"] == {"date": "2018-06-30", "type": "ACTUAL"}
    assert record["secondary_ids"] == ["RHF-2015-01", "R01HL000001"]
    assert record["descriptions"]["brief_summary"] == (
        "This study compares two aspirin doses after coronary stenting.\n\n"
        "Patients are followed for one year."
    )
    assert [(a["label"], a["type"], a["interventions"]) for a in record["arms"]] == [
        ("Low dose", "EXPERIMENTAL", ["Drug: Aspirin 81 mg"]),
        ("High dose", "ACTIVE_COMPARATOR", ["Drug: Aspirin 325 mg"]),
        ("Placebo", "PLACEBO_COMPARATOR", ["Drug: Placebo"]),
    ]
    assert [(i["name"], i["description"]) for i in record["interventions"]] == [
        ("Aspirin 81 mg", "one tablet daily"),
        ("Aspirin 325 mg", "one tablet daily"),
        ("Placebo", "matching tablet"),
    ]
    assert [(o["kind"], o["measure"]) for o in record["outcomes"]] == [
        ("primary", "Major adverse cardiac events"),
        ("primary", "Stent thrombosis"),
        ("secondary", "Major bleeding"),
    ]
    assert record["eligibility"]["min_age_years"] == 18
    assert record["eligibility"]["max_age_years"] is None
    assert record["eligibility"]["inclusion"] == [
        "Coronary stent placed in the last 72 hours",
        "Able to take aspirin",
    ]
    assert [
        (s["facility"], s["city"], s["state"], s["zip"], s["country"], s["status"])
        for s in record["sites"]
    ] == [
        ("Riverside Heart Center", "Columbus", "Ohio", "43210", "United States", None),
        ("Hôpital Saint-Louis", "Paris", None, "75010", "France", None),
    ]
    assert people(record) == [
        ("Claire Martin", "SITE_INVESTIGATOR", ["MD"], None),
        ("Robert King", "OVERALL_OFFICIAL", ["MD", "PhD"], None),
        ("Lena Ortiz", "OVERALL_OFFICIAL", [], None),
    ]
    assert record["people"][0]["affiliation"] == "Hôpital Saint-Louis"


def test_recruiting_crlf_page_with_two_sites_and_two_statuses() -> None:
    path = FIXTURES / "recruiting_two_sites_crlf.txt"
    assert b"\r\n" in path.read_bytes()
    record = load(path)
    assert record["overall_status"] == "RECRUITING"
    assert record["status_verified"] == "2021-07"
    assert record["source_lines"]["status_verified"] == 52
    assert record["phases"] == ["NA"]
    assert record["allocation"] == "NA"
    assert record["intervention_model"] == "SINGLE_GROUP"
    assert record["masking"] == "NONE" and record["who_masked"] == []
    assert record["primary_purpose"] == "SUPPORTIVE_CARE"
    assert record["primary_completion_date"] == {"date": "2022-12", "type": "ESTIMATED"}
    assert record["eligibility"]["sex"] == "FEMALE"
    assert (record["eligibility"]["min_age_years"], record["eligibility"]["max_age_years"]) == (
        18,
        50,
    )
    assert record["outcomes"] == [
        {"kind": "primary", "measure": "Pain score", "time_frame": "12 weeks"}
    ]
    assert [
        (s["facility"], s["city"], s["zip"], s["country"], s["status"]) for s in record["sites"]
    ] == [
        ("Lakeside Women's Clinic", "Uppsala", "752 37", "Sweden", "RECRUITING"),
        ("Northern Clinic", "Umeå", None, "Sweden", "NOT_YET_RECRUITING"),
    ]
    assert people(record) == [
        ("Sara Holm", "CENTRAL_CONTACT", ["RN"], "sara.holm@example.org"),
        ("Jon Berg", "CENTRAL_CONTACT", [], "jon.berg@example.org"),
        ("Sara Holm", "SITE_CONTACT", ["RN"], "sara.holm@example.org"),
        ("Eva Lind", "SITE_INVESTIGATOR", ["MD"], None),
        ("Jon Berg", "SITE_CONTACT", [], "jon.berg@example.org"),
    ]
    assert record["people"][0]["phone"] == "555-0100 ext 12"
    assert record["people"][4]["affiliation"] == "Northern Clinic"
    assert record["sponsor"] == "Lakeside Women's Clinic"


def test_sparse_reordered_page() -> None:
    record = load(FIXTURES / "terminated_sparse.txt")
    assert record["trial_id"] == "NCT09100003"
    assert record["title"] == "Vitamin D in Children With Asthma"
    assert record["source_lines"]["title"] == 3
    assert record["overall_status"] == "TERMINATED"
    assert record["enrollment"] == {"count": 12, "type": "ACTUAL"}
    assert record["start_date"] == {"date": "2016-09", "type": None}
    assert record["completion_date"] == {"date": None, "type": None}
    assert record["eligibility"]["max_age_years"] == 17
    assert record["eligibility"]["min_age_years"] is None
    assert record["secondary_ids"] == ["VITD-KIDS", "16-0042"]
    assert record["last_update_posted"] == "2018-01-09"
    for field_name in ("phases", "arms", "outcomes", "people", "sites", "conditions"):
        assert record[field_name] == [], field_name
    assert record["sponsor"] is None and record["status_verified"] is None


def test_not_a_classic_page_is_a_source_error() -> None:
    path = FIXTURES / "not_a_trial.txt"
    with pytest.raises(SourceError, match="no NCT identifier found"):
        ctgov_classic.parse(path, path.read_text(encoding="utf-8"))
    with pytest.raises(SourceError, match="no NCT identifier found"):
        ctgov_classic.parse(Path("random.txt"), "lorem ipsum\ndolor sit amet\n")


def test_sniff() -> None:
    head = "T\nClinicalTrials.gov Identifier: NCT01234567 |\nRecruitment Status : Completed\n"
    assert ctgov_classic.sniff(Path("x.txt"), head)
    assert not ctgov_classic.sniff(Path("x.txt"), "ClinicalTrials.Veeva\nStatus and phase\n")
