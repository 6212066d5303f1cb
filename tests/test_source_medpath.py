"""The MedPath page importer, on the two seed captures in ../shared/seeds and on handwritten
fixtures (invented trials) that vary the layout: "- " markers or not, CRLF, lost criteria
headings, reordered and missing sections, glued or spaced table cells."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.record import schema_errors
from audit.sources import SourceError, medpath, read_text
from audit.sources.medpath import (
    Item,
    Line,
    parse_arm_table,
    split_headless_criteria,
    split_outcome_row,
)

FIXTURES = Path(__file__).parent / "fixtures" / "medpath"
SEED_003 = "003_7a11bbe47b24feb4.txt"
SEED_004 = "004_11d9bfb7f414fa0f.txt"


def load(path: Path) -> dict:
    text = read_text(path)
    assert medpath.sniff(path, text[:65536]), f"{path} not recognized as MedPath"
    records = medpath.parse(path, text)
    assert len(records) == 1
    record = records[0]
    assert schema_errors(record) == []
    return record


def parse_text(text: str, name: str = "page.txt") -> dict:
    (record,) = medpath.parse(Path(name), text)
    assert schema_errors(record) == []
    return record


def rows(*lines: str) -> list[Line]:
    return [Line(number, text) for number, text in enumerate(lines, start=1)]


@pytest.fixture(scope="module")
def seed_003(seeds: Path) -> dict:
    return load(seeds / SEED_003)


@pytest.fixture(scope="module")
def seed_004(seeds: Path) -> dict:
    return load(seeds / SEED_004)


# --- seed 003: headings on their own lines, glued table cells ------------------------------


@pytest.mark.shared
def test_seed_003_identity_and_status(seed_003: dict) -> None:
    record = seed_003
    assert record["source"] == "medpath"
    assert record["trial_id"] == "NCT01219465"
    assert record["nct_id"] == "NCT01219465"
    assert record["title"] == (
        "Umbilical Cord Mesenchymal Stem Cells Infusion for Initial Type 1 Diabetes Mellitus"
    )
    assert record["overall_status"] == "UNKNOWN"
    assert record["status_text"] is None
    assert record["phases"] == ["PHASE1"]
    assert record["study_type"] == "INTERVENTIONAL"
    assert record["intervention_model"] == "SINGLE_GROUP"
    assert record["enrollment"] == {"count": 50, "type": None}
    assert record["sponsor"] == "Qingdao University"
    assert record["conditions"] == [
        "Diabetes Mellitus",
        "Diabetes Mellitus, Type 1",
        "Mesenchymal Stem Cells",
        "Umbilical Cord",
    ]
    assert record["interventions"] == [
        {
            "type": "BIOLOGICAL",
            "name": "umbilical cord mesenchymal stem cells",
            "description": None,
        },
    ]
    assert record["descriptions"]["brief_summary"].startswith("The purpose of this study")
    assert record["descriptions"]["detailed_description"].startswith("Type 1 diabetes mellitus")


@pytest.mark.shared
def test_seed_003_eligibility(seed_003: dict) -> None:
    eligibility = seed_003["eligibility"]
    assert eligibility["sex"] == "ALL"
    assert eligibility["min_age_years"] is None
    assert eligibility["max_age_years"] is None
    assert len(eligibility["inclusion"]) == 2
    assert len(eligibility["exclusion"]) == 7
    assert eligibility["inclusion"][0] == (
        "Confirmed diagnosis of type 1 diabetes by ADA criteria less than 9 weeks."
    )
    assert eligibility["exclusion"][-1] == "Presence of malignancy."


@pytest.mark.shared
def test_seed_003_arm_outcomes_and_site(seed_003: dict) -> None:
    assert seed_003["arms"] == [
        {
            "label": "umbilical cord mesenchymal stem cells",
            "type": None,
            "description": (
                "Intravenous infusion of ex vivo cultured umbilical cord mesenchymal stem cells"
            ),
            "interventions": ["umbilical cord mesenchymal stem cells"],
            "planned_size": None,
        }
    ]
    outcomes = seed_003["outcomes"]
    assert [o["kind"] for o in outcomes] == ["primary"] + ["secondary"] * 5
    assert {o["time_frame"] for o in outcomes} == {"3 months"}
    assert outcomes[0]["measure"] == "C peptide release test"
    assert outcomes[-1]["measure"] == "Number of severe and documented hypoglycemic events"
    assert seed_003["sites"] == [
        {
            "facility": (
                "Stem Cell Research Center of Medical School Hospital of Qingdao University"
            ),
            "city": "Qingdao",
            "state": "Shandong",
            "zip": None,
            "country": "China",
            "status": None,
        }
    ]


@pytest.mark.shared
def test_seed_003_source_lines(seed_003: dict, seeds: Path) -> None:
    lines = (seeds / SEED_003).read_text(encoding="utf-8").splitlines()
    where = seed_003["source_lines"]
    assert lines[where["trial_id"] - 1] == "NCT01219465"
    assert lines[where["title"] - 1].startswith("Umbilical Cord Mesenchymal")
    assert lines[where["overall_status"] - 1] == "UNKNOWN"
    assert lines[where["enrollment"] - 1] == "50"
    assert lines[where["phases"] - 1] == "Phase 1"
    assert lines[where["intervention_model"] - 1] == "SINGLE_GROUP"
    assert lines[where["arms"] - 1].startswith("umbilical cord mesenchymal stem cellsumbilical")
    assert lines[where["sites"] - 1].startswith("Stem Cell Research Center")


# --- seed 004: "- " markers, lost criteria headings, one-line arm table -------------------


@pytest.mark.shared
def test_seed_004_identity_and_design(seed_004: dict) -> None:
    record = seed_004
    assert record["trial_id"] == "NCT06751199"
    assert record["nct_id"] == "NCT06751199"
    assert record["title"] == (
        "UCMSCs Combined With Allogeneic Islet Transplantation for the Treatment of Diabetes"
    )
    assert record["overall_status"] == "RECRUITING"
    assert record["enrollment"] == {"count": 16, "type": None}
    assert record["intervention_model"] == "PARALLEL"
    assert record["study_type"] == "INTERVENTIONAL"
    assert record["phases"] == []
    assert record["sponsor"] == "Shanghai Changzheng Hospital"
    assert record["conditions"] == ["Diabetes"]
    assert record["interventions"] == [
        {"type": "DRUG", "name": "allogeneic islet", "description": None},
    ]


@pytest.mark.shared
def test_seed_004_arms_keep_the_unlisted_intervention(seed_004: dict) -> None:
    arms = seed_004["arms"]
    assert len(arms) == 2
    experimental, comparator = arms
    assert experimental["type"] == "EXPERIMENTAL"
    assert experimental["interventions"] == [
        "human umbilical cord mesenchymal stem cells",
        "allogeneic islet",
    ]
    assert experimental["description"] == "allogeneic islet combined with hUCMSCs"
    assert experimental["label"] == "allogeneic islet combined with hUCMSCs"
    assert comparator["type"] == "ACTIVE_COMPARATOR"
    assert comparator["interventions"] == ["allogeneic islet"]
    assert comparator["description"] == "allogeneic islet"
    assert comparator["label"] == "allogeneic islet"


@pytest.mark.shared
def test_seed_004_eligibility_without_headings(seed_004: dict) -> None:
    eligibility = seed_004["eligibility"]
    assert eligibility["sex"] == "ALL"
    # "Aged 18-70" is criteria text, not a structured age field: ages stay unknown.
    assert eligibility["min_age_years"] is None
    assert eligibility["max_age_years"] is None
    assert len(eligibility["inclusion"]) == 5
    assert len(eligibility["exclusion"]) == 12
    assert eligibility["inclusion"][1] == "Aged 18-70, no gender restriction."
    assert eligibility["inclusion"][3].startswith("Meets the indications for islet")
    assert "ii. Type 2 diabetes" in eligibility["inclusion"][3]
    assert eligibility["exclusion"][0] == "Diabetic ketoacidosis that is not yet controlled."
    assert eligibility["exclusion"][-1].startswith("Any other clinical conditions")


@pytest.mark.shared
def test_seed_004_outcomes_and_site(seed_004: dict) -> None:
    outcomes = seed_004["outcomes"]
    assert [(o["kind"], o["measure"], o["time_frame"]) for o in outcomes] == [
        (
            "primary",
            "Safety assessment: Registration of adverse events",
            "Throughout the study until Week 52",
        ),
        (
            "primary",
            "Efficacy Assessment: Evaluation of islet function",
            "Throughout the study until Week 52",
        ),
        ("secondary", "Efficacy Assessment: HbA1c", "Week 52"),
        ("secondary", "Dose of exogenous insulin", "Week 52"),
    ]
    assert seed_004["sites"] == [
        {
            "facility": "Shanghai Changzheng Hospital",
            "city": "Shanghai",
            "state": "Shanghai",
            "zip": None,
            "country": "China",
            "status": None,
        }
    ]


@pytest.mark.shared
def test_seed_004_source_lines(seed_004: dict, seeds: Path) -> None:
    lines = (seeds / SEED_004).read_text(encoding="utf-8").splitlines()
    where = seed_004["source_lines"]
    assert lines[where["trial_id"] - 1] == "- NCT06751199"
    assert lines[where["overall_status"] - 1] == "- RECRUITING"
    assert lines[where["enrollment"] - 1] == "- 16"
    assert lines[where["intervention_model"] - 1] == "- PARALLEL"
    assert lines[where["arms"] - 1].startswith("Group Intervention Description Experimental")
    assert lines[where["eligibility.inclusion"] - 1].startswith("Meets the 1999")
    assert lines[where["eligibility.exclusion"] - 1].startswith("- Diabetic ketoacidosis")
    assert "phases" not in where


@pytest.mark.shared
def test_seed_layout_variants_give_the_same_record(seeds: Path, seed_003: dict) -> None:
    """003 re-captured with CRLF, "- " markers on every label and value and doubled blank
    lines reads the same (apart from line numbers)."""
    text = (seeds / SEED_003).read_text(encoding="utf-8")
    variant = []
    for line in text.splitlines():
        stripped = line.strip()
        marked = f"- {stripped}" if stripped and not stripped.startswith("•") else line
        variant += [marked, ""]
    record = parse_text("\r\n".join(variant))
    for field in (
        "trial_id",
        "title",
        "overall_status",
        "phases",
        "enrollment",
        "arms",
        "outcomes",
        "sites",
        "eligibility",
        "interventions",
        "conditions",
        "sponsor",
        "intervention_model",
        "study_type",
    ):
        assert record[field] == seed_003[field], field


@pytest.mark.shared
def test_other_seed_pages_are_not_medpath(seeds: Path) -> None:
    for name in (
        "000_a5dd055d1905e3cc.txt",
        "001_4252685c35d04e8b.txt",
        "002_02d79498381f5f1b.txt",
    ):
        path = seeds / name
        assert not medpath.sniff(path, read_text(path)[:65536]), name


# --- handwritten fixtures -----------------------------------------------------------------


def test_fixture_completed_three_arms_crlf() -> None:
    path = FIXTURES / "completed_three_arms.txt"
    assert b"\r\n" in path.read_bytes()
    record = load(path)
    assert record["trial_id"] == record["nct_id"] == "NCT09990001"
    assert record["overall_status"] == "COMPLETED"
    assert record["phases"] == ["PHASE2", "PHASE3"]
    assert record["enrollment"]["count"] == 240
    assert record["descriptions"]["detailed_description"] is None
    assert record["descriptions"]["brief_summary"].startswith("This invented trial")
    assert [(a["type"], a["interventions"], a["description"]) for a in record["arms"]] == [
        ("EXPERIMENTAL", ["Glukinase"], "Glukinase 50 mg twice daily"),
        ("EXPERIMENTAL", ["Glukinase", "Metformin"], "Glukinase plus Metformin"),
        ("PLACEBO_COMPARATOR", ["Placebo"], "Placebo twice daily"),
    ]
    assert record["eligibility"]["inclusion"] == [
        "Adults with type 2 diabetes for at least 6 months.",
        "HbA1c between 7.0% and 10.5% at screening.",
        "Stable diet and exercise for 8 weeks:\npatients already on metformin must keep the "
        "same dose.",
    ]
    assert record["eligibility"]["exclusion"] == [
        "Type 1 diabetes.",
        "eGFR below 45 mL/min/1.73 m2.",
    ]
    assert [(o["kind"], o["measure"], o["time_frame"]) for o in record["outcomes"]] == [
        ("primary", "Change From Baseline in HbA1c at Week 24", "Week 24"),
        ("secondary", "Fasting plasma glucose", "Baseline to Week 24"),
        ("secondary", "Number of participants with hypoglycaemia", "Up to 28 days after last dose"),
        ("secondary", "Body weight", None),
    ]
    assert [
        (s["facility"], s["city"], s["state"], s["zip"], s["country"]) for s in record["sites"]
    ] == [
        ("Northside Diabetes Centre", "London", "England", None, "United Kingdom"),
        ("Clinique du Lac", "Annecy", "Auvergne-Rhône-Alpes", None, "France"),
        ("Example Research Site 12", "Boston", "Massachusetts", "02115", "United States"),
    ]
    assert record["source_lines"]["phases"] == 2
    assert record["source_lines"]["overall_status"] == 19


def test_fixture_non_nct_registration_without_locations() -> None:
    record = load(FIXTURES / "chictr_no_locations.txt")
    assert record["trial_id"] == "ChiCTR2100045678"
    assert record["nct_id"] is None
    assert record["overall_status"] == "NOT_YET_RECRUITING"
    assert record["phases"] == ["PHASE2"]
    assert record["enrollment"] == {"count": 1200, "type": None}
    assert record["eligibility"]["sex"] == "FEMALE"
    assert record["eligibility"]["min_age_years"] is None  # "Aged 20 to 65" is criteria text
    assert len(record["eligibility"]["inclusion"]) == 2
    assert record["eligibility"]["exclusion"] == ["Previous gastric surgery."]
    assert record["interventions"] == [
        {"type": "PROCEDURE", "name": "acupuncture", "description": None},
        {"type": "DEVICE", "name": "sham acupuncture", "description": None},
    ]
    assert [
        (a["label"], a["type"], a["interventions"], a["description"]) for a in record["arms"]
    ] == [
        ("acupuncture group", None, ["acupuncture"], "Manual acupuncture three times a week"),
        ("sham group", None, ["sham acupuncture"], "Non-penetrating needles at the same points"),
    ]
    assert [(o["measure"], o["time_frame"]) for o in record["outcomes"]] == [
        ("Gastric emptying half-time", "Week 8"),
        ("Symptom score", "Baseline and 12 weeks"),
        ("Patient satisfaction", None),
    ]
    assert record["sites"] == []
    assert "sites" not in record["source_lines"]
    assert record["descriptions"]["detailed_description"] == (
        "Participants are randomised 1:1.\nTreatment lasts 8 weeks."
    )


def test_fixture_reordered_sparse_page() -> None:
    record = load(FIXTURES / "reordered_sparse.txt")
    assert record["trial_id"] == "EUCTR2019-001234-56"
    assert record["nct_id"] is None
    assert record["title"] == "Vitamin D Supplementation in Older Adults"
    assert record["overall_status"] is None
    assert record["status_text"] == "Closed to accrual"
    assert record["sponsor"] == "Example Research Foundation"
    assert record["interventions"] == [
        {"type": "DIETARY_SUPPLEMENT", "name": "cholecalciferol", "description": None},
    ]
    assert record["intervention_model"] == "SINGLE_GROUP"
    assert record["phases"] == []
    assert record["arms"] == []
    assert record["outcomes"] == []
    assert record["enrollment"] == {"count": None, "type": None}
    assert record["eligibility"]["inclusion"] == record["eligibility"]["exclusion"] == []
    assert [(s["facility"], s["city"], s["state"], s["country"]) for s in record["sites"]] == [
        ("City Hospital North", "Oslo", None, "Norway"),
        ("University Clinic", "Bergen", "Vestland", "Norway"),
    ]


# --- errors and sniffing ------------------------------------------------------------------


def test_text_that_is_not_a_medpath_page_is_an_error() -> None:
    with pytest.raises(SourceError, match="not a MedPath trial page"):
        medpath.parse(Path("notes.txt"), "Shopping list\nmilk\neggs\n")


def test_medpath_page_without_registration_number_is_an_error() -> None:
    text = "MedPath\nSome Trial\nConditions\nAsthma\nLead Sponsor\nSomeone\n"
    with pytest.raises(SourceError, match="Registration Number"):
        medpath.parse(Path("page.txt"), text)


def test_sniff() -> None:
    assert medpath.sniff(Path("x.txt"), "MedPath\nTitle\n")
    assert medpath.sniff(Path("x.txt"), "- Registration Number\n- X\nRecruitment & Eligibility\n")
    assert not medpath.sniff(Path("x.txt"), "ClinicalTrials.Veeva\nMenu\n")
    assert not medpath.sniff(Path("x.txt"), "Registration Number\nNCT01234567\n")


def test_registration_number_with_extra_ids_and_status_words() -> None:
    text = (
        "MedPath\nA Trial\nRegistration Number\nNCT01234567\nABC-123\nRecruitment & Eligibility\n"
        "Status\nActive, not recruiting\nTarget Recruitment\n30 participants\n"
    )
    record = parse_text(text)
    assert record["trial_id"] == "NCT01234567"
    assert record["secondary_ids"] == ["ABC-123"]
    assert record["overall_status"] == "ACTIVE_NOT_RECRUITING"
    assert record["enrollment"]["count"] == 30


# --- the table splitters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "glued", "expected"),
    [
        ("C peptide release test3 months", True, ("C peptide release test", "3 months")),
        ("Adverse eventsWeek 52Number of events", True, ("Adverse events", "Week 52")),
        (
            "Safety assessment: Registration of adverse events Throughout the study until Week 52 "
            "Changes since baseline.",
            False,
            (
                "Safety assessment: Registration of adverse events",
                "Throughout the study until Week 52",
            ),
        ),
        (
            "Efficacy Assessment: HbA1c Week 52 Changes in HbA1c from baseline",
            False,
            ("Efficacy Assessment: HbA1c", "Week 52"),
        ),
        (
            "Change From Baseline in HbA1c at Week 12 Week 12 Mean change",
            False,
            ("Change From Baseline in HbA1c at Week 12", "Week 12"),
        ),
        ("Pain score Day 1 to Day 28 VAS", False, ("Pain score", "Day 1 to Day 28")),
        ("Weight Baseline, Week 4, Week 12 kg", False, ("Weight", "Baseline, Week 4, Week 12")),
        (
            "Overall survival Through study completion, an average of 1 year",
            False,
            ("Overall survival", "Through study completion, an average of 1 year"),
        ),
        (
            "Area under curve 0-120 min 52 weeks MMTT",
            False,
            ("Area under curve 0-120 min", "52 weeks"),
        ),
        (
            "Incidence of AEs 6 months after transplantation Recorded",
            False,
            ("Incidence of AEs", "6 months after transplantation"),
        ),
        ("Quality of life", False, ("Quality of life", None)),
        (
            "Insulin independence rate at 1 year",
            False,
            ("Insulin independence rate at 1 year", None),
        ),
    ],
)
def test_split_outcome_row(row: str, glued: bool, expected: tuple) -> None:
    assert split_outcome_row(row, glued) == expected


def arms_of(lines: list[str], known: list[str]) -> list[tuple]:
    return [
        (a["label"], a["type"], a["interventions"], a["description"])
        for a in parse_arm_table(rows(*lines), known)
    ]


def test_arm_table_learns_an_unlisted_intervention_from_the_repeated_description() -> None:
    line = (
        "Group Intervention Description Experimental human umbilical cord mesenchymal stem "
        "cells allogeneic islet combined with hUCMSCs Experimental allogeneic islet "
        "allogeneic islet combined with hUCMSCs Comparator allogeneic islet allogeneic islet"
    )
    expected = [
        (
            "allogeneic islet combined with hUCMSCs",
            "EXPERIMENTAL",
            ["human umbilical cord mesenchymal stem cells", "allogeneic islet"],
            "allogeneic islet combined with hUCMSCs",
        ),
        ("allogeneic islet", "ACTIVE_COMPARATOR", ["allogeneic islet"], "allogeneic islet"),
    ]
    assert arms_of([line], ["allogeneic islet"]) == expected
    # Without any known name, the shared trailing description still splits the rows.
    assert arms_of([line], []) == expected


def test_arm_table_label_rows_glued_and_spaced() -> None:
    glued = [
        "GroupInterventionDescription",
        "High doseDrug XDrug X 20 mg daily",
        "PlaceboPlaceboPlacebo tablets",
    ]
    assert arms_of(glued, ["Drug X", "Placebo"]) == [
        ("High dose", None, ["Drug X"], "Drug X 20 mg daily"),
        ("Placebo", None, ["Placebo"], "Placebo tablets"),
    ]
    # No Interventions section: a label written twice is label and intervention.
    spaced = ["Group Intervention Description", "stem cells stem cells Intravenous infusion"]
    assert arms_of(spaced, []) == [
        ("stem cells", None, ["stem cells"], "Intravenous infusion"),
    ]


def test_arm_table_rows_on_their_own_lines_and_no_intervention_arm() -> None:
    lines = [
        "Group Intervention Description",
        "Experimental Metformin Metformin plus lifestyle",
        "Experimental Lifestyle advice Metformin plus lifestyle",
        "No Intervention Usual care",
    ]
    assert arms_of(lines, ["Metformin", "Lifestyle advice"]) == [
        (
            "Metformin plus lifestyle",
            "EXPERIMENTAL",
            ["Metformin", "Lifestyle advice"],
            "Metformin plus lifestyle",
        ),
        ("Usual care", "NO_INTERVENTION", [], "Usual care"),
    ]


def test_arm_table_row_that_cannot_be_split_is_kept_whole() -> None:
    assert arms_of(["Group Intervention Description Something odd"], ["Drug X"]) == [
        ("Something odd", None, [], None),
    ]
    assert arms_of(["Group Intervention Description Experimental unknown thing"], []) == [
        ("unknown thing", "EXPERIMENTAL", [], None),
    ]


def test_headless_criteria_split_by_list_style() -> None:
    blocks = [Item("a", 1, "block"), Item("b", 3, "block")]
    lines = [Item("c", 5, "inline"), Item("d", 6, "inline")]
    assert split_headless_criteria(blocks + lines) == (blocks, lines)
    # One style only: cannot tell where exclusion starts, so all stays inclusion.
    assert split_headless_criteria(lines) == (lines, [])


def test_structured_age_field_is_read_when_present() -> None:
    text = (
        "MedPath\nT\nRegistration Number\nNCT01234567\nRecruitment & Eligibility\n"
        "Age\n18 Years to 70 Years\nHealthy Volunteers\nNo\n"
    )
    record = parse_text(text)
    assert record["eligibility"]["min_age_years"] == 18
    assert record["eligibility"]["max_age_years"] == 70
    assert record["eligibility"]["healthy_volunteers"] is False


# --- robustness ---------------------------------------------------------------------------


def _mangle(text: str, seed: int) -> str:
    lines = text.splitlines()
    rng = random.Random(seed)
    rng.shuffle(lines)
    return "\n".join(lines[: rng.randint(0, len(lines))])


@pytest.mark.parametrize("seed", range(40))
def test_mangled_fixture_pages_never_crash(seed: int) -> None:
    paths = sorted(FIXTURES.glob("*.txt"))
    text = read_text(paths[seed % len(paths)])
    try:
        record = parse_text(_mangle(text, seed))
    except SourceError:
        return
    assert record["trial_id"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "MedPath",
                "Registration Number",
                "NCT01234567",
                "- Status",
                "RECRUITING",
                "-",
                "- x",
                "Arm && Interventions",
                "Group Intervention Description Experimental",
                "Experimental",
                "Primary Outcome Measures",
                "NameTimeMethod",
                "Week 52",
                "Locations (2)",
                "🇨🇳",
                "A, B, C",
                "Conditions",
                "Interventions",
                "Drug: y",
                "Inclusion Criteria",
                "",
                "Phase 2",
                "\r",
            ]
        )
        | st.text(max_size=30),
        max_size=30,
    )
)
def test_random_label_soup_never_crashes(parts: list[str]) -> None:
    text = "\n".join(parts)
    try:
        (record,) = medpath.parse(Path("soup.txt"), text)
    except SourceError:
        return
    assert schema_errors(record) == []


def test_lettered_criteria_do_not_end_the_page_but_the_footer_does() -> None:
    text = (
        "MedPath\nT\nRegistration Number\nNCT01234567\nRecruitment & Eligibility\n"
        "Inclusion Criteria\n(a) adults\n(c) consent given\nExclusion Criteria\n(b) pregnancy\n"
        "© Copyright 2025. All Rights Reserved by MedPath\nConditions\nNot part of the page\n"
    )
    record = parse_text(text)
    assert record["eligibility"]["inclusion"] == ["(a) adults", "(c) consent given"]
    assert record["eligibility"]["exclusion"] == ["(b) pregnancy"]
    assert record["conditions"] == []


def test_table_headers_with_one_cell_per_line() -> None:
    lines = ["Group", "Intervention", "Description", "Comparator Drug X Drug X daily"]
    assert arms_of(lines, ["Drug X"]) == [
        ("Drug X daily", "ACTIVE_COMPARATOR", ["Drug X"], "Drug X daily"),
    ]
