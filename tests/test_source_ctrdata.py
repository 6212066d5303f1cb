"""ctrdata's exports (``ctgov-xml`` from CTGOV, ``euctr``, ``ctis``, ``isrctn``; CTGOV2 lines are
``ctgov-api``): the shared demo export, handwritten fixtures of each register's model, a mixed
export, hostile lines, and the audit of the imported records end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.record import schema_errors
from audit.registries import is_trial_id
from audit.rules import all_rules, run_rules
from audit.sources import (
    NotTrialData,
    SourceError,
    ctgov_json,
    ctgov_xml,
    ctis,
    ctrdata,
    detect,
    import_file,
    read_text,
)
from audit.tables import build_tables

FIXTURES = ROOT / "tests" / "fixtures"
DEMO = "ctrdata_demo_multiregistry"
# file -> (source, trial ids) of the shared demo export
DEMO_FILES = {
    "ctgov2.ndjson": (
        "ctgov-api",
        ["NCT00567567", "NCT00716976", "NCT01305200", "NCT01987596", "NCT03275402"],
    ),
    "ctgov.ndjson": ("ctgov-xml", ["NCT03325556", "NCT03443973", "NCT03548584"]),
    "euctr.ndjson": (
        "euctr",
        [
            "EUCTR2013-000615-24-BE",
            "EUCTR2016-004489-24-DE",
            "EUCTR2019-002663-10-ES",
            "EUCTR2022-000099-20-DE",
        ],
    ),
    "ctis.ndjson": (
        "ctis",
        ["2022-500244-37-00", "2023-505613-24-00", "2023-508143-51-01", "2024-510663-34-00"],
    ),
    "isrctn.ndjson": (
        "isrctn",
        [
            f"ISRCTN{n}"
            for n in (
                "12949496",
                "13281214",
                "17473621",
                "20343063",
                "61070850",
                "76463425",
                "80181452",
                "88261002",
                "96912679",
            )
        ],
    ),
}


def by_id(records: list[dict]) -> dict[str, dict]:
    return {r["trial_id"]: r for r in records}


def raw_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def demo(data: Path) -> Path:
    return data / DEMO


@pytest.fixture(scope="module")
def demo_records(demo: Path) -> dict[str, dict]:
    return by_id([r for name in DEMO_FILES for r in import_file(demo / name)])


# --- the shared demo export ------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(DEMO_FILES))
def test_each_register_file_imports_fully(demo: Path, name: str) -> None:
    source, ids = DEMO_FILES[name]
    path = demo / name
    assert source == detect(path, read_text(path)).NAME
    records = import_file(path)
    assert [r["trial_id"] for r in records] == ids
    assert {r["source"] for r in records} == {source}
    assert all(schema_errors(r) == [] for r in records)
    assert all(is_trial_id(r["trial_id"]) for r in records)
    assert all(r["source_file"] == str(path) for r in records)
    # captured is the day ctrdata loaded the record
    raw = raw_lines(path)
    assert [r["captured"] for r in records] == [x["record_last_import"][:10] for x in raw]


@pytest.mark.shared
def test_files_next_to_the_export_that_hold_no_trials_are_named(demo: Path) -> None:
    with pytest.raises(NotTrialData, match=r"meta-info\.json: a ctrdata meta-info file"):
        import_file(demo / "meta-info.json")
    with pytest.raises(NotTrialData, match=r"demo\.sqlite: an SQLite database"):
        import_file(demo / "demo.sqlite")


@pytest.mark.shared
def test_ids_and_cross_registrations_are_the_raw_records(demo: Path, demo_records: dict) -> None:
    for raw in raw_lines(demo / "euctr.ndjson"):
        record = demo_records[f"EUCTR{raw['_id']}"]
        nct = raw.get("a52_us_nct_clinicaltrialsgov_registry_number") or raw.get(
            "trialInformation", {}
        ).get("usctnIdentifier")
        assert record["nct_id"] == nct
        assert raw["a41_sponsors_protocol_code_number"] in record["secondary_ids"]
    for raw in raw_lines(demo / "ctis.ndjson"):
        record = demo_records[raw["ctNumber"]]
        eudract = raw.get("eudraCtInfo", {}).get("eudraCtCode") or raw.get(
            "authorizedApplication", {}
        ).get("eudraCt", {}).get("eudraCtCode")
        assert (eudract in record["secondary_ids"]) if eudract else True
    for raw in raw_lines(demo / "isrctn.ndjson"):
        record = demo_records[f"ISRCTN{raw['isrctn']}"]
        refs = raw["externalRefs"]
        for key in ("eudraCTNumber", "clinicalTrialsGovNumber", "protocolSerialNumber"):
            if refs[key] not in ("", "Nil known"):
                assert refs[key] in record["secondary_ids"], (record["trial_id"], key)
        final = raw["participants"]["totalFinalEnrolment"]
        expected = (
            (int(final), "ACTUAL")
            if final
            else (
                int(raw["participants"]["targetEnrolment"]),
                "ESTIMATED",
            )
        )
        assert (record["enrollment"]["count"], record["enrollment"]["type"]) == expected


@pytest.mark.shared
def test_euctr_records(demo_records: dict) -> None:
    grifols = demo_records["EUCTR2016-004489-24-DE"]
    assert grifols["nct_id"] == "NCT03461406"
    assert grifols["secondary_ids"] == ["NCT03461406", "IG1405"]
    assert (grifols["overall_status"], grifols["status_text"]) == ("COMPLETED", "Completed")
    assert grifols["enrollment"] == {"count": 186, "type": "ACTUAL"}  # 28 + 26 + 1 + 21 ...
    assert grifols["start_date"] == {"date": "2019-01-18", "type": "ACTUAL"}
    assert grifols["completion_date"] == {"date": "2022-05-20", "type": "ACTUAL"}
    assert grifols["primary_completion_date"] == {"date": None, "type": None}
    assert grifols["first_posted"] == "2018-04-13"
    assert grifols["phases"] == ["PHASE3"]
    assert (grifols["allocation"], grifols["masking"], grifols["intervention_model"]) == (
        "RANDOMIZED",
        "SINGLE",
        "PARALLEL",
    )
    assert grifols["sponsor"] == "Instituto Grifols, S.A"
    assert [(i["name"], i["type"]) for i in grifols["interventions"]] == [
        ("FS Grifols", "BIOLOGICAL"),
        ("Evicel", "BIOLOGICAL"),
    ]
    assert grifols["stated_arm_count"] == 2 and grifols["arms"] == []
    assert grifols["participant_flow"] == [
        {"group": "Fibrin Sealant Grifols", "started": 95},
        {"group": "EVICEL", "started": 91},
    ]
    assert grifols["sites"] == [
        {
            "facility": None,
            "city": None,
            "state": None,
            "zip": None,
            "country": "Germany",
            "status": None,
        }
    ]
    tacrolimus = demo_records["EUCTR2013-000615-24-BE"]
    assert (tacrolimus["overall_status"], tacrolimus["status_text"]) == (
        "TERMINATED",
        "Prematurely Ended",
    )
    # a trial in one member state only: its number there is the plan
    assert tacrolimus["enrollment"] == {"count": 50, "type": "ESTIMATED"}
    assert tacrolimus["start_date"]["date"] is None and tacrolimus["phases"] == ["PHASE4"]
    assert tacrolimus["primary_purpose"] is None  # prophylaxis and therapy both "Yes"
    nusinersen = demo_records["EUCTR2019-002663-10-ES"]
    # the results' global end wins over Spain's protocol status, still "Ongoing"
    assert (nusinersen["overall_status"], nusinersen["status_text"]) == ("COMPLETED", "Ongoing")
    assert nusinersen["phases"] == ["PHASE2", "PHASE3"]
    assert nusinersen["secondary_ids"] == ["NCT04089566", "232SM203", "IND 110011"]
    assert nusinersen["enrollment"] == {"count": 145, "type": "ACTUAL"}
    nirsevimab = demo_records["EUCTR2022-000099-20-DE"]
    assert nirsevimab["secondary_ids"] == ["NCT05437510", "U1111-1272-2514", "VAS00006"]
    assert nirsevimab["eligibility"]["healthy_volunteers"] is True
    assert nirsevimab["enrollment"] == {"count": 8057, "type": "ACTUAL"}


@pytest.mark.shared
def test_ctis_records(demo_records: dict) -> None:
    posaconazole = demo_records["2023-505613-24-00"]  # the newer shape: codes and events
    assert (posaconazole["overall_status"], posaconazole["status_text"]) == (
        "RECRUITING",
        "Ongoing, recruiting",
    )
    assert posaconazole["nct_id"] == "NCT04665037"
    assert posaconazole["secondary_ids"] == ["2019-003842-34", "NCT04665037", "75,061; 125,097"]
    assert posaconazole["start_date"] == {"date": "2021-04-28", "type": "ACTUAL"}
    assert posaconazole["completion_date"] == {"date": "2025-09-22", "type": "ESTIMATED"}
    assert posaconazole["enrollment"] == {"count": 32, "type": "ESTIMATED"}  # 13 EEA + 19
    assert posaconazole["last_update_posted"] == "2025-08-20"
    assert posaconazole["sponsor"] == "Merck Sharp & Dohme LLC"
    assert posaconazole["title"].startswith("Posaconazole (MK-5592) IV and oral")
    assert posaconazole["phases"] == ["PHASE2"]
    assert len(posaconazole["outcomes"]) == 20
    pamapimod = demo_records["2022-500244-37-00"]  # the older shape: words, top-level parts
    assert (pamapimod["overall_status"], pamapimod["status_text"]) == (
        "NOT_YET_RECRUITING",
        "Authorised, not started",
    )
    assert pamapimod["secondary_ids"] == []  # its associated trial 2020-005849-16 is another
    assert pamapimod["start_date"] == {"date": "2022-06-01", "type": "ESTIMATED"}
    assert pamapimod["enrollment"] == {"count": 440, "type": "ESTIMATED"}  # 150 + 290
    assert pamapimod["sponsor"] == "Kinarus AG"
    assert [s["country"] for s in pamapimod["sites"]] == ["Germany", "Germany", "Switzerland"]
    baclofen = demo_records["2023-508143-51-01"]
    assert baclofen["secondary_ids"] == ["2021-004994-30"]
    assert baclofen["phases"] == ["PHASE4"]


@pytest.mark.shared
def test_isrctn_records(demo_records: dict) -> None:
    milrinone = demo_records["ISRCTN12949496"]
    assert (milrinone["overall_status"], milrinone["status_text"]) == ("TERMINATED", "Stopped")
    assert milrinone["secondary_ids"] == ["2014-002988-16", "MINT-2014-01"]
    assert milrinone["enrollment"] == {"count": 9, "type": "ACTUAL"}
    assert milrinone["start_date"] == {"date": "2015-11-01", "type": None}
    assert milrinone["completion_date"] == {"date": "2020-02-01", "type": None}
    assert [s["facility"] for s in milrinone["sites"]] == [
        "The Rotunda Hospital",
        "Cork University Hospital",
    ]
    sift = demo_records["ISRCTN76463425"]
    assert sift["nct_id"] == "NCT01727609"
    assert (sift["overall_status"], sift["primary_purpose"]) == ("COMPLETED", "PREVENTION")
    assert sift["enrollment"] == {"count": 2804, "type": "ACTUAL"}
    toast = demo_records["ISRCTN96912679"]  # recruiting on the day it was loaded (2026-03-08)
    assert (toast["overall_status"], toast["status_text"]) == ("RECRUITING", "Ongoing, recruiting")
    assert toast["secondary_ids"] == ["1005191"]
    blanket = demo_records["ISRCTN17473621"]
    assert blanket["interventions"][0]["name"] == "BLUI Blanket"
    assert blanket["interventions"][0]["type"] == "DEVICE"
    assert blanket["eligibility"]["min_age_years"] == round(2 / 365.25, 4)


@pytest.mark.shared
def test_ctgov_legacy_json_records(demo_records: dict) -> None:
    brexpiprazole = demo_records["NCT03548584"]  # older converter: entities kept, @attributes
    assert brexpiprazole["sponsor"] == "Otsuka Pharmaceutical Development & Commercialization, Inc."
    assert brexpiprazole["collaborators"] == ["H. Lundbeck A/S"]
    assert brexpiprazole["conditions"][0] == "Agitation Associated With Alzheimer's Dementia"
    assert brexpiprazole["enrollment"] == {"count": 345, "type": None}
    assert brexpiprazole["stated_arm_count"] == 3
    assert [g["started"] for g in brexpiprazole["participant_flow"]] == [75, 153, 117]
    assert brexpiprazole["eligibility"]["inclusion"][0] == (
        "Participants with a diagnosis of probable Alzheimer's disease."
    )
    gantenerumab = demo_records["NCT03443973"]  # newer converter: attributes as members
    assert (gantenerumab["overall_status"], gantenerumab["completion_date"]["date"]) == (
        "TERMINATED",
        "2022-11-28",
    )
    assert [g["started"] for g in gantenerumab["participant_flow"]][:2] == [477, 498]
    assert gantenerumab["secondary_ids"] == ["WN39658", "2017-001365-24"]
    assert gantenerumab["people"][0]["role"] == "OVERALL_OFFICIAL"


@pytest.mark.shared
@pytest.mark.parametrize("first", ["euctr.ndjson", "ctgov2.ndjson"])
def test_a_mixed_export_gives_every_line_to_its_register(
    demo: Path, demo_records: dict, tmp_path: Path, first: str
) -> None:
    names = [first, *(n for n in sorted(DEMO_FILES) if n != first)]
    lines = [line for n in names for line in read_text(demo / n).splitlines()]
    meta = json.dumps({"_id": "meta-info", **json.loads(read_text(demo / "meta-info.json"))})
    mixed = tmp_path / "export.ndjson"
    mixed.write_text("\n".join([*lines[:3], meta, *lines[3:]]) + "\n", encoding="utf-8")
    records = import_file(mixed)
    assert len(records) == 25
    for record in records:
        expected = demo_records[record["trial_id"]]
        assert {**record, "source_file": None} == {**expected, "source_file": None}


@pytest.mark.shared
def test_normalize_and_run_end_to_end(demo: Path, tmp_path: Path) -> None:
    """As a user runs it: every register file, then the audit (exit 0 or 1, never 2)."""
    out, report = tmp_path / "records", tmp_path / "report"
    files = [str(demo / name) for name in sorted(DEMO_FILES)]
    command = [sys.executable, "-m", "audit"]
    normalized = subprocess.run(
        [*command, "normalize", *files, "--out", str(out)], capture_output=True, text=True
    )
    assert normalized.returncode == 0, normalized.stderr
    assert "25 records written" in normalized.stdout
    ran = subprocess.run(
        [*command, "run", "--records", str(out), "--as-of", "2026-11-22", "--out", str(report)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ran.returncode in (0, 1), ran.stderr
    findings = json.loads((report / "findings.json").read_text())["findings"]
    rules = Counter(f["rule"] for f in findings)
    assert not [r for r in rules if r.startswith(("schema-", "record-", "unexpected-"))], rules
    # No trial of one register names a trial of another in this sample (SOURCE.md).
    assert "duplicate-registration" not in rules and "source-conflict" not in rules
    assert all(f["severity"] != "error" for f in findings)


# --- handwritten fixtures: each register's model ----------------------------------------------


def fixture(name: str) -> dict[str, dict]:
    records = import_file(FIXTURES / name)
    assert all(schema_errors(r) == [] for r in records)
    return by_id(records)


def test_euctr_member_state_copies_and_a_third_country_trial() -> None:
    records = fixture("euctr/euctr.ndjson")
    assert list(records) == [
        "EUCTR2019-000123-45-DE",
        "EUCTR2019-000123-45-FR",
        "EUCTR2016-001999-11-3RD",
    ]
    germany, france = records["EUCTR2019-000123-45-DE"], records["EUCTR2019-000123-45-FR"]
    assert germany["secondary_ids"] == ["NCT04000001", "ISRCTN12345678", "EXA-301"]
    assert germany["nct_id"] == "NCT04000001"
    assert (germany["overall_status"], germany["status_text"]) == ("COMPLETED", "Completed")
    assert germany["enrollment"] == {"count": 312, "type": "ACTUAL"}
    assert germany["completion_date"] == {"date": "2022-11-30", "type": "ACTUAL"}
    assert germany["start_date"] == {"date": "2020-02-03", "type": "ACTUAL"}
    assert (germany["masking"], germany["allocation"], germany["primary_purpose"]) == (
        "DOUBLE",
        "RANDOMIZED",
        "TREATMENT",
    )
    assert germany["collaborators"] == ["Asthma Research Fund"]
    assert [(i["name"], i["type"]) for i in germany["interventions"]] == [
        ("Examplumab", "BIOLOGICAL"),
        ("Placebo", None),
    ]
    assert [(p["name"], p["role"], p["phone"]) for p in germany["people"]] == [
        ("Anna Beispiel", "PUBLIC_CONTACT", "4930123456"),
        ("Clinical Trial Information Desk", "SCIENTIFIC_CONTACT", "+49 30123456"),
    ]
    assert germany["eligibility"]["inclusion"] == [
        "Aged 6 to 11 years",
        "Moderate persistent asthma for at least 12 months",
    ]
    assert germany["outcomes"][1] == {
        "kind": "secondary",
        "measure": "Change in FEV1 from baseline",
        "time_frame": "Weeks 12, 24 and 52",
    }
    # France's copy has no results: its own status, and the plan for the whole trial
    assert (france["overall_status"], france["status_text"]) == (None, "Ongoing")
    assert france["enrollment"] == {"count": 400, "type": "ESTIMATED"}
    assert france["sites"][0]["country"] == "France"
    third = records["EUCTR2016-001999-11-3RD"]
    assert is_trial_id(third["trial_id"])
    assert (third["phases"], third["sites"]) == (["PHASE1", "PHASE2"], [])
    assert (third["eligibility"]["sex"], third["masking"], third["allocation"]) == (
        "FEMALE",
        "NONE",
        "NON_RANDOMIZED",
    )
    assert third["title"] == "SAMPLE-1" and third["interventions"][0]["name"] == "Samplix"
    assert third["enrollment"] == {"count": 25, "type": "ESTIMATED"}


def test_ctis_older_and_newer_shapes() -> None:
    records = fixture("ctis/ctis.ndjson")
    older, newer = records["2023-500111-22-00"], records["2024-500222-33-00"]
    assert (older["overall_status"], older["status_text"]) == (
        "RECRUITING",
        "Authorised, recruiting",
    )
    assert older["secondary_ids"] == ["2019-000123-45"]  # not the associated 2018-004321-10
    assert older["enrollment"] == {"count": 60, "type": "ESTIMATED"}
    assert older["start_date"] == {"date": "2023-10-01", "type": "ESTIMATED"}
    assert older["phases"] == ["PHASE2", "PHASE3"]
    assert older["collaborators"] == ["Utrecht Example University", "Migraine Foundation"]
    assert older["eligibility"]["inclusion"] == [
        "Women aged 18 to 55 years",
        "At least 4 migraine days per month",
    ]
    assert (older["eligibility"]["sex"], older["eligibility"]["healthy_volunteers"]) == (
        "FEMALE",
        False,
    )
    assert [(s["facility"], s["country"]) for s in older["sites"]] == [
        ("Leiden Example Hospital", "Netherlands"),
        (None, "Switzerland"),
    ]
    assert [(p["name"], p["role"]) for p in older["people"]] == [
        ("Eva de Voorbeeld", "PUBLIC_CONTACT"),
        ("Eva de Voorbeeld", "SCIENTIFIC_CONTACT"),
        ("Jan Voorbeeld", "SITE_INVESTIGATOR"),
    ]
    assert [(i["name"], i["type"]) for i in older["interventions"]] == [
        ("Exemplazine 10 mg tablets", "DRUG"),
        ("Placebo tablets", None),
    ]
    # "Ended" with every member state's early termination: TERMINATED, at the global end
    assert (newer["overall_status"], newer["status_text"]) == ("TERMINATED", "Ended")
    assert newer["start_date"] == {"date": "2024-03-15", "type": "ACTUAL"}
    assert newer["completion_date"] == {"date": "2025-01-22", "type": "ACTUAL"}
    assert newer["enrollment"] == {"count": 42, "type": "ESTIMATED"}
    assert (newer["nct_id"], newer["secondary_ids"]) == (
        "NCT05000002",
        ["NCT05000002", "IND 123456"],
    )
    assert newer["last_update_posted"] == "2025-02-11"


def _ctis_line(index: int) -> dict:
    return raw_lines(FIXTURES / "ctis" / "ctis.ndjson")[index]


def test_ctis_ended_is_completed_unless_every_state_ended_early() -> None:
    value = _ctis_line(1)
    value["events"]["trialEvents"][0]["events"].pop()  # Sweden: no early termination
    assert ctis.record(Path("x"), value, "line 2")["overall_status"] == "COMPLETED"
    del value["events"]
    assert ctis.record(Path("x"), value, "line 2")["overall_status"] is None  # nothing notified


@pytest.mark.parametrize(
    ("loaded", "status"),
    [
        ("2024-08-31 10:00:00", "NOT_YET_RECRUITING"),
        ("2025-02-10 09:20:00", "RECRUITING"),
        ("2026-12-01 09:00:00", "ACTIVE_NOT_RECRUITING"),
        ("2027-07-01 09:00:00", "COMPLETED"),
    ],
)
def test_isrctn_status_follows_the_dates_on_the_day_of_capture(loaded: str, status: str) -> None:
    value = raw_lines(FIXTURES / "isrctn" / "isrctn.ndjson")[1]
    value["record_last_import"] = loaded
    assert ctrdata.record(Path("x"), value, "line 2")["overall_status"] == status


def test_isrctn_override_ids_and_pick_lists() -> None:
    records = fixture("isrctn/isrctn.ndjson")
    stopped, feeding = records["ISRCTN12345678"], records["ISRCTN87654321"]
    assert (stopped["overall_status"], stopped["status_text"]) == ("TERMINATED", "Stopped")
    assert stopped["secondary_ids"] == ["2019-000123-45", "NCT04000001", "EXA-301"]
    assert stopped["nct_id"] == "NCT04000001"
    assert stopped["enrollment"] == {"count": 312, "type": "ACTUAL"}
    assert stopped["start_date"] == {"date": "2020-01-15", "type": None}
    assert (stopped["eligibility"]["min_age_years"], stopped["eligibility"]["max_age_years"]) == (
        6,
        11,
    )
    assert (stopped["allocation"], stopped["intervention_model"]) == ("RANDOMIZED", "PARALLEL")
    assert [(i["name"], i["type"]) for i in stopped["interventions"]] == [
        ("Examplumab", "BIOLOGICAL")
    ]
    assert [(s["facility"], s["zip"], s["country"]) for s in stopped["sites"]] == [
        ("Berlin Example Clinic", None, "Germany"),
        (None, None, "France"),
    ]
    assert [o["measure"] for o in stopped["outcomes"]] == [
        "Severe asthma exacerbations over 52 weeks",
        "Hospital admissions for asthma",
        "Lung function (FEV1) at 12 weeks",
    ]
    assert feeding["secondary_ids"] == ["FEED-2"]  # "Nil known" dropped
    assert feeding["enrollment"] == {"count": 120, "type": "ESTIMATED"}
    assert feeding["allocation"] == "NON_RANDOMIZED" and feeding["primary_purpose"] is None
    assert feeding["conditions"] == ["Prematurity", "Feeding problems"]
    assert [(i["name"], i["type"]) for i in feeding["interventions"]] == [
        ("Vitamin D", "DIETARY_SUPPLEMENT"),
        ("Iron (ferrous sulfate, oral)", "DIETARY_SUPPLEMENT"),
    ]
    assert feeding["phases"] == ["NA"]
    assert feeding["eligibility"]["healthy_volunteers"] is True
    assert feeding["descriptions"]["brief_summary"] is None  # "Not provided at time of ..."


def test_ctgov_json_of_both_converters() -> None:
    records = fixture("ctgov_xml/ctrdata_ctgov.ndjson")
    older, newer = records["NCT04000001"], records["NCT04000003"]
    assert older["source"] == newer["source"] == "ctgov-xml"
    assert older["sponsor"] == "Example Pharma GmbH & Co. KG"
    assert older["descriptions"]["brief_summary"] == (
        "Children's asthma study of examplumab versus placebo."
    )
    assert older["eligibility"]["inclusion"] == ["Aged 6 to 11 years"]
    assert older["eligibility"]["exclusion"] == ["Other chronic lung disease"]
    assert older["participant_flow"] == [
        {"group": "Examplumab", "started": 157},
        {"group": "Placebo", "started": 155},
    ]
    assert [a["interventions"] for a in older["arms"]] == [
        ["Biological: Examplumab"],
        ["Drug: Placebo"],
    ]
    assert newer["start_date"] == {"date": "2021-03-01", "type": "ACTUAL"}
    assert newer["primary_completion_date"] == {"date": "2026-12", "type": "ESTIMATED"}
    assert newer["enrollment"] == {"count": 80, "type": "ESTIMATED"}
    assert newer["participant_flow"] == [{"group": "Cohort", "started": 64}]
    assert newer["secondary_ids"] == ["OBS-7", "NCT03999998"]
    assert newer["study_type"] == "OBSERVATIONAL"
    assert [(p["name"], p["role"], p["degrees"]) for p in newer["people"]] == [
        ("Maria Example", "OVERALL_OFFICIAL", ["MD", "PhD"]),
        ("Study Office", "CENTRAL_CONTACT", []),
    ]
    assert newer["sites"][0]["status"] == "ACTIVE_NOT_RECRUITING"


def _as_json(element: ET.Element, older: bool) -> Any:
    """An element as ctrdata's converters write it: attributes in "@attributes" with the text
    escaped (older), or as members with the text in "_" (newer)."""
    children: dict[str, Any] = {}
    for child in element:
        value = _as_json(child, older)
        if child.tag in children:
            previous = children[child.tag]
            children[child.tag] = (
                [*previous, value]
                if isinstance(previous, list)
                else [
                    previous,
                    value,
                ]
            )
        else:
            children[child.tag] = value
    text = element.text if element.text and element.text.strip() else None
    if older and text:
        text = text.replace("&", "&amp;").replace("\r", "&#xD;")
    if not element.attrib and not children:
        return text or {}
    if not element.attrib:
        return children
    attributes = {"@attributes": dict(element.attrib)} if older else dict(element.attrib)
    return {**attributes, **children, **({"_": text} if text else {})}


@pytest.mark.parametrize("older", [True, False])
@pytest.mark.parametrize("name", ["older_wording.xml", "minimal.xml"])
def test_ctgov_json_gives_the_record_of_the_same_xml(name: str, older: bool) -> None:
    """One mapping: ctrdata's JSON of a legacy XML record gives the XML's record."""
    path = FIXTURES / "ctgov_xml" / name
    [from_xml] = ctgov_xml.parse(path, read_text(path))
    value = _as_json(ET.fromstring(read_text(path)), older)
    from_json = ctgov_json.record(path, value, "the record")
    assert from_json == from_xml


def test_a_mixed_export_skips_its_meta_info_and_honours_a_forced_source() -> None:
    mixed = FIXTURES / "ctrdata" / "mixed.ndjson"
    records = import_file(mixed)
    assert [(r["trial_id"], r["source"]) for r in records] == [
        ("EUCTR2019-000123-45-DE", "euctr"),
        ("2024-500222-33-00", "ctis"),
        ("ISRCTN12345678", "isrctn"),
        ("NCT05000002", "ctgov-api"),
        ("NCT04000001", "ctgov-xml"),
    ]
    assert import_file(mixed, "isrctn") == records
    with pytest.raises(SourceError, match=r"ctis\.ndjson: no euctr record in this ctrdata export"):
        import_file(FIXTURES / "ctis" / "ctis.ndjson", "euctr")


def test_cross_registrations_link_the_trials_of_every_register() -> None:
    """duplicate-registration links trials through the ids these importers read; the member
    states' copies of one EU CTR trial are one trial, never a duplicate; the four registers'
    ids of one trial are one finding."""
    records = [
        *import_file(FIXTURES / "euctr" / "euctr.ndjson"),
        *import_file(FIXTURES / "ctis" / "ctis.ndjson"),
        *import_file(FIXTURES / "isrctn" / "isrctn.ndjson"),
        *import_file(FIXTURES / "ctgov_xml" / "ctrdata_ctgov.ndjson"),
    ]
    tables = build_tables((f"{r['trial_id']}.{r['source']}.json", r) for r in records)
    findings = run_rules(tables, date(2026, 11, 22), [all_rules()["duplicate-registration"]])
    links = {tuple(f.evidence["ids"]): (f.severity, f.key) for f in findings}
    assert links == {
        ("2023-500111-22-00", "EUCTR2019-000123-45", "ISRCTN12345678", "NCT04000001"): (
            "info",
            "declared",
        ),
    }


# --- sniffing and hostile lines --------------------------------------------------------------


def test_a_record_longer_than_the_head_is_recognized_by_its_keys() -> None:
    """ctrdata writes ctrname last, after records often longer than the 64 KiB head."""
    value = raw_lines(FIXTURES / "euctr" / "euctr.ndjson")[1]
    value["e21_main_objective_of_the_trial"] = "x" * 70_000
    text = json.dumps({k: v for k, v in value.items() if k != "ctrname"} | {"ctrname": "EUCTR"})
    assert '"ctrname"' not in text[:65536]
    assert ctrdata.head_register(text[:65536]) == "EUCTR"
    assert not ctrdata.sniff('{"protocolSection": {}}', "EUCTR")
    assert ctrdata.head_register("a, b, c\n1, 2, 3") is None


HOSTILE = {
    "array line": (
        '{"ctrname": "ISRCTN", "isrctn": "12345678"}\n[1, 2]\n',
        "line 2: a JSON list, not a trial record",
    ),
    "unknown register": (
        '{"ctrname": "ISRCTN", "isrctn": "12345678"}\n{"ctrname": "DRKS"}\n',
        "line 2: ctrname 'DRKS' is not one of CTGOV2, CTGOV, EUCTR, CTIS, ISRCTN",
    ),
    "no register": (
        '{"ctrname": "ISRCTN", "isrctn": "12345678"}\n{"title": "x"}\n',
        "line 2: no ctrname, and its keys name no register this tool reads",
    ),
    "no EudraCT number": (
        '{"ctrname": "ISRCTN", "isrctn": "12345678"}\n'
        '{"ctrname": "EUCTR", "a2_eudract_number": "?"}\n',
        "line 2: no EudraCT number in a2_eudract_number",
    ),
    "no CT number": (
        '{"ctrname": "CTIS", "ctNumber": ""}\n{"ctrname": "CTIS", "ctNumber": "x"}\n',
        "line 1: no ctNumber",
    ),
    "no ISRCTN number": (
        '{"ctrname": "ISRCTN", "isrctn": "1234"}\n{"ctrname": "ISRCTN", "isrctn": "x"}\n',
        "line 1: no ISRCTN number in 'isrctn'",
    ),
    "no NCT id": (
        '{"ctrname": "CTGOV", "id_info": {}}\n{"ctrname": "CTGOV", "id_info": {}}\n',
        "line 1: no <nct_id> in <id_info>",
    ),
    "NaN": (
        '{"ctrname": "ISRCTN", "isrctn": "12345678"}\n{"ctrname": "ISRCTN", "n": NaN}\n',
        "invalid JSON on line 2: NaN is not valid JSON",
    ),
    "cut-off line": (
        '{"ctrname": "ISRCTN", "isrctn": "12345678"}\n{"ctrname": "ISRCTN", "isr\n',
        "invalid JSON on line 2: Unterminated string",
    ),
    "duplicate key": (
        '{"ctrname": "CTIS", "ctNumber": "a", "ctNumber": "b"}\n{"ctrname": "CTIS"}\n',
        "invalid JSON on line 1: duplicate key 'ctNumber' in one JSON object",
    ),
    "too deep": (
        '{"ctrname": "CTGOV", "id_info": {"nct_id": "NCT04000001"}, "x": '
        + '{"a": ' * 3000
        + "1"
        + "}" * 3001
        + "\n",
        "invalid JSON: nested too deeply",
    ),
    "only the meta-info": (
        '{"_id": "meta-info", "ctrname": "CTIS", "queries": []}\n',
        "a ctrdata meta-info file (the queries behind an export), not trial records",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_lines_are_clear_errors_naming_the_file(case: str, tmp_path: Path) -> None:
    text, message = HOSTILE[case]
    path = tmp_path / "export.ndjson"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        import_file(path)
    assert str(raised.value).startswith(f"{path}: "), raised.value
    assert message in str(raised.value)


def test_odd_values_give_nulls_not_crashes(tmp_path: Path) -> None:
    value = {
        "ctrname": "CTIS",
        "ctNumber": "2023-500111-22-00",
        "ctStatus": True,
        "startDateEU": "99/99/2021",
        "totalNumberEnrolled": "9" * 40,
        "authorizedPartsII": [{"recruitmentSubjectCount": -5}, {"recruitmentSubjectCount": 1e308}],
        "events": {"trialEvents": [{"events": [{"notificationType": 7, "date": ["x"]}]}]},
        "authorizedPartI": {"sponsors": "nobody", "trialDetails": []},
    }
    path = tmp_path / "odd.ndjson"
    path.write_text(json.dumps(value) + "\n", encoding="utf-8")
    [record] = import_file(path)
    assert schema_errors(record) == []
    assert record["enrollment"] == {"count": None, "type": None}
    assert record["overall_status"] is None and record["start_date"]["date"] is None


# --- every field of every fixture line with confused types ------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "Yes", "No", "true", "2020-02-30", "31/12/2024", "NCT01234567", "-1"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
IDS = ("ctrname", "_id", "ctNumber", "isrctn", "a2_eudract_number")


@st.composite
def confused(draw: st.DrawFn, value: Any, key: str = "") -> Any:
    """``value`` with random subtrees replaced by arbitrary JSON; the register and id kept."""
    if key not in IDS and draw(st.integers(0, 7)) == 0:
        return draw(JSON_VALUES)
    if isinstance(value, dict):
        return {k: draw(confused(item, k)) for k, item in value.items()}
    if isinstance(value, list):
        return [draw(confused(item)) for item in value]
    return value


FIXTURE_LINES = [
    line
    for name in ("euctr/euctr.ndjson", "ctis/ctis.ndjson", "isrctn/isrctn.ndjson")
    for line in raw_lines(FIXTURES / name)
] + raw_lines(FIXTURES / "ctgov_xml" / "ctrdata_ctgov.ndjson")


@settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(data=st.data())
def test_type_confused_records_give_schema_valid_records_or_clear_errors(data: Any) -> None:
    value = data.draw(confused(data.draw(st.sampled_from(FIXTURE_LINES))))
    try:
        made = ctrdata.record(Path("export.ndjson"), value, "line 1")
    except SourceError as error:
        assert str(error).startswith("export.ndjson: line 1: ")
        return
    assert schema_errors(made) == []
