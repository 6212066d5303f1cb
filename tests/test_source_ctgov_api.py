"""The ClinicalTrials.gov API v2 JSON importer, on the real exports in ../shared and on
small handwritten fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.record import schema_errors
from audit.sources import SourceError, ctgov_api, read_text

FIXTURES = Path(__file__).parent / "fixtures" / "ctgov_api"
EXPORTS = "ctgov_v2_website_exports"
AACT_V2 = "aact_spec_fixtures/ctgov_api_v2_json"


def load(path: Path) -> list[dict]:
    text = read_text(path)
    assert ctgov_api.sniff(path, text[:65536]), f"{path} not recognized"
    return ctgov_api.parse(path, text)


def by_id(records: list[dict]) -> dict[str, dict]:
    return {record["trial_id"]: record for record in records}


@pytest.fixture(scope="module")
def exports(data: Path) -> dict[str, dict]:
    records = []
    for path in sorted((data / EXPORTS).glob("*.json")):
        records += load(path)
    ids = [record["trial_id"] for record in records]
    assert len(ids) == len(set(ids)), "trial ids repeat across the exports"
    return by_id(records)


# --- the real corpus ---------------------------------------------------------------------


@pytest.mark.shared
def test_every_website_export_study_imports_and_validates(data: Path, exports: dict) -> None:
    assert len(exports) == 648
    raw_count = sum(len(json.loads(read_text(p))) for p in (data / EXPORTS).glob("*.json"))
    assert raw_count == 648
    for trial_id, record in exports.items():
        assert schema_errors(record) == [], trial_id
        assert record["source"] == "ctgov-api"
        assert record["nct_id"] == trial_id and trial_id.startswith("NCT")
        assert record["source_lines"] == {}
        assert all(a["planned_size"] is None for a in record["arms"])
    # Each study gives the day of the data version the API served (versionHolder), a few
    # days after the export's newest lastUpdatePostDate: its capture date.
    captured = {r["source_file"].split("/")[-1]: r["captured"] for r in exports.values()}
    assert captured == {
        "UserZetsu_dtx-analysis__digital_therapeutics.json": "2025-05-07",
        "dgg32_graph_bigquery__leukemia_recruiting.json": "2023-11-07",
        "koy570_herniated_disc__herniated_disc_completed.json": "2024-12-16",
        "unl-stat351_screencast__cluster_headache.json": "2025-10-02",
        "vrinda2019_NSCLCBench__nsclc_phase3.json": "2025-12-09",
        "vsuptl_JSON_conversion__diabetes.json": "2024-06-14",
    }


@pytest.mark.shared
def test_aact_v2_fixtures_import(data: Path) -> None:
    paths = sorted((data / AACT_V2).glob("*.json"))
    assert len(paths) == 13
    for path in paths:
        records = load(path)
        assert [r["trial_id"] for r in records] == [path.stem]
        assert schema_errors(records[0]) == [], path.name


@pytest.mark.shared
def test_partial_aact_study_imports_with_nulls(data: Path) -> None:
    (record,) = load(data / AACT_V2 / "NCT00465816.json")
    assert record["title"] == "Primary Study to Demonstrate..."
    assert record["official_title"] == "Non-inferiority of GSK Biologicals..."
    assert record["secondary_ids"] == ["109063"]
    assert record["overall_status"] is None and record["status_text"] is None
    assert record["phases"] == [] and record["study_type"] is None
    assert record["enrollment"] == {"count": None, "type": None}
    assert record["start_date"] == {"date": None, "type": None}
    assert record["sponsor"] is None and record["people"] == [] and record["sites"] == []
    assert record["eligibility"]["inclusion"] == [] and record["eligibility"]["sex"] is None
    assert record["participant_flow"] == []


@pytest.mark.shared
def test_ctrdata_ndjson_imports(data: Path) -> None:
    records = load(data / "ctrdata_demo_multiregistry" / "ctgov2.ndjson")
    assert [r["trial_id"] for r in records] == [
        "NCT00567567",
        "NCT00716976",
        "NCT01305200",
        "NCT01987596",
        "NCT03275402",
    ]
    assert all(schema_errors(r) == [] for r in records)


@pytest.mark.shared
def test_other_formats_are_not_claimed(data: Path) -> None:
    for folder, pattern in [
        ("aact_spec_fixtures/ctgov_api_v1_fullstudies_json", "*.json"),
        ("aact_spec_fixtures/ctgov_legacy_xml", "*.xml"),
    ]:
        paths = sorted((data / folder).glob(pattern))
        assert paths
        for path in paths:
            assert not ctgov_api.sniff(path, read_text(path)[:65536]), path.name
    v1 = data / "aact_spec_fixtures/ctgov_api_v1_fullstudies_json/results_2.json"
    with pytest.raises(SourceError, match="API v1"):
        ctgov_api.parse(v1, read_text(v1))


@pytest.mark.shared
def test_terminated_diabetes_study_field_by_field(data: Path, exports: dict) -> None:
    path = data / EXPORTS / "vsuptl_JSON_conversion__diabetes.json"
    record = load(path)[0]
    assert record == exports["NCT00726505"]
    assert record["source_file"] == str(path)
    assert record["secondary_ids"] == ["MB102-020"]
    assert record["title"] == "Renal Mechanism of Action/Splay vs. TmG"
    assert record["official_title"].startswith("Characterization of the Kinetics of Renal Glucose")
    assert (record["overall_status"], record["status_text"]) == ("TERMINATED", "TERMINATED")
    assert record["last_known_status"] is None
    assert record["status_verified"] == "2016-10"
    assert record["phases"] == ["PHASE1"]
    assert record["study_type"] == "INTERVENTIONAL"
    assert record["allocation"] == "RANDOMIZED"
    assert record["intervention_model"] == "PARALLEL"
    assert record["masking"] == "NONE" and record["who_masked"] == []
    assert record["primary_purpose"] == "DIAGNOSTIC"
    assert record["enrollment"] == {"count": 1, "type": "ACTUAL"}
    assert record["start_date"] == {"date": "2009-06", "type": None}
    assert record["primary_completion_date"] == {"date": "2009-08", "type": "ACTUAL"}
    assert record["completion_date"] == {"date": "2009-08", "type": "ACTUAL"}
    assert record["first_posted"] == "2008-08-01"
    assert record["last_update_posted"] == "2016-10-17"
    assert record["sponsor"] == "AstraZeneca"
    assert record["collaborators"] == ["Bristol-Myers Squibb"]
    assert record["conditions"] == ["Diabetes, NOS"]
    assert record["interventions"] == [
        {
            "type": "DRUG",
            "name": "Dapagliflozin",
            "description": "Tablets, Oral, Once Daily, up to 29 days:",
        }
    ]
    assert [a["label"] for a in record["arms"]] == ["Group 1", "Group 2", "Group 3"]
    assert {a["type"] for a in record["arms"]} == {"ACTIVE_COMPARATOR"}
    assert record["arms"][2]["description"] == "Healthy Subjects - Dapagliflozin 20 mg"
    assert all(a["interventions"] == ["Drug: Dapagliflozin"] for a in record["arms"])
    assert record["people"] == [
        {
            "name": "Bristol-Myers Squibb",
            "role": "OVERALL_OFFICIAL",
            "degrees": [],
            "email": None,
            "phone": None,
            "affiliation": "Bristol-Myers Squibb",
        }
    ]
    assert record["sites"] == [
        {
            "facility": "University Of Texas Health Center At San Antonio",
            "city": "San Antonio",
            "state": "Texas",
            "zip": "78229",
            "country": "United States",
            "status": None,
        }
    ]
    assert [(o["kind"], o["time_frame"]) for o in record["outcomes"]] == [
        ("primary", "after 7 days of treatment"),
        ("secondary", "at 7 days"),
        ("secondary", "at one day"),
        ("secondary", "at one day"),
    ]
    eligibility = record["eligibility"]
    assert (eligibility["sex"], eligibility["min_age_years"], eligibility["max_age_years"]) == (
        "ALL",
        18,
        65,
    )
    assert eligibility["healthy_volunteers"] is True
    assert eligibility["inclusion"][:2] == ["Male and female subjects", "Age 18 to 65 years"]
    assert len(eligibility["inclusion"]) == 5 and len(eligibility["exclusion"]) == 5
    assert eligibility["exclusion"][2] == "Exposure to insulin"
    assert record["descriptions"]["brief_summary"].startswith("The purpose of this study")
    assert record["descriptions"]["detailed_description"] is None
    assert record["participant_flow"] == []


@pytest.mark.shared
def test_leukemia_study_people_and_sites(exports: dict) -> None:
    record = exports["NCT03466944"]
    site = "The Institute of Cancer Research and Royal Marsden NHS Foundation Trust"
    assert record["secondary_ids"] == ["18/SW/0021 CCR 4779"]
    assert (record["eligibility"]["min_age_years"], record["eligibility"]["max_age_years"]) == (
        5,
        24,
    )
    people = [
        (p["name"], p["role"], p["degrees"], p["phone"], p["affiliation"]) for p in record["people"]
    ]
    assert people == [
        ("Nandita deSouza", "CENTRAL_CONTACT", ["Professor"], "0208 661 3289", None),
        ("Katherine May", "CENTRAL_CONTACT", ["BSc"], "0208 642 6011 ext 4109", None),
        ("Nandita deSouza", "OVERALL_OFFICIAL", ["Professor"], None, "ICR"),
        ("Nandita deSouza", "SITE_CONTACT", ["Professor"], "0208 661 3289", site),
        ("Katherine May", "SITE_CONTACT", ["BSc"], "0208 661 3340", site),
        ("Nandita deSouza", "SITE_INVESTIGATOR", ["Professor"], None, site),
    ]
    assert record["people"][1]["email"] == "katherine.may@rmh.nhs.uk"
    assert record["sites"] == [
        {
            "facility": site,
            "city": "Sutton",
            "state": "Surrey",
            "zip": "SM2 5PT",
            "country": "United Kingdom",
            "status": "RECRUITING",
        }
    ]


@pytest.mark.shared
def test_participant_flow_from_results(exports: dict, data: Path) -> None:
    # Raw: period "Overall Study", STARTED FG000 "53", FG001 "52", FG002 "51".
    assert exports["NCT02856893"]["participant_flow"] == [
        {"group": "Osimertinib Till Progression", "started": 53},
        {"group": "Gefitinib Till + Blood Test/Progression Then Osimertinib", "started": 52},
        {"group": "Gefitinib Till Progression Then Osimertinib", "started": 51},
    ]
    # Two periods: STARTED is read from the first one (the SFE group starts in period 2).
    (record,) = load(data / AACT_V2 / "NCT02552212.json")
    assert record["participant_flow"] == [
        {"group": "Placebo", "started": 158},
        {"group": "CZP 200 mg Q2W", "started": 159},
        {"group": "SFE OL CZP 200 mg Q2W", "started": 0},
    ]
    assert record["masking"] == "QUADRUPLE"
    assert record["who_masked"] == [
        "PARTICIPANT",
        "CARE_PROVIDER",
        "INVESTIGATOR",
        "OUTCOMES_ASSESSOR",
    ]
    with_results = [r for r in exports.values() if r["participant_flow"]]
    assert len(with_results) >= 40
    assert all(isinstance(g["started"], int) for r in with_results for g in r["participant_flow"])


# --- handwritten fixtures ------------------------------------------------------------------


def test_single_study_object() -> None:
    path = FIXTURES / "single_study.json"
    (record,) = load(path)
    assert schema_errors(record) == []
    assert record["trial_id"] == record["nct_id"] == "NCT09000001"
    assert record["source_file"] == str(path)
    assert record["secondary_ids"] == ["ORG-001", "2020-000001-11", "R01AA000001"]
    assert (record["overall_status"], record["status_text"]) == ("UNKNOWN", "UNKNOWN")
    assert record["last_known_status"] == "RECRUITING"
    assert record["status_verified"] == "2024-05"
    assert record["phases"] == ["PHASE2", "PHASE3"]
    assert record["masking"] == "DOUBLE"
    assert record["who_masked"] == ["PARTICIPANT", "OUTCOMES_ASSESSOR"]
    assert record["enrollment"] == {"count": 120, "type": "ESTIMATED"}
    assert record["start_date"] == {"date": "2021-03-04", "type": "ACTUAL"}
    assert record["primary_completion_date"] == {"date": "2023-09", "type": "ESTIMATED"}
    assert record["completion_date"] == {"date": "2024-01", "type": None}
    assert record["collaborators"] == ["Example Pharma", "NIH"]
    assert record["interventions"][1] == {"type": "DRUG", "name": "Placebo", "description": None}
    assert record["arms"][1] == {
        "label": "Placebo",
        "type": "PLACEBO_COMPARATOR",
        "description": None,
        "interventions": ["Drug: Placebo"],
        "planned_size": None,
    }
    assert record["outcomes"] == [
        {"kind": "primary", "measure": "HbA1c change", "time_frame": "24 weeks"},
        {"kind": "secondary", "measure": "Body weight change", "time_frame": None},
        {"kind": "other", "measure": "Adverse events", "time_frame": "52 weeks"},
    ]
    assert record["eligibility"] == {
        "sex": "ALL",
        "min_age_years": 18,
        "max_age_years": 0.5,
        "healthy_volunteers": False,
        "inclusion": ["Age 18 years or older", "HbA1c > 7.0%", "nested detail"],
        "exclusion": ["Pregnancy", "eGFR < 30 mL/min"],
    }
    assert record["descriptions"] == {
        "brief_summary": "A short summary.",
        "detailed_description": "A longer description.",
    }
    assert record["participant_flow"] == [
        {"group": "Drug A", "started": 61},
        {"group": "Placebo", "started": 59},
    ]
    assert record["sites"][1] == {
        "facility": "Second Clinic",
        "city": "Lyon",
        "state": None,
        "zip": None,
        "country": "France",
        "status": None,
    }


def test_people_roles_degrees_and_phone_extension() -> None:
    (record,) = load(FIXTURES / "single_study.json")
    people = [(p["name"], p["role"], p["degrees"], p["affiliation"]) for p in record["people"]]
    assert people == [
        ("Jane Doe", "CENTRAL_CONTACT", ["MD", "PhD"], None),
        ("John Roe", "OVERALL_OFFICIAL", ["M.D."], "Example University"),
        ("Study Director, Site 101", "OVERALL_OFFICIAL", [], "Example Pharma"),
        ("Ann Smith", "SITE_CONTACT", ["RN"], "Example Hospital"),
        ("Bob Lee", "SITE_INVESTIGATOR", ["MD", "PhD"], "Example Hospital"),
        ("Cy Wu", "SITE_INVESTIGATOR", [], "Example Hospital"),
        (None, "SITE_CONTACT", [], "Example Hospital"),  # no name, but a phone: kept
    ]
    assert record["people"][0]["phone"] == "555-0100 ext 12"
    assert record["people"][0]["email"] == "jane@example.org"
    assert record["people"][-1]["phone"] == "555-0199"
    assert schema_errors(record) == []


def test_a_contact_with_no_name_email_or_phone_is_left_out() -> None:
    module = {
        "centralContacts": [{"role": "CONTACT"}, {"name": "", "email": "desk@example.org"}],
        "locations": [{"facility": "Example Hospital", "contacts": [{"role": "CONTACT"}]}],
    }
    assert [(p["name"], p["email"]) for p in ctgov_api._people(module)] == [
        (None, "desk@example.org")
    ]


@pytest.mark.parametrize(
    ("raw", "name", "degrees"),
    [
        ("Jane Doe, MD, PhD", "Jane Doe", ["MD", "PhD"]),
        ("Doe, Jane, MD PhD", "Doe, Jane", ["MD", "PhD"]),
        ("Li Wei, M.D.; Ph.D.", "Li Wei", ["M.D.", "Ph.D."]),
        ("Jiong HU, M.D.,", "Jiong HU", ["M.D."]),
        ("Anna Berg, Dr. med.", "Anna Berg", ["Dr. med."]),
        ("Ana Ruiz, MSc, MPH, FRCP", "Ana Ruiz", ["MSc", "MPH", "FRCP"]),
        ("Pankit Vachhani, Site 109", "Pankit Vachhani, Site 109", []),
        ("Qing Ni, postgraduate", "Qing Ni, postgraduate", []),
        ("Janssen Research & Development, LLC", "Janssen Research & Development, LLC", []),
        ("Ida Fogh, MD PhD fellow", "Ida Fogh, MD PhD fellow", []),
        ("Plain Name", "Plain Name", []),
    ],
)
def test_split_degrees(raw: str, name: str, degrees: list[str]) -> None:
    assert ctgov_api.split_degrees(raw) == (name, degrees)


def test_studies_page() -> None:
    records = load(FIXTURES / "page.json")
    assert [(r["trial_id"], r["title"], r["overall_status"]) for r in records] == [
        ("NCT09000002", "Page Study One", "COMPLETED"),
        ("NCT09000003", "Page Study Two", "WITHDRAWN"),
    ]
    assert all(schema_errors(r) == [] for r in records)


def test_missing_modules_give_nulls() -> None:
    (record,) = load(FIXTURES / "missing_modules.json")
    assert schema_errors(record) == []
    assert record["start_date"] == {"date": "2019", "type": None}
    assert record["secondary_ids"] == [] and record["arms"] == [] and record["outcomes"] == []
    assert record["overall_status"] is None and record["masking"] is None
    assert record["enrollment"] == {"count": None, "type": None}
    # criteria without inclusion/exclusion headings are not guessed at
    assert record["eligibility"]["inclusion"] == [] == record["eligibility"]["exclusion"]


def test_ndjson() -> None:
    records = load(FIXTURES / "studies.ndjson")
    assert [r["trial_id"] for r in records] == ["NCT09000008", "NCT09000009"]


def _study(nct_id: str, updated: str | None) -> dict:
    status = {"lastUpdatePostDateStruct": {"date": updated}} if updated else {}
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id},
            "statusModule": status,
        }
    }


def test_website_export_is_captured_on_its_newest_update() -> None:
    studies = [_study("NCT09000011", "2024-03-01"), _study("NCT09000012", "2025-01-31")]
    studies.append(_study("NCT09000013", None))
    records = ctgov_api.parse(Path("ctg-studies.json"), json.dumps(studies))
    assert {r["captured"] for r in records} == {"2025-01-31"}
    # A single study, an API page or NDJSON says nothing about when it was fetched.
    assert ctgov_api.parse(Path("one.json"), json.dumps(studies[0]))[0]["captured"] is None
    page = json.dumps({"studies": studies})
    assert {r["captured"] for r in ctgov_api.parse(Path("page.json"), page)} == {None}
    ndjson = "\n".join(json.dumps(s) for s in studies)
    assert {r["captured"] for r in ctgov_api.parse(Path("s.ndjson"), ndjson)} == {None}
    # An export whose studies give no update date gets no capture date either.
    bare = json.dumps([_study("NCT09000014", None)])
    assert ctgov_api.parse(Path("ctg-studies.json"), bare)[0]["captured"] is None


def test_a_study_is_captured_on_its_data_version() -> None:
    """A single study fetched from the API (AACT's fixture NCT06171568: versionHolder
    2023-12-14, its last update that day) is judged at that day, not years later at the
    audit date: what went stale since is our copy's age, not the registry's."""
    study = _study("NCT06171568", "2023-12-14")
    study["derivedSection"] = {"miscInfoModule": {"versionHolder": "2023-12-14"}}
    assert ctgov_api.parse(Path("one.json"), json.dumps(study))[0]["captured"] == "2023-12-14"
    # a version before the study's last update cannot be when it was copied
    study["derivedSection"]["miscInfoModule"]["versionHolder"] = "2023-12-01"
    assert ctgov_api.parse(Path("one.json"), json.dumps(study))[0]["captured"] is None
    # in an export, a study without it gets the export's newest update
    dated = _study("NCT09000015", "2024-02-01")
    dated["derivedSection"] = {"miscInfoModule": {"versionHolder": "2024-02-03"}}
    export = json.dumps([dated, _study("NCT09000016", "2024-01-10")])
    assert [r["captured"] for r in ctgov_api.parse(Path("ctg.json"), export)] == [
        "2024-02-03",
        "2024-02-01",
    ]


def test_malformed_json_names_file_and_position() -> None:
    path = FIXTURES / "malformed.json"
    with pytest.raises(SourceError) as caught:
        ctgov_api.parse(path, read_text(path))
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    assert "invalid JSON" in caught.value.reason and "line 3 column" in caught.value.reason


def test_study_without_nct_id_names_index() -> None:
    path = FIXTURES / "no_nct_id.json"
    with pytest.raises(SourceError, match=r"study \[1\]: no protocolSection"):
        ctgov_api.parse(path, read_text(path))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("42", "int is not a study object"),
        ('"protocolSection"', "str is not a study object"),
        ('{"foo": 1}', "neither 'protocolSection' nor 'studies'"),
        ("[]", "no studies"),
        ('[{"protocolSection": {}}, 3]', r"study \[0\]: no protocolSection"),
        ('{"a": 1}\n{oops}', "invalid JSON"),
    ],
)
def test_unusable_json(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.json"
    with pytest.raises(SourceError, match=reason):
        ctgov_api.parse(path, text)


@pytest.mark.parametrize(
    ("head", "claimed"),
    [
        ('\ufeff  {"protocolSection": {', True),
        ('[\n  {"protocolSection": {', True),
        ('{"studies": [{"protocolSection": {', True),
        ('{"FullStudiesResponse": {"FullStudies": [{"Study": {"ProtocolSection": {', False),
        ('<?xml version="1.0"?><clinical_study>', False),
        ("protocolSection, in plain text", False),
    ],
)
def test_sniff(head: str, claimed: bool) -> None:
    assert ctgov_api.sniff(Path("x.json"), head) is claimed


@pytest.mark.parametrize(
    ("text", "inclusion", "exclusion"),
    [
        ("Inclusion Criteria:\n\n* a\n* b\n\nExclusion Criteria:\n\n* none", ["a", "b"], []),
        (
            "Key Inclusion Criteria:\n\n1. a\n2. b\n\nKey Exclusion Criteria:\n\n- c",
            ["a", "b"],
            ["c"],
        ),
        (
            "Inclusion Criteria:\n\nAdults with asthma.\n\nExclusion Criteria:\n\nNil",
            ["Adults with asthma."],
            [],
        ),
        ("Inclusion Criteria: - a - b Exclusion Criteria: - c", ["a - b"], ["c"]),
        ("* a\n* b", [], []),
        (None, [], []),
    ],
)
def test_split_criteria(text: str | None, inclusion: list[str], exclusion: list[str]) -> None:
    assert ctgov_api.split_criteria(text) == (inclusion, exclusion)
