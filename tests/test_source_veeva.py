"""The ClinicalTrials.Veeva page importer, on the two seed pages and handwritten pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import parse_one, people_of

from audit.record import schema_errors
from audit.sources import SourceError, veeva

FIXTURES = Path(__file__).parent / "fixtures" / "veeva"
SEED_A = "000_a5dd055d1905e3cc.txt"
SEED_B = "002_02d79498381f5f1b.txt"


def load(path: Path) -> dict:
    return parse_one(veeva, path)


people = people_of


@pytest.fixture(scope="module")
def seed_a(seeds: Path) -> dict:
    return load(seeds / SEED_A)


@pytest.fixture(scope="module")
def seed_b(seeds: Path) -> dict:
    return load(seeds / SEED_B)


@pytest.mark.shared
def test_seed_a_identity_and_status(seed_a: dict) -> None:
    assert seed_a["source"] == "veeva"
    assert seed_a["trial_id"] == seed_a["nct_id"] == "NCT04441658"
    assert seed_a["secondary_ids"] == ["DFSC-2020(CR)-02"]
    assert seed_a["title"] == (
        "Efficacy and Safety of Umbilical Cord Mesenchymal Stem Cells Transplantation in "
        "Patients With Type 2 Diabetes Mellitus"
    )
    assert seed_a["official_title"] is None
    assert seed_a["sponsor"] == "Tongji University"
    assert seed_a["overall_status"] == "UNKNOWN"
    assert seed_a["status_text"] is None
    assert seed_a["last_known_status"] is None
    assert seed_a["status_verified"] is None
    assert seed_a["phases"] == ["PHASE1", "PHASE2"]
    assert seed_a["captured"] is None
    assert seed_a["first_posted"] is None and seed_a["last_update_posted"] is None
    assert seed_a["start_date"] == {"date": None, "type": None}
    assert seed_a["completion_date"] == {"date": None, "type": None}


@pytest.mark.shared
def test_seed_a_design(seed_a: dict) -> None:
    assert seed_a["study_type"] == "INTERVENTIONAL"
    assert seed_a["primary_purpose"] == "TREATMENT"
    assert seed_a["allocation"] == "RANDOMIZED"
    assert seed_a["intervention_model"] == "PARALLEL"
    assert seed_a["masking"] == "TRIPLE"
    assert seed_a["who_masked"] == []
    assert seed_a["enrollment"] == {"count": 30, "type": "ESTIMATED"}
    assert seed_a["stated_arm_count"] == 2
    assert seed_a["conditions"] == ["Mesenchymal Stem Cells", "Type 2 Diabetes"]
    assert seed_a["interventions"] == [
        {
            "type": "BIOLOGICAL",
            "name": "Umbilical Cord Mesenchymal Stem Cells",
            "description": None,
        },
        {"type": "BIOLOGICAL", "name": "saline", "description": None},
    ]


@pytest.mark.shared
def test_seed_a_arms(seed_a: dict) -> None:
    experimental, control = seed_a["arms"]
    assert experimental["label"] == "experimental group"
    assert experimental["type"] == "EXPERIMENTAL"
    assert experimental["description"].startswith("The volunteers of the experimental group")
    assert experimental["interventions"] == ["Biological: Umbilical Cord Mesenchymal Stem Cells"]
    assert experimental["planned_size"] is None
    assert control == {
        "label": "control group",
        "type": "PLACEBO_COMPARATOR",
        "description": "The control group will be given the same dose of saline containing "
        "human albumin.",
        "interventions": ["Biological: saline"],
        "planned_size": None,
    }


@pytest.mark.shared
def test_seed_a_eligibility_and_people(seed_a: dict) -> None:
    eligibility = seed_a["eligibility"]
    assert eligibility["sex"] == "ALL"
    assert (eligibility["min_age_years"], eligibility["max_age_years"]) == (30, 75)
    assert eligibility["healthy_volunteers"] is False
    assert len(eligibility["inclusion"]) == 5
    assert eligibility["inclusion"][0] == "Type 2 diabetes;"
    assert len(eligibility["exclusion"]) == 11
    assert eligibility["exclusion"][-1] == (
        "Patients who had received other stem cell therapy before screening."
    )
    assert people(seed_a) == [
        ("liu zhongmin", "CENTRAL_CONTACT", ["doctor"], None),
        ("wang congrong", "CENTRAL_CONTACT", ["doctor"], None),
    ]
    assert seed_a["sites"] == []
    assert seed_a["outcomes"] == []
    assert seed_a["descriptions"]["brief_summary"].startswith("This study is a 24-week")
    assert "(including insulin)" in seed_a["descriptions"]["detailed_description"]


@pytest.mark.shared
def test_seed_a_source_lines(seed_a: dict, seeds: Path) -> None:
    lines = (seeds / SEED_A).read_text(encoding="utf-8").splitlines()
    expected = {
        "trial_id": "NCT04441658",
        "title": "Efficacy and Safety",
        "sponsor": "Tongji University",
        "overall_status": "Unknown",
        "phases": "Phase",
        "enrollment": "30 estimated patients",
        "masking": "Triple Blind",
        "allocation": "Randomized",
        "intervention_model": "Parallel Assignment",
        "stated_arm_count": "30 participants in 2 patient groups",
        "eligibility.min_age_years": "30 to 75 years old",
        "people": "liu zhongmin",
    }
    for field_name, text in expected.items():
        assert text in lines[seed_a["source_lines"][field_name] - 1], field_name


@pytest.mark.shared
def test_seed_b(seed_b: dict) -> None:
    assert seed_b["trial_id"] == "NCT03943940"
    assert seed_b["secondary_ids"] == ["TNLS012019-TBG"]
    assert seed_b["sponsor"] == "Van Hanh General Hospital"
    assert seed_b["overall_status"] == "UNKNOWN"
    assert seed_b["phases"] == ["PHASE1", "PHASE2"]
    assert seed_b["allocation"] == "NON_RANDOMIZED"
    assert seed_b["masking"] == "NONE"
    assert seed_b["who_masked"] == []
    assert seed_b["intervention_model"] == "PARALLEL"
    assert seed_b["enrollment"] == {"count": 60, "type": "ESTIMATED"}
    assert seed_b["stated_arm_count"] == 2
    assert seed_b["conditions"] == ["Type 2 Diabetes Mellitus"]
    assert seed_b["interventions"] == [
        {"type": "BIOLOGICAL", "name": "BM-MNC and UC-MSC", "description": None},
        {"type": "OTHER", "name": "Control", "description": None},
    ]
    assert [(a["label"], a["type"], a["planned_size"]) for a in seed_b["arms"]] == [
        ("BM-MNC and UC-MSC", "EXPERIMENTAL", 30),
        ("Stand medicines", "OTHER", 30),
    ]
    assert seed_b["arms"][1]["interventions"] == ["Other: Control"]
    eligibility = seed_b["eligibility"]
    assert (eligibility["min_age_years"], eligibility["max_age_years"]) == (18, 70)
    assert eligibility["sex"] == "ALL" and eligibility["healthy_volunteers"] is False
    assert len(eligibility["inclusion"]) == 8 and len(eligibility["exclusion"]) == 12
    assert eligibility["inclusion"][-1].startswith("The patient is treated by two oral")
    assert people(seed_b) == [
        ("StemCellUnit VanHanh", "CENTRAL_CONTACT", [], None),
        ("Phuong Thi-Bich Le", "CENTRAL_CONTACT", ["MSc-MD"], None),
    ]
    summary = seed_b["descriptions"]["detailed_description"]
    assert summary.count("\n\n") == 3


@pytest.mark.shared
def test_sniff_seeds(seeds: Path) -> None:
    for name in sorted(p.name for p in seeds.glob("*.txt")):
        head = (seeds / name).read_text(encoding="utf-8")[:65536]
        assert veeva.sniff(seeds / name, head) == (name in (SEED_A, SEED_B)), name


def test_completed_three_arms_female() -> None:
    record = load(FIXTURES / "completed_three_arms.txt")
    assert record["trial_id"] == "NCT09000001"
    assert record["secondary_ids"] == ["NUH-GDM-2017-04", "2017-000123-45"]
    assert record["sponsor"] == "Northbridge University Hospital"
    assert record["overall_status"] == "COMPLETED"
    assert record["phases"] == ["PHASE3"]
    assert record["enrollment"] == {"count": 120, "type": "ACTUAL"}
    assert record["masking"] == "QUADRUPLE"
    assert record["stated_arm_count"] == 3
    assert [(a["label"], a["type"], a["planned_size"]) for a in record["arms"]] == [
        ("Metformin", "EXPERIMENTAL", 40),
        ("Sitagliptin", "ACTIVE_COMPARATOR", None),
        ("Placebo", "PLACEBO_COMPARATOR", None),
    ]
    assert [i["type"] for i in record["interventions"]] == ["DRUG", "DRUG", "OTHER"]
    eligibility = record["eligibility"]
    assert eligibility["sex"] == "FEMALE"
    assert (eligibility["min_age_years"], eligibility["max_age_years"]) == (18, None)
    assert eligibility["healthy_volunteers"] is True
    assert eligibility["inclusion"][0] == "Pregnant women at 24 to 32 weeks of gestation"
    assert len(eligibility["exclusion"]) == 3
    assert people(record) == [("Anna Berg", "CENTRAL_CONTACT", ["MD", "PhD"], None)]
    assert record["descriptions"]["detailed_description"] == (
        "Women were randomised in a 1:1:1 ratio.\nTreatment continued until delivery.\n\n"
        "Glucose control was assessed every two weeks."
    )


def test_reordered_crlf_page_without_design_or_contacts() -> None:
    path = FIXTURES / "reordered_crlf_minimal.txt"
    assert b"\r\n" in path.read_bytes()
    record = load(path)
    assert record["trial_id"] == "NCT09000002"
    assert record["secondary_ids"] == []
    assert record["title"] == "Exercise Coaching After Knee Replacement"
    assert record["sponsor"] == "Kestrel Rehabilitation Institute"
    assert record["overall_status"] == "ACTIVE_NOT_RECRUITING"
    assert record["phases"] == ["PHASE2"]
    assert record["enrollment"] == {"count": 30, "type": "ACTUAL"}
    assert record["source_lines"]["enrollment"] == 15
    assert record["eligibility"]["sex"] == "MALE"
    assert record["eligibility"]["min_age_years"] is None
    assert record["eligibility"]["max_age_years"] == 65
    assert record["eligibility"]["healthy_volunteers"] is None
    assert record["eligibility"]["exclusion"] == []
    assert record["conditions"] == ["Knee Osteoarthritis", "Total Knee Replacement"]
    assert record["interventions"] == [
        {"type": "BEHAVIORAL", "name": "Home exercise coaching", "description": None}
    ]
    for field_name in ("masking", "allocation", "intervention_model", "stated_arm_count"):
        assert record[field_name] is None, field_name
    assert record["arms"] == [] and record["people"] == []
    assert record["descriptions"]["detailed_description"] is None
    assert record["source_lines"]["trial_id"] == 13


def test_sham_crossover_and_several_contacts() -> None:
    record = load(FIXTURES / "sham_crossover.txt")
    assert record["overall_status"] == "NOT_YET_RECRUITING"
    assert record["phases"] == []
    assert record["sponsor"] == "Sunrise Children's Clinic"
    assert record["primary_purpose"] == "PREVENTION"
    assert record["intervention_model"] == "CROSSOVER"
    assert record["masking"] == "SINGLE"
    assert record["enrollment"] == {"count": 24, "type": "ESTIMATED"}
    assert record["eligibility"]["min_age_years"] == 0.5
    assert record["eligibility"]["max_age_years"] == 17
    arms = record["arms"]
    assert [(a["label"], a["type"]) for a in arms] == [
        ("Active then sham", "EXPERIMENTAL"),
        ("Sham then active", "SHAM_COMPARATOR"),
        ("Usual care", "NO_INTERVENTION"),
    ]
    assert arms[0]["interventions"] == ["Device: Active stimulation", "Device: Sham stimulation"]
    assert arms[1]["interventions"] == ["Device: Sham stimulation", "Device: Active stimulation"]
    assert arms[2]["interventions"] == [] and arms[2]["description"] == "Usual care only."
    assert people(record) == [
        ("Maria Lopez", "CENTRAL_CONTACT", ["RN"], None),
        ("Ken Ito", "CENTRAL_CONTACT", ["MD", "MPH"], None),
        ("Study Desk", "CENTRAL_CONTACT", [], None),
    ]
    assert record["descriptions"]["brief_summary"] == (
        "First paragraph of the summary.\n\nSecond paragraph of the summary."
    )


def test_not_a_veeva_page_is_a_source_error() -> None:
    path = FIXTURES / "not_a_trial.txt"
    assert not veeva.sniff(path, path.read_text(encoding="utf-8"))
    with pytest.raises(SourceError, match="no NCT identifier found"):
        veeva.parse(path, path.read_text(encoding="utf-8"))


def test_sniff_by_headings_without_site_name() -> None:
    head = "Some title\n\nStatus and phase\n\nRecruiting\n\nTrial design\n\nMasking\n"
    assert veeva.sniff(Path("x.txt"), head)
    assert not veeva.sniff(Path("x.txt"), "Status and phase only\n")


def test_unknown_words_become_null_not_errors() -> None:
    text = (
        "ClinicalTrials.Veeva\n\nOdd page\n\nStatus and phase\n\nPaused for lunch\n\n"
        "Identifiers\n\nNCT09000009\n\nEnrollment\n\nmany patients\n\nSex\n\nunclear\n\n"
        "Ages\n\nadults\n\nMasking\n\nwhatever\n\n2 participants in 1 patient group\n\n"
        "lonely line\n"
    )
    record = veeva.parse(Path("odd.txt"), text)[0]
    assert schema_errors(record) == []
    assert record["overall_status"] is None and record["status_text"] == "Paused for lunch"
    assert record["enrollment"] == {"count": None, "type": None}
    assert record["eligibility"]["sex"] is None
    assert record["eligibility"]["min_age_years"] is None
    assert record["masking"] is None
    assert record["stated_arm_count"] == 1 and record["arms"] == []
    assert record["sponsor"] is None and record["title"] == "Odd page"


def test_inline_headings_and_not_applicable_phase() -> None:
    text = (
        "ClinicalTrials.Veeva\n\nA title\n\nB\n\nBeta Sponsor\n\nStatus and phase\n\n"
        "Completed\nNot Applicable\n\nIdentifiers\n\nNCT09000010\n\n"
        "Sex Female\nAges 40 to 60 years old\nVolunteers Accepts Healthy Volunteers\n"
        "Masking None (Open label)\n\nInclusion criteria\n\n  • Sex hormones stable\n"
    )
    record = veeva.parse(Path("inline.txt"), text)[0]
    assert schema_errors(record) == []
    assert record["sponsor"] == "Beta Sponsor"
    assert record["overall_status"] == "COMPLETED" and record["phases"] == ["NA"]
    assert record["eligibility"]["sex"] == "FEMALE"
    assert (record["eligibility"]["min_age_years"], record["eligibility"]["max_age_years"]) == (
        40,
        60,
    )
    assert record["eligibility"]["healthy_volunteers"] is True
    assert record["masking"] == "NONE"
    assert record["eligibility"]["inclusion"] == ["Sex hormones stable"]
    assert record["source_lines"]["eligibility.sex"] == 18
