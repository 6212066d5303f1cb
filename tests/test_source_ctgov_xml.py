"""The legacy ClinicalTrials.gov XML importer (``ctgov-xml``): real files and handwritten ones."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from audit.record import schema_errors
from audit.sources import SourceError, ctgov_xml

FIXTURES = Path(__file__).parent / "fixtures" / "ctgov_xml"
ALLPUBLIC = "ctgov_legacy_xml_allpublicxml_2023-02"
UNKNOWN = "<overall_status>Unknown status</overall_status>"

# folder under ../shared/data -> (files, "Unknown status" records, records with participant flow)
PLAIN_FOLDERS = {
    "ctgov_legacy_xml_trec2022_sample": (65, 1, 7),
    "aact_spec_fixtures/ctgov_legacy_xml": (63, 1, 22),
    f"{ALLPUBLIC}/NCT0046xxxx": (281, 19, 80),
    f"{ALLPUBLIC}/NCT0049xxxx": (750, 90, 184),
}


def parse_one(path: Path, text: str | None = None) -> dict:
    records = ctgov_xml.parse(path, path.read_text(encoding="utf-8") if text is None else text)
    assert len(records) == 1
    return records[0]


def check_all(items: list[tuple[Path, str]]) -> tuple[list[dict], list[str]]:
    """Parse every (path, text); return the records and every failure or schema error."""
    records, problems = [], []
    for path, text in items:
        assert ctgov_xml.sniff(path, text[:65536]), path
        try:
            record = parse_one(path, text)
        except SourceError as error:
            problems.append(str(error))
            continue
        problems += [f"{path}: {e}" for e in schema_errors(record)]
        assert record["source_file"] == str(path)
        # A file is named by its NCT id, or (aact's NCT00980226.xml) by an alias of it.
        assert path.name[:11] in [record["nct_id"], *record["secondary_ids"]], path
        records.append(record)
    return records, problems


def unknown_with_last_known(records: list[dict]) -> int:
    return sum(1 for r in records if r["overall_status"] == "UNKNOWN" and r["last_known_status"])


# --- real data -------------------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("folder", sorted(PLAIN_FOLDERS))
def test_plain_folders_import_without_failures(data: Path, folder: str) -> None:
    paths = sorted((data / folder).glob("*.xml"))
    items = [(p, p.read_text(encoding="utf-8")) for p in paths]
    records, problems = check_all(items)
    files, unknown, with_flow = PLAIN_FOLDERS[folder]
    assert problems == []
    assert len(paths) == len(records) == files
    assert unknown_with_last_known(records) == unknown
    assert unknown == sum(UNKNOWN in text for _, text in items)  # what grep finds
    assert sum(1 for r in records if r["participant_flow"]) == with_flow


@pytest.mark.shared
def test_allpublicxml_tarball_and_unknown_status_count(data: Path) -> None:
    folder = data / ALLPUBLIC
    items = []
    with tarfile.open(folder / "NCT0000xxxx.tar.gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".xml"):
                stream = tar.extractfile(member)
                assert stream is not None
                items.append((Path(member.name), stream.read().decode("utf-8")))
    records, problems = check_all(items)
    assert problems == []
    assert len(items) == len(records) == 5754
    assert len({r["nct_id"] for r in records}) == 5754
    assert unknown_with_last_known(records) == 365
    assert sum(1 for r in records if r["participant_flow"]) == 176

    # SOURCE.md: 474 "Unknown status" records with last_known_status across the three folders.
    plain = [p for sub in ("NCT0046xxxx", "NCT0049xxxx") for p in (folder / sub).glob("*.xml")]
    plain_records, problems = check_all([(p, p.read_text(encoding="utf-8")) for p in plain])
    assert problems == []
    everything = records + plain_records
    assert len(everything) == 6785
    assert unknown_with_last_known(everything) == 474
    assert sum(1 for r in everything if r["overall_status"] == "UNKNOWN") == 474


@pytest.mark.shared
def test_file_named_by_nct_alias(data: Path) -> None:
    record = parse_one(data / "aact_spec_fixtures" / "ctgov_legacy_xml" / "NCT00980226.xml")
    assert record["trial_id"] == record["nct_id"] == "NCT00081588"
    assert record["secondary_ids"] == ["CR006724", "TMC114-C215", "NCT00980226"]


@pytest.mark.shared
def test_results_file_with_participant_flow(data: Path) -> None:
    record = parse_one(data / "ctgov_legacy_xml_trec2022_sample" / "NCT00739752.xml")
    assert record["trial_id"] == record["nct_id"] == "NCT00739752"
    assert record["secondary_ids"] == ["0205-04", "R01AI049644"]
    assert record["source"] == "ctgov-xml"
    # "ClinicalTrials.gov processed this data on May 09, 2023"
    assert record["captured"] == "2023-05-09"
    assert record["title"].startswith("Interventions to Increase HBV Vaccinations")
    assert record["overall_status"] == "COMPLETED" and record["status_text"] == "Completed"
    assert record["last_known_status"] is None
    assert record["status_verified"] == "2018-11"
    assert record["phases"] == ["NA"]
    assert (record["study_type"], record["allocation"], record["intervention_model"]) == (
        "INTERVENTIONAL",
        "RANDOMIZED",
        "FACTORIAL",
    )
    assert record["primary_purpose"] == "PREVENTION"
    assert record["masking"] == "TRIPLE"
    assert record["who_masked"] == ["PARTICIPANT", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
    assert record["stated_arm_count"] == 6 == len(record["arms"])
    assert record["enrollment"] == {"count": 1747, "type": "ACTUAL"}
    assert record["start_date"] == {"date": "2003-06", "type": None}
    assert record["primary_completion_date"] == {"date": "2007-06", "type": "ACTUAL"}
    assert record["completion_date"] == {"date": "2007-10", "type": "ACTUAL"}
    assert record["first_posted"] == "2008-08-22"
    assert record["last_update_posted"] == "2018-11-09"
    assert record["sponsor"] == "Indiana University"
    assert record["collaborators"] == [
        "National Institutes of Health (NIH)",
        "National Institute of Allergy and Infectious Diseases (NIAID)",
    ]
    assert record["conditions"] == ["Hepatitis B Virus"]
    assert record["interventions"][0] == {
        "type": "BEHAVIORAL",
        "name": "Non-Framed-Offered",
        "description": "Subjects received information only and are offered the vaccine.",
    }
    assert record["arms"][5] == {
        "label": "Loss-Framed-Recommended",
        "type": "EXPERIMENTAL",
        "description": "Loss-Framed Intervention emphasizes the risks associated with not "
        "receiving HBV vaccine. Vaccine Recommended.",
        "interventions": ["Behavioral: Loss-Framed-Recommended"],
        "planned_size": None,
    }
    assert record["people"] == [
        {
            "name": "Gregory D Zimet, PhD",
            "role": "OVERALL_OFFICIAL",
            "degrees": [],
            "email": None,
            "phone": None,
            "affiliation": "Indiana University",
        }
    ]
    assert [s["city"] for s in record["sites"]] == ["Chicago", "Indianapolis"]
    assert record["sites"][1] == {
        "facility": "Bell Flower Clinic",
        "city": "Indianapolis",
        "state": "Indiana",
        "zip": "46202",
        "country": "United States",
        "status": None,
    }
    assert record["outcomes"] == [
        {
            "kind": "primary",
            "measure": "Mean Number of Doses of HBV Vaccine Received",
            "time_frame": "Day of research visit with 8 month follow-up",
        }
    ]
    eligibility = record["eligibility"]
    assert (eligibility["sex"], eligibility["min_age_years"], eligibility["max_age_years"]) == (
        "ALL",
        18.0,
        None,
    )
    assert eligibility["healthy_volunteers"] is True
    assert eligibility["inclusion"] == [
        "Age 18 and older males and females",
        "No prior self-reported history of HBV immunization or infection",
        "Fluent in English",
        "Not known to be HIV positive.",
    ]
    assert eligibility["exclusion"][0] == "Under age 18"
    assert eligibility["exclusion"][-1] == "HIV positive"
    assert len(eligibility["exclusion"]) == 5
    summary = record["descriptions"]["brief_summary"]
    assert summary.startswith("The goal of this study is to evaluate two sets of interventions")
    assert "\r" not in summary and "  " not in summary
    assert summary.endswith("The\noutcome of interest is1st dose acceptance.")
    assert record["participant_flow"] == [
        {"group": "Non-Framed-Offered", "started": 299},
        {"group": "Non-Framed-Recommended", "started": 284},
        {"group": "Gain-Framed-Offered", "started": 292},
        {"group": "Gain-Framed-Recommended", "started": 288},
        {"group": "Loss-Framed-Offered", "started": 291},
        {"group": "Loss-Framed-Recommended", "started": 293},
    ]


@pytest.mark.shared
def test_unknown_status_with_last_known_status_and_contacts(data: Path) -> None:
    record = parse_one(data / ALLPUBLIC / "NCT0049xxxx" / "NCT00495183.xml")
    assert record["overall_status"] == "UNKNOWN"
    assert record["status_text"] == "Unknown status"
    assert record["last_known_status"] == "RECRUITING"
    assert record["status_verified"] == "2010-05"
    assert record["secondary_ids"] == ["CAF-MT", "eudraCT 2005-06-01"]
    assert record["phases"] == ["PHASE4"]
    assert record["masking"] == "TRIPLE"
    assert record["who_masked"] == ["PARTICIPANT", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
    assert record["enrollment"] == {"count": 108, "type": "ESTIMATED"}
    assert record["start_date"] == {"date": "2009-01", "type": None}
    assert record["completion_date"] == {"date": "2010-07", "type": "ESTIMATED"}
    assert record["primary_completion_date"] == {"date": "2010-07", "type": "ESTIMATED"}
    assert record["first_posted"] == "2007-07-02"
    assert [(a["label"], a["type"], a["interventions"]) for a in record["arms"]] == [
        ("1", "EXPERIMENTAL", ["Drug: caffeine"]),
        ("2", "EXPERIMENTAL", ["Drug: caffeine", "Drug: Biperiden"]),
        ("3", "PLACEBO_COMPARATOR", ["Drug: Placebo"]),
    ]
    assert [(p["role"], p["name"]) for p in record["people"]] == [
        ("OVERALL_OFFICIAL", "Miquel Casas, Prof."),
        ("CENTRAL_CONTACT", "Miquel Casas, Prof."),
        ("CENTRAL_CONTACT", "Xavier Castells, MD"),
        ("SITE_CONTACT", "Miquel Casas, Prof"),
        ("SITE_CONTACT", "Xavier Castells, MD"),
        ("SITE_INVESTIGATOR", "Carlos Roncero, MD"),
        ("SITE_INVESTIGATOR", "Castells Xavier, MD"),
        ("SITE_INVESTIGATOR", "Gonzalvo Begoña, MD"),
    ]
    assert record["people"][2] == {
        "name": "Xavier Castells, MD",
        "role": "CENTRAL_CONTACT",
        "degrees": [],
        "email": "xcc@icf.uab.cat",
        "phone": "0034 93 489 42 94",
        "affiliation": None,
    }
    assert {p["affiliation"] for p in record["people"][3:]} == {
        "Hospital Universitari Vall d'Hebron"
    }
    assert record["sites"] == [
        {
            "facility": "Hospital Universitari Vall d'Hebron",
            "city": "Barcelona",
            "state": "Catalonia",
            "zip": "08035",
            "country": "Spain",
            "status": "RECRUITING",
        }
    ]
    assert len(record["eligibility"]["inclusion"]) == 6
    assert len(record["eligibility"]["exclusion"]) == 9
    assert record["eligibility"]["inclusion"][2] == (
        "current cocaine use, confirmed by a positive urine drug screen for cocaine the week "
        "prior to admission."
    )
    assert record["descriptions"]["brief_summary"].count("\n\n") == 1
    assert record["descriptions"]["detailed_description"] is None
    assert record["participant_flow"] == []


@pytest.mark.shared
def test_quadruple_masking_and_bracketed_criteria_headings(data: Path) -> None:
    record = parse_one(data / "ctgov_legacy_xml_trec2022_sample" / "NCT05482828.xml")
    assert record["masking"] == "QUADRUPLE"
    assert record["who_masked"] == [
        "PARTICIPANT",
        "CARE_PROVIDER",
        "INVESTIGATOR",
        "OUTCOMES_ASSESSOR",
    ]
    assert record["overall_status"] == "SUSPENDED"
    assert record["secondary_ids"] == ["B100013"]
    assert record["start_date"] == {"date": "2010-05", "type": None}
    assert record["primary_completion_date"] == {"date": "2011-12", "type": "ACTUAL"}
    assert record["completion_date"] == {"date": None, "type": None}
    assert record["first_posted"] == "2022-08-01"
    assert [a["type"] for a in record["arms"]] == ["EXPERIMENTAL", "PLACEBO_COMPARATOR"]
    assert record["arms"][1]["interventions"] == ["Drug: Placebo tablet"]
    assert record["eligibility"]["inclusion"] == [
        "Chronic subjective dizziness patients, aged from 20 to 65",
        "DHI (Dizziness Handicap Inventory) score ≥ 24",
        "Those who can fully comprehend the general protocol of this study and voluntarily "
        "agree to participate",
    ]
    assert len(record["eligibility"]["exclusion"]) == 7
    assert record["eligibility"]["exclusion"][0].startswith("Inner ear disease")
    assert (record["eligibility"]["min_age_years"], record["eligibility"]["max_age_years"]) == (
        20.0,
        65.0,
    )
    assert record["eligibility"]["healthy_volunteers"] is False
    assert record["people"][0]["role"] == "OVERALL_OFFICIAL"
    assert record["people"][0]["affiliation"] == "Daejeon University"
    assert record["sites"][0]["state"] is None and record["sites"][0]["zip"] is None


# --- handwritten fixtures --------------------------------------------------------------------


def test_sniff() -> None:
    assert ctgov_xml.sniff(FIXTURES / "minimal.xml", (FIXTURES / "minimal.xml").read_text())
    assert not ctgov_xml.sniff(Path("x.json"), '{"protocolSection": {}}')


def test_minimal_study_leaves_everything_else_empty() -> None:
    record = parse_one(FIXTURES / "minimal.xml")
    assert schema_errors(record) == []
    assert record["trial_id"] == record["nct_id"] == "NCT09999901"
    assert record["title"] == "A Minimal Study"
    assert record["overall_status"] == "RECRUITING"
    assert record["status_text"] == "Recruiting"
    for field in (
        "secondary_ids",
        "phases",
        "who_masked",
        "collaborators",
        "conditions",
        "interventions",
        "arms",
        "people",
        "sites",
        "outcomes",
        "participant_flow",
    ):
        assert record[field] == [], field
    for field in (
        "official_title",
        "last_known_status",
        "status_verified",
        "study_type",
        "allocation",
        "masking",
        "stated_arm_count",
        "first_posted",
        "sponsor",
    ):
        assert record[field] is None, field
    assert record["enrollment"] == {"count": None, "type": None}
    assert record["start_date"] == {"date": None, "type": None}
    assert record["eligibility"] == {
        "sex": None,
        "min_age_years": None,
        "max_age_years": None,
        "healthy_volunteers": None,
        "inclusion": [],
        "exclusion": [],
    }
    assert record["descriptions"] == {"brief_summary": None, "detailed_description": None}


def test_a_contact_without_a_name_is_kept_when_it_gives_an_email_or_phone() -> None:
    text = (
        (FIXTURES / "minimal.xml")
        .read_text(encoding="utf-8")
        .replace(
            "</clinical_study>",
            "<overall_contact><email>trials@example.org</email></overall_contact>"
            "<overall_contact_backup><last_name>Ann Lee</last_name></overall_contact_backup>"
            "<location><facility><name>Example Hospital</name></facility>"
            "<contact><phone>555-0100</phone><phone_ext>12</phone_ext></contact>"
            "<contact_backup><degrees>MD</degrees></contact_backup></location></clinical_study>",
        )
    )
    record = parse_one(FIXTURES / "minimal.xml", text)
    assert schema_errors(record) == []
    assert [(p["name"], p["role"], p["email"], p["phone"]) for p in record["people"]] == [
        (None, "CENTRAL_CONTACT", "trials@example.org", None),
        ("Ann Lee", "CENTRAL_CONTACT", None, None),
        (None, "SITE_CONTACT", None, "555-0100 ext. 12"),
    ]  # the backup with only a degree gives nobody to name or reach


def test_older_wording_and_missing_sections() -> None:
    record = parse_one(FIXTURES / "older_wording.xml")
    assert schema_errors(record) == []
    assert record["secondary_ids"] == ["OLD-001", "R01 CA123456", "NCT09999900"]
    assert record["title"] == "Older Wording Study"
    assert record["overall_status"] == "ACTIVE_NOT_RECRUITING"
    assert record["status_verified"] is None  # a year alone is not YYYY-MM
    assert record["phases"] == ["PHASE2", "PHASE3"]
    assert record["study_type"] == "OBSERVATIONAL"
    assert record["allocation"] == "NA"
    assert record["intervention_model"] == "CROSSOVER"
    assert record["primary_purpose"] == "ECT"
    assert record["masking"] == "DOUBLE"
    assert record["who_masked"] == [
        "PARTICIPANT",
        "CARE_PROVIDER",
        "INVESTIGATOR",
        "OUTCOMES_ASSESSOR",
    ]
    assert record["stated_arm_count"] == 2
    assert record["enrollment"] == {"count": 40, "type": "ESTIMATED"}
    assert record["start_date"] == {"date": "2008-03", "type": "ESTIMATED"}
    assert record["completion_date"] == {"date": "2010-12-15", "type": None}
    assert record["first_posted"] is None  # only study_first_submitted is given
    assert record["last_update_posted"] == "2009-06-01"
    assert record["sponsor"] == "Example University"
    assert record["collaborators"] == ["National Cancer Institute (NCI)"]
    assert record["conditions"] == ["Asthma"]
    assert record["interventions"] == [
        {"type": "DIETARY_SUPPLEMENT", "name": "Vitamin D", "description": None}
    ]
    assert record["arms"] == [
        {
            "label": "Cohort A",
            "type": None,
            "description": "Adults",
            "interventions": ["Dietary Supplement: Vitamin D"],
            "planned_size": None,
        },
        {
            "label": "Cohort B",
            "type": None,
            "description": None,
            "interventions": [],
            "planned_size": None,
        },
    ]
    assert record["people"] == [
        {
            "name": "Ann B. Smith",
            "role": "CENTRAL_CONTACT",
            "degrees": ["MD", "PhD"],
            "email": "ann.smith@example.org",
            "phone": "555-0100 ext. 12",
            "affiliation": None,
        },
        {
            "name": "Bob Jones, MD",
            "role": "SITE_INVESTIGATOR",
            "degrees": [],
            "email": None,
            "phone": None,
            "affiliation": None,
        },
    ]
    assert record["sites"] == [
        {
            "facility": None,
            "city": "Springfield",
            "state": None,
            "zip": None,
            "country": "United States",
            "status": "ACTIVE_NOT_RECRUITING",
        }
    ]
    assert record["outcomes"] == [
        {"kind": "secondary", "measure": "Quality of life", "time_frame": None},
        {"kind": "other", "measure": "Cost", "time_frame": "1 year"},
    ]
    assert record["eligibility"] == {
        "sex": "FEMALE",
        "min_age_years": 0.5,
        "max_age_years": None,
        "healthy_volunteers": None,
        "inclusion": ["Age 18 or older", "Physician-diagnosed asthma for at least one year"],
        "exclusion": ["Smoker"],
    }
    assert record["descriptions"]["brief_summary"] == (
        "First paragraph,\nwrapped here.\n\nSecond paragraph."
    )
    # Only the first period counts; a group without a STARTED count gets None.
    assert record["participant_flow"] == [
        {"group": "Cohort A", "started": 21},
        {"group": "Cohort B", "started": None},
    ]


@pytest.mark.parametrize(
    ("text", "masking", "who"),
    [
        ("None (Open Label)", "NONE", []),
        ("Open Label", "NONE", []),
        ("Double", "DOUBLE", []),
        ("Single Blind", "SINGLE", []),
        ("Double Blind (Subject, Investigator)", "DOUBLE", ["PARTICIPANT", "INVESTIGATOR"]),
        (
            "Triple (Participant, Care Provider, Investigator)",
            "TRIPLE",
            ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"],
        ),
        ("Single (Outcomes Assessor)", "SINGLE", ["OUTCOMES_ASSESSOR"]),
        ("Something else", None, []),
    ],
)
def test_masking_wordings(text: str, masking: str | None, who: list[str]) -> None:
    minimal = (FIXTURES / "minimal.xml").read_text()
    xml = minimal.replace(
        "</clinical_study>",
        f"<study_design_info><masking>{text}</masking></study_design_info></clinical_study>",
    )
    record = parse_one(FIXTURES / "minimal.xml", xml)
    assert (record["masking"], record["who_masked"]) == (masking, who)


@pytest.mark.parametrize(
    ("criteria", "inclusion", "exclusion"),
    [
        ("No eligibility criteria", [], []),
        (
            "-  INCLUSION CRITERIA:\n\nParticipants Must:\n\n  -  Be adults\n\n"
            "EXCLUSION CRITERIA:\n\n  -  Be pregnant",
            ["Be adults"],
            ["Be pregnant"],
        ),
        (
            "DISEASE CHARACTERISTICS:\n\n  -  Stage IV\n\n       -  Grade 1\n\nNo prior therapy.",
            ["Stage IV", "Grade 1", "No prior therapy."],
            [],
        ),
        ("Inclusion criteria: adults\nExclusion: none", ["adults"], ["none"]),
        (
            "Inclusion criteria are listed in the protocol",
            ["Inclusion criteria are listed in the protocol"],
            [],
        ),
    ],
)
def test_criteria_splitting(criteria: str, inclusion: list[str], exclusion: list[str]) -> None:
    minimal = (FIXTURES / "minimal.xml").read_text()
    xml = minimal.replace(
        "</clinical_study>",
        "<eligibility><criteria><textblock>"
        f"{criteria}</textblock></criteria></eligibility></clinical_study>",
    )
    eligibility = parse_one(FIXTURES / "minimal.xml", xml)["eligibility"]
    assert (eligibility["inclusion"], eligibility["exclusion"]) == (inclusion, exclusion)


def test_malformed_xml_names_file_line_and_column() -> None:
    path = FIXTURES / "malformed.xml"
    with pytest.raises(SourceError) as caught:
        parse_one(path)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    assert "malformed XML at line 6, column 3" in caught.value.reason
    assert "mismatched tag" in caught.value.reason


def test_doctype_and_entities_are_refused() -> None:
    path = FIXTURES / "doctype.xml"
    with pytest.raises(SourceError, match="DOCTYPE or ENTITY") as caught:
        parse_one(path)
    assert caught.value.path == str(path)
    with pytest.raises(SourceError, match="DOCTYPE or ENTITY"):
        parse_one(path, '<clinical_study><!ENTITY x "y"></clinical_study>')


def test_missing_nct_id_and_wrong_root_and_empty_text() -> None:
    with pytest.raises(SourceError, match="no <nct_id>"):
        parse_one(FIXTURES / "no_nct_id.xml")
    with pytest.raises(SourceError, match="not <clinical_study>"):
        parse_one(Path("other.xml"), "<study><nct_id>NCT1</nct_id></study>")
    with pytest.raises(SourceError, match="malformed XML at line 1"):
        parse_one(Path("empty.xml"), "")
