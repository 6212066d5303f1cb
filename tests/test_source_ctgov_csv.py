"""The current ClinicalTrials.gov website's CSV download (``ctgov_csv``, source ctgov-csv): the
real download of 120 studies checked field by field against the JSON export of the same
studies, and handwritten downloads (a subset of columns reordered, quoted cells, hostile files).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from audit.record import schema_errors
from audit.sources import SourceError, ctgov_api, ctgov_csv, detect, import_file, read_text

FIXTURES = ROOT / "tests" / "fixtures" / "ctgov_csv"
FOLDER = "ctgov_v2_website_exports"
STEM = "unl-stat351_screencast__cluster_headache"

# Fields both exports carry, compared as they are: the CSV states them in the API's own words.
SAME_FIELDS = (
    "trial_id",
    "nct_id",
    "secondary_ids",
    "title",
    "overall_status",
    "status_text",
    "phases",
    "study_type",
    "allocation",
    "intervention_model",
    "masking",
    "who_masked",
    "primary_purpose",
    "first_posted",
    "last_update_posted",
    "sponsor",
    "collaborators",
    "conditions",
)
DATES = ("start_date", "primary_completion_date", "completion_date")


# --- the real download against the JSON export of the same studies ---------------------------


@pytest.fixture(scope="module")
def exports(data: Path) -> tuple[dict[str, dict], dict[str, dict], dict[str, dict]]:
    """(ctgov-csv records, ctgov-api records, raw API studies), each by NCT id."""
    csv_path = data / FOLDER / f"{STEM}.csv"
    json_path = data / FOLDER / f"{STEM}.json"
    studies = json.loads(read_text(json_path))
    raw = {s["protocolSection"]["identificationModule"]["nctId"]: s for s in studies}
    by_id = lambda records: {r["trial_id"]: r for r in records}  # noqa: E731
    return by_id(import_file(csv_path)), by_id(import_file(json_path)), raw


@pytest.mark.shared
def test_every_study_of_the_download_imports(data: Path, exports) -> None:
    path = data / FOLDER / f"{STEM}.csv"
    text = read_text(path)
    assert detect(path, text) is ctgov_csv
    assert not ctgov_api.sniff(path, text[:65536])
    assert not ctgov_csv.sniff(path, read_text(data / FOLDER / f"{STEM}.json")[:65536])
    records, api, _ = exports
    assert len(records) == 120 and records.keys() == api.keys()
    for trial_id, record in records.items():
        assert schema_errors(record) == [], trial_id
        assert (record["source"], record["source_file"]) == ("ctgov-csv", str(path))
        assert record["source_lines"]["trial_id"] >= 2


@pytest.mark.shared
@pytest.mark.parametrize("field", SAME_FIELDS)
def test_fields_agree_with_the_json_export(exports, field: str) -> None:
    records, api, _ = exports
    differ = {k: (r[field], api[k][field]) for k, r in records.items() if r[field] != api[k][field]}
    assert differ == {}
    assert any(r[field] for r in records.values()), f"{field} is never filled"


@pytest.mark.shared
def test_counts_dates_sex_summary_and_interventions_agree(exports) -> None:
    records, api, _ = exports
    for trial_id, record in records.items():
        other = api[trial_id]
        assert record["enrollment"]["count"] == other["enrollment"]["count"], trial_id
        for field in DATES:
            assert record[field]["date"] == other[field]["date"], (trial_id, field)
        assert record["eligibility"]["sex"] == other["eligibility"]["sex"], trial_id
        assert (
            record["descriptions"]["brief_summary"] == (other["descriptions"]["brief_summary"])
        ), trial_id
        # The CSV names each intervention's type and name; its description is not exported.
        assert [(i["type"], i["name"]) for i in record["interventions"]] == [
            (i["type"], i["name"]) for i in other["interventions"]
        ], trial_id
        assert all(i["description"] is None for i in record["interventions"])


@pytest.mark.shared
def test_outcomes_agree_as_far_as_the_download_tells(exports) -> None:
    """The CSV joins an outcome's measure, description and time frame with ", " (each may hold
    ", " itself), so the record keeps that text whole as the measure. It must be exactly the
    JSON's parts joined, kind by kind and in order; the JSON record keeps no description, so
    it is read from the raw study."""
    records, api, raw = exports
    for trial_id, record in records.items():
        module = raw[trial_id]["protocolSection"].get("outcomesModule", {})
        expected = [
            (
                kind,
                ", ".join(p for p in (o["measure"], o.get("description"), o.get("timeFrame")) if p),
            )
            for kind in ("primary", "secondary", "other")
            for o in module.get(f"{kind}Outcomes", [])
        ]
        assert [(o["kind"], o["measure"]) for o in record["outcomes"]] == expected, trial_id
        assert [o["kind"] for o in record["outcomes"]] == [
            o["kind"] for o in api[trial_id]["outcomes"]
        ]
        assert all(
            ours["measure"].startswith(theirs["measure"])
            for ours, theirs in zip(record["outcomes"], api[trial_id]["outcomes"], strict=True)
        )
        assert all(o["time_frame"] is None for o in record["outcomes"])


def _location_text(site: dict) -> str:
    """Facility, city and state as the download joins them."""
    return ", ".join(v for v in (site["facility"], site["city"], site["state"]) if v)


@pytest.mark.shared
def test_sites_agree_as_far_as_the_download_tells(exports) -> None:
    """Country and zip always agree, and so does the "facility, city[, state]" text. Facility,
    city and state themselves must agree wherever the text has one reading: facility and city
    (plus the state, always given in the United States) with no ", " inside. Elsewhere a
    comma-holding facility name and an optional state read alike ("Terveystalo, Kamppi,
    Helsinki" is a facility of two parts in Helsinki, or Terveystalo in Kamppi, state
    Helsinki); the heuristic of ``ctgov_export.location`` must get most of those right."""
    records, api, _ = exports
    ambiguous = right = 0
    for trial_id, record in records.items():
        theirs = api[trial_id]["sites"]
        assert len(record["sites"]) == len(theirs), trial_id
        for ours, other in zip(record["sites"], theirs, strict=True):
            assert (ours["country"], ours["zip"]) == (other["country"], other["zip"]), trial_id
            assert _location_text(ours) == _location_text(other), trial_id
            assert ours["status"] is None  # the download has no site status
            fields = ("facility", "city", "state")
            parts = _location_text(other).count(", ") + 1
            if parts == (3 if other["country"] == "United States" else 2):
                assert [ours[f] for f in fields] == [other[f] for f in fields], trial_id
            else:
                ambiguous += 1
                right += [ours[f] for f in fields] == [other[f] for f in fields]
    assert (ambiguous, right) == (259, 238)


@pytest.mark.shared
def test_what_the_download_lacks_stays_empty(exports) -> None:
    """No enrollment or date types, ages (the Age column holds only the age groups), official
    title, arms, people or criteria: the download does not carry them. The acronym is in the
    download but has no place in the record. Its capture date is, like the JSON export's of
    the same studies, the newest last update (the download was made on or after it)."""
    records, api, _ = exports
    for trial_id, record in records.items():
        assert record["enrollment"]["type"] is None
        assert all(record[field]["type"] is None for field in DATES)
        assert record["eligibility"] == {
            "sex": api[trial_id]["eligibility"]["sex"],
            "min_age_years": None,
            "max_age_years": None,
            "healthy_volunteers": None,
            "inclusion": [],
            "exclusion": [],
        }
        empty = ("official_title", "last_known_status", "status_verified")
        assert [record[field] for field in empty] == [None] * len(empty)
        # The CSV has only the newest update to date it; the JSON names its data version.
        assert record["captured"] == "2025-09-09"
        assert api[trial_id]["captured"] == "2025-10-02"
        assert record["arms"] == record["people"] == record["participant_flow"] == []
        assert record["descriptions"]["detailed_description"] is None
    # The JSON export of the same studies states most of what the download leaves out.
    assert sum(bool(api[k]["enrollment"]["type"]) for k in records) == 118
    assert sum(api[k]["eligibility"]["min_age_years"] is not None for k in records) == 115


@pytest.mark.shared
def test_the_age_column_holds_only_age_groups(data: Path, exports) -> None:
    """So the records' ages stay empty; were years there, they would be read (see the
    handwritten download below)."""
    with (data / FOLDER / f"{STEM}.csv").open(encoding="utf-8-sig", newline="") as stream:
        cells = {row["NCT Number"]: row["Age"] for row in csv.DictReader(stream)}
    _, _, raw = exports
    assert cells == {
        k: ", ".join(s["protocolSection"]["eligibilityModule"]["stdAges"]) for k, s in raw.items()
    }


@pytest.mark.shared
def test_normalize_reads_the_download_in_its_folder(data: Path, tmp_path: Path) -> None:
    """`audit normalize` on the whole folder writes one ctgov-csv record per study of the
    download beside the ctgov-api records of the JSON exports (SOURCE.md may be refused)."""
    folder = data / FOLDER
    result = subprocess.run(
        [sys.executable, "-m", "audit", "normalize", str(folder), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr
    assert f"{STEM}.csv" not in result.stderr
    assert [line for line in result.stderr.splitlines() if "SOURCE.md" not in line] == []
    assert len(list(tmp_path.glob("*.ctgov-csv.json"))) == 120
    assert len(list(tmp_path.glob("*.ctgov-api.json"))) == 648
    record = json.loads((tmp_path / "NCT06787677.ctgov-csv.json").read_text(encoding="utf-8"))
    assert (record["source"], record["title"]) == (
        "ctgov-csv",
        "SPG Pulsed Radiofrequency for Chronic Cluster Headache",
    )


# --- handwritten downloads -----------------------------------------------------------------


def parse_fixture(name: str) -> list[dict]:
    path = FIXTURES / name
    text = read_text(path)
    assert detect(path, text) is ctgov_csv
    records = ctgov_csv.parse(path, text)
    assert [e for r in records for e in schema_errors(r)] == []
    return records


def test_a_subset_of_columns_in_another_order() -> None:
    crossover, observational, single = parse_fixture("subset_reordered.csv")
    assert crossover["source_lines"]["sites"] == 2
    assert {
        k: crossover[k]
        for k in (
            "trial_id",
            "overall_status",
            "phases",
            "allocation",
            "intervention_model",
            "masking",
            "who_masked",
            "primary_purpose",
            "enrollment",
            "start_date",
            "secondary_ids",
            "title",
            "sponsor",
            "conditions",
            "outcomes",
        )
    } == {
        "trial_id": "NCT09200001",
        "overall_status": "COMPLETED",
        "phases": ["PHASE2", "PHASE3"],
        "allocation": "RANDOMIZED",
        "intervention_model": "CROSSOVER",
        "masking": "DOUBLE",
        "who_masked": ["PARTICIPANT", "INVESTIGATOR"],
        "primary_purpose": "TREATMENT",
        "enrollment": {"count": 40, "type": None},
        "start_date": {"date": "2019-03", "type": None},
        "secondary_ids": ["ORG-1", "EudraCT 2018-000001-11"],
        "title": None,  # the columns not exported stay empty
        "sponsor": None,
        "conditions": [],
        "outcomes": [],
    }
    assert [(i["type"], i["name"]) for i in crossover["interventions"]] == [
        ("DRUG", "Verapamil"),
        ("PROCEDURE", "Greater occipital nerve block"),
        (None, "Plain name"),
    ]
    assert [tuple(s.values()) for s in crossover["sites"]] == [
        ("Mayo Clinic", "Rochester", "Minnesota", "55905", "United States", None),
        ("Hôpital Lariboisière", "Paris", None, "75010", "France", None),
        ("Seoul National University Hospital", "Seoul", None, "03080", "Korea, Republic of", None),
    ]
    assert [(s["facility"], s["city"], s["state"]) for s in single["sites"]] == [
        ("Klinikum, Klinik für Neurologie", "Essen", None)
    ]
    ages = [(r["eligibility"]["min_age_years"], r["eligibility"]["max_age_years"]) for r in
            (crossover, observational, single)]  # fmt: skip
    assert ages == [(18.0, 65.0), (18.0, None), (None, None)]
    assert [r["eligibility"]["sex"] for r in (crossover, observational, single)] == [
        "MALE",
        "ALL",
        "FEMALE",
    ]
    assert (observational["allocation"], observational["masking"], observational["phases"]) == (
        None,
        None,
        [],
    )
    assert observational["enrollment"] == {"count": None, "type": None}
    assert "enrollment" not in observational["source_lines"]
    assert single["phases"] == ["NA"] and single["allocation"] == "NA"


def test_quoted_cells_with_commas_quotes_and_newlines() -> None:
    study, withdrawn = parse_fixture("quoted_cells.csv")
    assert study["title"] == 'Oxygen, "High Flow", for Cluster Headache'
    assert study["descriptions"]["brief_summary"] == (
        "Cluster headache, a primary headache.\n\nThis trial compares:\n\n"
        "* oxygen, 12 l/min\n* air, 12 l/min"
    )
    assert study["conditions"] == ["Headache, Cluster", "Cluster Headache, Chronic"]
    assert [(i["type"], i["name"]) for i in study["interventions"]] == [
        ("DRUG", "Oxygen, medical"),
        ("OTHER", "Air"),
    ]
    assert (study["sponsor"], study["collaborators"]) == (
        "Rigshospitalet, Denmark",
        ["Danish Headache Center", "University of Copenhagen, Faculty of Health"],
    )
    assert [(o["kind"], o["measure"], o["time_frame"]) for o in study["outcomes"]] == [
        ("primary", "Pain free, yes or no, at 15 minutes, Numeric rating scale 0, Within 15 "
         "minutes", None),
        ("secondary", "Rescue medication, Any rescue medication used, 60 minutes", None),
        ("secondary", "Adverse events, 24 hours", None),
        ("other", "Time to relief", None),
    ]  # fmt: skip
    assert [(s["facility"], s["city"], s["zip"], s["country"]) for s in study["sites"]] == [
        ("Danish Headache Center, Dept. of Neurology, Rigshospitalet", "Glostrup", "2600",
         "Denmark"),
        ("Helsinki Headache Clinic (Kamppi, 2nd floor)", "Helsinki", "00100", "Finland"),
    ]  # fmt: skip
    assert study["who_masked"] == [
        "PARTICIPANT",
        "CARE_PROVIDER",
        "INVESTIGATOR",
        "OUTCOMES_ASSESSOR",
    ]
    assert (study["masking"], study["primary_completion_date"]) == (
        "QUADRUPLE",
        {"date": "2025-12", "type": None},
    )
    assert (study["first_posted"], study["last_update_posted"]) == ("2019-12-20", "2025-02-03")
    assert study["eligibility"]["min_age_years"] == 18.0
    # The summary spans 6 lines (2 to 7), so the second study's row starts on line 8.
    assert (study["source_lines"]["title"], withdrawn["source_lines"]["title"]) == (2, 8)
    # The export's broken observational design ("Observational Model: |Time Perspective: p")
    # and age groups alone give nothing; an enrollment of 0 is a count.
    assert (withdrawn["study_type"], withdrawn["allocation"], withdrawn["masking"]) == (
        "OBSERVATIONAL",
        None,
        None,
    )
    assert withdrawn["eligibility"]["min_age_years"] is None
    assert withdrawn["enrollment"] == {"count": 0, "type": None}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ragged_row.csv", "ragged_row.csv: row at line 3: 6 cells, the header has 5"),
        (
            "truncated_quote.csv",
            "truncated_quote.csv: CSV error in the row starting at line 3: unexpected end of data",
        ),
    ],
)
def test_hostile_files_name_the_file_and_the_problem(name: str, message: str) -> None:
    path = FIXTURES / name
    assert detect(path, read_text(path)) is ctgov_csv
    with pytest.raises(SourceError, match=message) as caught:
        import_file(path)
    assert caught.value.path == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header row naming the 'NCT Number' column"),
        ("Study Title,Sex\nA title,ALL\n", "no header row naming the 'NCT Number' column"),
        ("NCT Number,Study Title,Sex\r\n", "a header but no study rows"),
        ("NCT Number,Sex,Sex\nNCT09200041,ALL,MALE\n", "the header names 'Sex' twice"),
        ("NCT Number,Sex\nNCT09200041,ALL\n12345,ALL\n", "row at line 3: no NCT number"),
        ('NCT Number,Study Title\nNCT09200041,"A" title\n', "',' expected after '\"'"),
    ],
)
def test_broken_downloads_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        ctgov_csv.parse(Path("download.csv"), text)


def test_blank_rows_are_skipped() -> None:
    text = "NCT Number,Sex\n\n,\nNCT09200051,ALL\n \n"
    [record] = ctgov_csv.parse(Path("download.csv"), text)
    assert (record["trial_id"], record["source_lines"]["trial_id"]) == ("NCT09200051", 4)


def test_sniff_needs_nct_number_and_other_known_columns() -> None:
    path = Path("x.csv")
    assert ctgov_csv.sniff(path, "\ufeffNCT Number,Study Title,Study Status\r\n")
    assert ctgov_csv.sniff(path, "Study Status,NCT Number\n")  # a two-column download
    assert not ctgov_csv.sniff(path, "NCT Number,Title,Status\n")  # another tool's CSV
    assert not ctgov_csv.sniff(path, "NCT Number,Study Title,Notes\n")
    assert not ctgov_csv.sniff(path, "NCT Number\tStudy Title\tStudy Status\n")  # not CSV
    assert not ctgov_csv.sniff(path, "Study Title,Study Status,Sex\n")


def test_forced_source_reads_the_download() -> None:
    [record, *_] = import_file(FIXTURES / "subset_reordered.csv", "ctgov-csv")
    assert (record["trial_id"], record["source"]) == ("NCT09200001", "ctgov-csv")
