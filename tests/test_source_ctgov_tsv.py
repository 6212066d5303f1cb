"""The classic ClinicalTrials.gov search export importer (``ctgov_tsv``, source ctgov-classic):
the three real COVID-19 exports of 2020 and handwritten rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.record import schema_errors
from audit.sources import SourceError, ctgov_tsv, detect, import_file, read_text

FOLDER = "ctgov_web_export_covid19_2020"
EXPORTS = {
    "ctgov_covid19_search_export_20200406.tsv": (306, "2020-04-06"),
    "ctgov_covid19_search_export_20200709.tsv": (2506, "2020-07-09"),
    "ctgov_covid19_search_export_20201012.tsv": (3584, "2020-10-12"),
}
HEADER = (
    "Rank\tNCT Number\tTitle\tAcronym\tStatus\tStudy Results\tConditions\tInterventions\t"
    "Outcome Measures\tSponsor/Collaborators\tGender\tAge\tPhases\tEnrollment\tFunded Bys\t"
    "Study Type\tStudy Designs\tOther IDs\tStart Date\tPrimary Completion Date\tCompletion Date\t"
    "First Posted\tResults First Posted\tLast Update Posted\tLocations\tStudy Documents\tURL"
)


def row(**cells: str) -> str:
    """A data row: every column empty unless given (keys use _ for spaces and /)."""
    names = HEADER.split("\t")
    given = {k.replace("__", "/").replace("_", " "): v for k, v in cells.items()}
    return "\t".join(given.get(name, "") for name in names)


def parse(*rows: str, name: str = "export_20200709.tsv", header: str = HEADER) -> list[dict]:
    return ctgov_tsv.parse(Path(name), "\r\n".join([header, *rows]) + "\r\n")


# --- real data -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exports(data: Path) -> dict[str, list[dict]]:
    found = {}
    for name in EXPORTS:
        path = data / FOLDER / name
        text = read_text(path)
        assert ctgov_tsv.sniff(path, text[:65536])
        assert detect(path, text) is ctgov_tsv
        found[name] = import_file(path)
    return found


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_row_of_the_real_exports_imports(exports: dict[str, list[dict]], name: str) -> None:
    records = exports[name]
    count, captured = EXPORTS[name]
    assert len(records) == count
    assert len({r["trial_id"] for r in records}) == count
    assert [e for r in records for e in schema_errors(r)] == []
    assert {r["captured"] for r in records} == {captured}
    assert {r["source"] for r in records} == {"ctgov-classic"}
    assert all(r["overall_status"] for r in records)  # every status word maps
    assert all(r["last_update_posted"] and r["first_posted"] for r in records)
    assert all(i["type"] for r in records for i in r["interventions"])


@pytest.mark.shared
def test_first_row_of_july_field_by_field(exports: dict[str, list[dict]]) -> None:
    record = exports["ctgov_covid19_search_export_20200709.tsv"][0]
    assert record["source_lines"]["overall_status"] == 2
    assert {
        k: record[k]
        for k in (
            "trial_id",
            "nct_id",
            "secondary_ids",
            "title",
            "official_title",
            "overall_status",
            "status_text",
            "phases",
            "study_type",
            "allocation",
            "intervention_model",
            "masking",
            "who_masked",
            "primary_purpose",
            "enrollment",
            "start_date",
            "primary_completion_date",
            "completion_date",
            "first_posted",
            "last_update_posted",
            "sponsor",
            "collaborators",
            "conditions",
            "interventions",
            "sites",
            "people",
            "outcomes",
            "eligibility",
        )
    } == {
        "trial_id": "NCT04372602",
        "nct_id": "NCT04372602",
        "secondary_ids": ["04-28-20-DiPersio"],
        "title": "Duvelisib to Combat COVID-19",
        "official_title": None,
        "overall_status": "NOT_YET_RECRUITING",
        "status_text": "Not yet recruiting",
        "phases": ["PHASE2"],
        "study_type": "INTERVENTIONAL",
        "allocation": "NA",
        "intervention_model": "SINGLE_GROUP",
        "masking": "NONE",
        "who_masked": [],
        "primary_purpose": "TREATMENT",
        "enrollment": {"count": 25, "type": None},
        "start_date": {"date": "2020-06-30", "type": None},
        "primary_completion_date": {"date": "2021-07-31", "type": None},
        "completion_date": {"date": "2021-12-31", "type": None},
        "first_posted": "2020-05-04",
        "last_update_posted": "2020-05-04",
        "sponsor": "Washington University School of Medicine",
        "collaborators": ["Verastem, Inc."],
        "conditions": ["COVID-19"],
        "interventions": [
            {"type": "DRUG", "name": "Duvelisib", "description": None},
            {"type": "PROCEDURE", "name": "Peripheral blood draw", "description": None},
        ],
        "sites": [
            {
                "facility": "Washington University School of Medicine",
                "city": "Saint Louis",
                "state": "Missouri",
                "zip": None,
                "country": "United States",
                "status": None,
            }
        ],
        "people": [],
        "outcomes": [],
        "eligibility": {
            "sex": "ALL",
            "min_age_years": 18.0,
            "max_age_years": None,
            "healthy_volunteers": None,
            "inclusion": [],
            "exclusion": [],
        },
    }


@pytest.mark.shared
def test_french_row_with_eudract_number_field_by_field(exports: dict[str, list[dict]]) -> None:
    records = exports["ctgov_covid19_search_export_20200709.tsv"]
    record = next(r for r in records if r["trial_id"] == "NCT04378920")
    assert record["secondary_ids"] == ["2020-003", "2020-001393-30", "2020-A00900-39"]
    assert record["title"] == (
        "A Study of Trans Crocetin in Patients With Acute Respiratory "
        "Distress Syndrome Due to COVID-19 Disease (LEAF-4L7520/4L6715)"
    )
    assert record["overall_status"] == "RECRUITING"
    assert record["phases"] == ["PHASE1", "PHASE2"]
    assert (record["allocation"], record["intervention_model"], record["masking"]) == (
        "NON_RANDOMIZED",
        "PARALLEL",
        "NONE",
    )
    assert record["enrollment"] == {"count": 180, "type": None}
    assert record["start_date"]["date"] == "2020-04-14"
    assert record["completion_date"]["date"] == "2020-10-31"
    assert (record["sponsor"], record["collaborators"]) == (
        "Institut de Cancerologie Strasbourg Europe",
        ["LEAF4Life LLC"],
    )
    assert record["conditions"] == ["COVID19", "Acute Respiratory Distress Syndrome"]
    assert [i["name"] for i in record["interventions"]] == ["LEAF-4L6715", "LEAF-4L7520"]
    assert [(s["facility"], s["city"], s["state"], s["country"]) for s in record["sites"]] == [
        ("Hôpitaux Universitaires de Strasbourg", "Strasbourg", None, "France"),
        ("Institut de Cancerologie Strasbourg Europe", "Strasbourg", None, "France"),
    ]


# --- handwritten rows ------------------------------------------------------------------------


def test_status_words_and_phases() -> None:
    words = {
        "Recruiting": "RECRUITING",
        "Not yet recruiting": "NOT_YET_RECRUITING",
        "Active, not recruiting": "ACTIVE_NOT_RECRUITING",
        "Completed": "COMPLETED",
        "Withdrawn": "WITHDRAWN",
        "Enrolling by invitation": "ENROLLING_BY_INVITATION",
        "No longer available": "NO_LONGER_AVAILABLE",
        "Unknown status": "UNKNOWN",
    }
    records = parse(
        *(row(NCT_Number=f"NCT0000000{i}", Status=word) for i, word in enumerate(words))
    )
    assert [r["overall_status"] for r in records] == list(words.values())
    assert [r["status_text"] for r in records] == list(words)
    phases = {
        "Phase 2|Phase 3": ["PHASE2", "PHASE3"],
        "Early Phase 1": ["EARLY_PHASE1"],
        "Not Applicable": ["NA"],
        "": [],
    }
    records = parse(
        *(row(NCT_Number=f"NCT0000001{i}", Phases=text) for i, text in enumerate(phases))
    )
    assert [r["phases"] for r in records] == list(phases.values())


def test_designs_masking_and_study_types() -> None:
    (randomized, observational, expanded) = parse(
        row(
            NCT_Number="NCT00000001",
            Study_Type="Interventional",
            Study_Designs=(
                "Allocation: Randomized|Intervention Model: Crossover Assignment|"
                "Masking: Quadruple (Participant, Care Provider, Investigator, "
                "Outcomes Assessor)|Primary Purpose: Supportive Care"
            ),
        ),
        row(
            NCT_Number="NCT00000002",
            Study_Type="Observational",
            Study_Designs="Observational Model: Cohort|Time Perspective: Prospective",
        ),
        row(
            NCT_Number="NCT00000003",
            Study_Type="Expanded Access:Intermediate-size Population|Treatment IND/Protocol",
        ),
    )
    assert (
        randomized["allocation"],
        randomized["intervention_model"],
        randomized["masking"],
        randomized["primary_purpose"],
    ) == ("RANDOMIZED", "CROSSOVER", "QUADRUPLE", "SUPPORTIVE_CARE")
    assert randomized["who_masked"] == [
        "PARTICIPANT",
        "CARE_PROVIDER",
        "INVESTIGATOR",
        "OUTCOMES_ASSESSOR",
    ]
    assert (observational["study_type"], observational["masking"], observational["allocation"]) == (
        "OBSERVATIONAL",
        None,
        None,
    )
    assert expanded["study_type"] == "EXPANDED_ACCESS"


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("18 Years and older \u00a0 (Adult, Older Adult)", (18.0, None)),
        ("18 Years to 80 Years \u00a0 (Adult, Older Adult)", (18.0, 80.0)),
        ("up to 28 Days \u00a0 (Child)", (None, round(28 / 365.25, 4))),
        ("6 Months to 17 Years \u00a0 (Child)", (0.5, 17.0)),
        ("Child, Adult, Older Adult", (None, None)),
        ("up to 15 Minutes \u00a0 (Child)", (None, None)),
    ],
)
def test_ages(text: str, ages: tuple) -> None:
    (record,) = parse(row(NCT_Number="NCT00000001", Age=text, Gender="Female"))
    eligibility = record["eligibility"]
    assert (eligibility["min_age_years"], eligibility["max_age_years"]) == ages
    assert eligibility["sex"] == "FEMALE"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "Brigham and Women's Hospital, Boston, Massachusetts, United States",
            ("Brigham and Women's Hospital", "Boston", "Massachusetts", "United States"),
        ),
        (
            "Clinical Neuroscience Solutions, Inc., Orlando, Florida, United States",
            ("Clinical Neuroscience Solutions, Inc.", "Orlando", "Florida", "United States"),
        ),
        ("CHU Amiens, Amiens, France", ("CHU Amiens", "Amiens", None, "France")),
        (
            "Monash Medical Centre, Clayton, Victoria, Australia",
            ("Monash Medical Centre", "Clayton", "Victoria", "Australia"),
        ),
        (
            "Intensive Care Unit, Hospital Universitario Río Hortega, Valladolid, Spain",
            (
                "Intensive Care Unit, Hospital Universitario Río Hortega",
                "Valladolid",
                None,
                "Spain",
            ),
        ),
        (
            "Seoul National University Hospital, Jongno-gu, Seoul, Korea, Republic of",
            ("Seoul National University Hospital", "Jongno-gu", "Seoul", "Korea, Republic of"),
        ),
        (
            "Razi Hospital, Ahvaz, Iran, Islamic Republic of",
            ("Razi Hospital", "Ahvaz", None, "Iran, Islamic Republic of"),
        ),
    ],
)
def test_locations(text: str, parts: tuple) -> None:
    (record,) = parse(row(NCT_Number="NCT00000001", Locations=text))
    (found,) = record["sites"]
    assert (found["facility"], found["city"], found["state"], found["country"]) == parts


def test_lists_dates_and_empty_cells() -> None:
    (record,) = parse(
        row(
            NCT_Number="NCT00000001",
            Title='"Quoted" title',
            Conditions="COVID-19|Covid19|COVID-19",
            Interventions="Drug: A|Other: B: a name with a colon|Plain name",
            Sponsor__Collaborators="Sponsor|Collaborator One|Collaborator Two",
            Other_IDs="ORG-1|NCT00000001|2020-001246-18",
            Start_Date="March 2020",
            Primary_Completion_Date="March 15, 2021",
            Enrollment="",
        )
    )
    assert record["title"] == '"Quoted" title'
    assert record["conditions"] == ["COVID-19", "Covid19"]
    assert [(i["type"], i["name"]) for i in record["interventions"]] == [
        ("DRUG", "A"),
        ("OTHER", "B: a name with a colon"),
        (None, "Plain name"),
    ]
    assert (record["sponsor"], record["collaborators"]) == (
        "Sponsor",
        ["Collaborator One", "Collaborator Two"],
    )
    assert record["secondary_ids"] == ["ORG-1", "2020-001246-18"]
    assert record["start_date"] == {"date": "2020-03", "type": None}
    assert record["primary_completion_date"] == {"date": "2021-03-15", "type": None}
    assert record["enrollment"] == {"count": None, "type": None}
    assert record["eligibility"]["sex"] is None
    assert "enrollment" not in record["source_lines"]
    assert schema_errors(record) == []


@pytest.mark.parametrize(
    ("name", "captured"),
    [
        ("ctgov_covid19_search_export_20200709.tsv", "2020-07-09"),
        ("x-2020-10-12.tsv", "2020-10-12"),
        ("export.tsv", None),
        ("export_2020-07-09_to_2020-10-12.tsv", None),  # two dates: which one?
        ("export_20201332.tsv", None),  # no such day
        ("export_2020-0709.tsv", None),  # mixed separators
        ("NCT202007091.tsv", None),  # part of a longer number
        ("export_19991231.tsv", None),  # not this century
        ("export_20200401.tsv", None),  # before a row's last update: not the capture
    ],
)
def test_captured_comes_from_a_dated_file_name(name: str, captured: str | None) -> None:
    updated = row(NCT_Number="NCT00000001", Last_Update_Posted="April 6, 2020")
    assert parse(updated, name=name)[0]["captured"] == captured


def test_bom_and_missing_optional_columns() -> None:
    keep = [c for c in HEADER.split("\t") if c not in ("Rank", "Acronym", "URL")]
    text = (
        "\ufeff"
        + "\t".join(keep)
        + "\n"
        + "\t".join("NCT00000001" if c == "NCT Number" else "" for c in keep)
        + "\n"
    )
    path = Path("export.tsv")
    assert ctgov_tsv.sniff(path, text)
    assert [r["trial_id"] for r in ctgov_tsv.parse(path, text)] == ["NCT00000001"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Rank\tTitle\n1\tx\n", "no header row naming the 'NCT Number' column"),
        ("NCT Number\tStudy Designs\nNCT00000001\t\n", "search export without the columns"),
        (HEADER + "\n" + row(NCT_Number="NCT00000001") + "\textra\n", "line 2: 28 cells"),
        (HEADER + "\n" + row(NCT_Number="12345") + "\n", "line 2: no NCT number"),
    ],
)
def test_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        ctgov_tsv.parse(Path("bad.tsv"), text)


def test_sniff_needs_both_columns_in_a_tab_separated_header() -> None:
    assert not ctgov_tsv.sniff(Path("x.csv"), "NCT Number,Study Designs\n")
    assert not ctgov_tsv.sniff(Path("x.tsv"), "NCT Number\tTitle\n")
    assert ctgov_tsv.sniff(Path("x.tsv"), HEADER + "\r\n")
