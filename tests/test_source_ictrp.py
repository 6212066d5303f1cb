"""The WHO ICTRP CSV importer: real 2020 COVID-19 exports, handwritten fixtures, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.record import schema_errors
from audit.sources import SourceError, ictrp, read_text

FIXTURES = Path(__file__).parent / "fixtures" / "ictrp"
JULY = "ictrp_covid19_export_2020-07-07_4098trials.csv"
APRIL = "ictrp_covid19_export_2020-04-15_1135trials.csv"
HEADER = (
    "TrialID,Last Refreshed on,Public title,Scientific title,Acronym,Primary sponsor,"
    "Date registration,Date registration3,Export date,Source Register,web address,"
    "Recruitment Status,other records,Inclusion agemin,Inclusion agemax,Inclusion gender,"
    "Date enrollement,Target size,Study type,Study design,Phase,Countries,Contact Firstname,"
    "Contact Lastname,Contact Address,Contact Email,Contact Tel,Contact Affiliation,"
    "Inclusion Criteria,Exclusion Criteria,Condition,Intervention,Primary outcome,"
    "results date posted,results date completed,results url link,Retrospective flag,"
    "Bridging flag truefalse,Bridged type,results yes no"
)
COLUMNS = HEADER.split(",")


def _parse(path: Path) -> list[dict]:
    return ictrp.parse(path, read_text(path))


def _by_id(records: list[dict]) -> dict[str, dict]:
    return {record["trial_id"]: record for record in records}


def _row(**cells: str) -> str:
    """One CSV row in ICTRP column order; ``cells`` keyed by column name with "_" for " "."""
    named = {name.replace("_", " "): value for name, value in cells.items()}
    return ",".join(f'"{named.get(column, "")}"' for column in COLUMNS)


# --- the real exports --------------------------------------------------------------------


@pytest.fixture(scope="module")
def exports(data: Path) -> dict[str, list[dict]]:
    folder = data / "who_ictrp_covid19_2020"
    return {name: _parse(folder / name) for name in (JULY, APRIL)}


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "rows", "with_count", "with_arm_sizes", "with_nct", "recruiting"),
    [(JULY, 4098, 4061, 682, 2300, 1980), (APRIL, 1135, 1124, 558, 438, 533)],
)
def test_every_row_of_the_real_exports_imports_schema_valid(
    exports, name, rows, with_count, with_arm_sizes, with_nct, recruiting
):
    records = exports[name]
    assert len(records) == rows
    assert len({r["trial_id"] for r in records}) == rows
    failures = {r["trial_id"]: schema_errors(r) for r in records if schema_errors(r)}
    assert failures == {}
    assert all(r["source"] == "ictrp" and r["source_file"].endswith(name) for r in records)
    assert sum(r["enrollment"]["count"] is not None for r in records) == with_count
    assert all(
        r["enrollment"]["type"] == ("ESTIMATED" if r["enrollment"]["count"] is not None else None)
        for r in records
    )
    sized = [r for r in records if any(a["planned_size"] is not None for a in r["arms"])]
    assert len(sized) == with_arm_sizes
    assert all(r["enrollment"]["count"] == sum(a["planned_size"] for a in r["arms"]) for r in sized)
    assert sum(r["nct_id"] is not None for r in records) == with_nct
    assert sum(r["overall_status"] == "RECRUITING" for r in records) == recruiting
    not_recruiting = [r for r in records if (r["status_text"] or "").lower() == "not recruiting"]
    assert not_recruiting and all(r["overall_status"] is None for r in not_recruiting)
    assert all(r["secondary_ids"] == [] for r in records)  # no cross-registration column


@pytest.mark.shared
@pytest.mark.parametrize("name", [JULY, APRIL])
def test_source_lines_point_at_the_line_where_each_row_starts(data, exports, name):
    lines = (data / "who_ictrp_covid19_2020" / name).read_bytes().decode("utf-8-sig").split("\n")
    for record in exports[name]:
        line = lines[record["source_lines"]["trial_id"] - 1]
        assert line.startswith((record["trial_id"] + ",", f'"{record["trial_id"]}",'))


@pytest.mark.shared
def test_mac_roman_mojibake_of_the_july_export_is_repaired(exports):
    july, april = _by_id(exports[JULY]), _by_id(exports[APRIL])
    assert not any("√©" in str(record) or "‚Äô" in str(record) for record in july.values())
    assert july["EUCTR2020-000890-25-FR"]["sponsor"] == (
        "Fondation Méditerranée Infection (FMI) - IHU Méditerranée Infection"
    )
    both = [i for i in july if i in april and not (april[i]["sponsor"] or "").isascii()]
    assert len(both) == 43
    assert all(july[i]["sponsor"] == april[i]["sponsor"] for i in both)


@pytest.mark.shared
def test_chictr_row_with_group_sizes_and_two_contacts(exports):
    record = _by_id(exports[JULY])["ChiCTR2000029763"]
    assert record["source_lines"] == {"trial_id": 49}
    assert record["nct_id"] is None
    assert record["title"].startswith("The efficacy of traditional chinese medicine on Novel")
    assert record["official_title"] == (
        "Study on Prevention and Treatment of Novel Coronavirus Pneumonia (COVID-19) With "
        "Traditional Chinese Medicine"
    )  # the export pads Scientific title with spaces
    assert (record["overall_status"], record["status_text"]) == ("RECRUITING", "Recruiting")
    assert record["study_type"] == "INTERVENTIONAL"
    assert record["intervention_model"] == "PARALLEL"  # ChiCTR "Study design": "Parallel"
    assert record["allocation"] is None and record["masking"] is None
    assert record["phases"] == []
    assert record["enrollment"] == {"count": 408, "type": "ESTIMATED"}
    assert [
        (a["label"], a["type"], a["interventions"], a["planned_size"]) for a in record["arms"]
    ] == [
        ("experimental group", "EXPERIMENTAL", ["TCM and general treatment"], 204),
        ("control group", None, ["general treatment"], 204),
    ]
    assert record["interventions"] == [
        {"type": None, "name": "TCM and general treatment", "description": None},
        {"type": None, "name": "general treatment", "description": None},
    ]
    # "Huang Luqi; Li Zhiqiang" with one email and one phone: who owns them is not stated, so
    # they make a contact without a name
    assert [(p["name"], p["role"], p["email"], p["phone"]) for p in record["people"]] == [
        ("Huang Luqi", "PUBLIC_CONTACT", None, None),
        ("Li Zhiqiang", "SCIENTIFIC_CONTACT", None, None),
        (None, "PUBLIC_CONTACT", "huangluqi01@126.com", "+86 010-64089801"),
    ]
    assert record["people"][2]["affiliation"] == "China Academy of Chinese Medical Sciences"
    assert record["start_date"] == {"date": "2020-02-13", "type": None}
    assert (record["first_posted"], record["last_update_posted"]) == ("2020-02-12", "2020-02-17")
    assert record["sites"] == [
        {
            "facility": None,
            "city": None,
            "state": None,
            "zip": None,
            "country": "China",
            "status": None,
        }
    ]
    assert record["outcomes"] == [
        {
            "kind": "primary",
            "measure": "Rate of conversion to severe or critical illness",
            "time_frame": None,
        }
    ]
    eligibility = record["eligibility"]
    assert (eligibility["sex"], eligibility["min_age_years"], eligibility["max_age_years"]) == (
        "ALL",
        18,
        75,
    )
    assert len(eligibility["inclusion"]) == 2 and eligibility["inclusion"][1].startswith(
        "(2) Agree"
    )
    assert len(eligibility["exclusion"]) == 5
    assert (
        eligibility["exclusion"][3]
        == "(4) Maternal, or patients with a positive urine pregnancy test."
    )


@pytest.mark.shared
def test_chictr_contacts_paired_by_position_when_the_counts_match(exports):
    record = _by_id(exports[JULY])["ChiCTR2000033720"]
    # Firstname "Guan Ling; Chen Yiyun", Tel "+86 13922976661; 13527970857", one email
    assert [(p["name"], p["role"], p["phone"], p["email"]) for p in record["people"]] == [
        ("Guan Ling", "PUBLIC_CONTACT", "+86 13922976661", None),
        ("Chen Yiyun", "SCIENTIFIC_CONTACT", "13527970857", None),
        (None, "PUBLIC_CONTACT", None, "813008501@qq.com"),
    ]


@pytest.mark.shared
def test_irct_row(exports):
    record = _by_id(exports[JULY])["IRCT20100228003449N28"]
    assert (record["overall_status"], record["status_text"]) == (None, "Not Recruiting")
    assert record["status_family"] == "NOT_RECRUITING"
    assert record["captured"] == "2020-07-07"  # ..._2020-07-07_4098trials.csv
    assert record["official_title"] == (
        "Evaluating efficacy and safety of interferone ß-1a in the treatment COVID-19 infection"
    )
    assert record["phases"] == []  # "2020-03-02 00:00:00": a spreadsheet's reading of "2-3"
    assert (record["allocation"], record["intervention_model"], record["masking"]) == (
        "RANDOMIZED",
        "PARALLEL",
        "NONE",
    )
    assert record["primary_purpose"] == "TREATMENT"
    assert record["enrollment"] == {"count": 30, "type": "ESTIMATED"}
    assert record["arms"] == []
    assert [(o["measure"], o["time_frame"]) for o in record["outcomes"]] == [
        ("Response to the treatment", "Daily"),
        ("Complications of the treatment", "Daily"),
    ]
    assert record["people"] == [
        {
            "name": "Hossein Khalili",
            "role": "PUBLIC_CONTACT",
            "degrees": [],
            "email": "khalilih@tums.ac.ir",
            "phone": "98216654715",
            "affiliation": "Tehran University of Medical Sciences",
        }
    ]
    assert [s["country"] for s in record["sites"]] == ["Iran (Islamic Republic of)"]
    assert (
        record["eligibility"]["min_age_years"] == 18
        and record["eligibility"]["max_age_years"] == 75
    )
    assert record["eligibility"]["exclusion"] == [
        "History of drug allergy",
        "Uncontrolled baseline diseases including neuropsychiatric disorders, diabetes, "
        "thyroid disorders, heart disease",
        "Pregnancy and lactation",
        "Baseline liver failure",
    ]


@pytest.mark.shared
def test_euctr_row(exports):
    record = _by_id(exports[JULY])["EUCTR2020-000890-25-FR"]
    assert (record["overall_status"], record["status_text"]) == (None, "Authorised")
    assert record["phases"] == ["PHASE3"]  # "Therapeutic confirmatory - (Phase III): yes"
    assert record["study_type"] == "INTERVENTIONAL"
    # "Controlled: no Randomised: no Open: no Single blind: no Double blind: no ..."
    assert record["allocation"] == "NON_RANDOMIZED"
    assert record["masking"] is None and record["intervention_model"] is None
    assert record["enrollment"] == {"count": 25, "type": "ESTIMATED"}
    assert record["outcomes"] == [
        {
            "kind": "primary",
            "measure": "Results of SARS-COV2 virus detection",
            "time_frame": "Day 1, Day 4, Day 7 and Day 14",
        }
    ]
    assert record["interventions"] == [
        {
            "type": None,
            "description": None,
            "name": "Trade Name: Plaquenil 200 mg, comprimé pelliculé "
            "Pharmaceutical Form: Coated tablet",
        }
    ]
    assert record["eligibility"]["sex"] == "ALL"  # "<br>Female: yes<br>Male: yes<br>"
    assert record["eligibility"]["inclusion"][-1] == (
        "Persons who have given their free and informed consent and have signed the written form."
    )  # the "Are the trial subjects under 18?" counts are not criteria
    assert record["eligibility"]["exclusion"][0] == "Pregnant woman"
    assert len(record["eligibility"]["exclusion"]) == 8
    assert record["conditions"] == [
        "Patients with documented respiratory infection with coronavirus SARS COV 2",
        "Therapeutic area: Diseases [C] - Virus Diseases [C02]",
    ]
    assert record["people"][0]["name"] == "IHU Méditerranée Infection"
    assert record["people"][0]["email"] == "line.meddeb@ap-hm.fr"


@pytest.mark.shared
def test_clinicaltrials_gov_row_with_a_study_design_string(exports):
    record = _by_id(exports[JULY])["NCT04246242"]
    assert record["nct_id"] == "NCT04246242"
    assert record["source_lines"] == {"trial_id": 2}
    assert (record["allocation"], record["intervention_model"], record["primary_purpose"]) == (
        "RANDOMIZED",
        "PARALLEL",
        "TREATMENT",
    )
    assert (record["masking"], record["who_masked"]) == ("SINGLE", ["PARTICIPANT"])
    assert record["phases"] == ["PHASE4"]
    assert record["start_date"] == {"date": "2020-01-25", "type": None}  # "January 25, 2020"
    assert record["enrollment"] == {"count": 500, "type": "ESTIMATED"}
    assert [(i["type"], i["name"]) for i in record["interventions"]] == [
        ("DRUG", "Conventional treatment group"),
        ("DRUG", "arbidol,200mg,tid"),
        ("DRUG", "arbidol,400mg,tid"),
    ]
    assert record["people"] == [
        {
            "name": "Pinhua Pan",
            "role": "PUBLIC_CONTACT",
            "degrees": ["Medical PhD"],
            "email": "pinhuapan668@126.com",
            "phone": "+86 13574810968",
            "affiliation": None,
        }
    ]
    assert record["eligibility"]["inclusion"] == [
        "Patients diagnosed with RT-PCR for 2019 Novel Coronavirus (2019-nCoV)"
    ]
    assert record["eligibility"]["exclusion"] == ["Patients infected with other viruses"]
    assert record["sites"] == [] and record["eligibility"]["min_age_years"] is None


@pytest.mark.shared
def test_clinicaltrials_gov_packed_contacts_split_into_people(exports):
    record = _by_id(exports[JULY])["NCT04261907"]
    # Lastname "Yunqing Qiu, Master;Xiaowei Xu, Master", Email ";xxw69@126.com",
    # Affiliation "First Affiliated Hospital of Zhejiang University;"
    assert record["people"] == [
        {
            "name": "Yunqing Qiu",
            "role": "PUBLIC_CONTACT",
            "degrees": ["Master"],
            "email": None,
            "phone": None,
            "affiliation": "First Affiliated Hospital of Zhejiang University",
        },
        {
            "name": "Xiaowei Xu",
            "role": "SCIENTIFIC_CONTACT",
            "degrees": ["Master"],
            "email": "xxw69@126.com",
            "phone": "+86 13605708066",
            "affiliation": None,
        },
    ]
    many = _by_id(exports[JULY])["NCT04329559"]
    assert len(many["people"]) == 17
    assert {p["role"] for p in many["people"]} == {"PUBLIC_CONTACT"}
    assert many["people"][-1]["email"] == "qixiaolong@vip.163.com"
    assert many["people"][0]["degrees"] == ["MD"]


@pytest.mark.shared
def test_real_contact_cells_with_two_addresses_or_no_owner(exports):
    july = _by_id(exports[JULY])

    def people(trial: str) -> list[tuple]:
        return [(p["name"], p["role"], p["email"], p["phone"]) for p in july[trial]["people"]]

    # Email ";cvilaplana@gmail.com, cvilaplana@igtp.cat": two addresses of the second person
    assert people("NCT04378452") == [
        ("Cris Vilaplana", "PUBLIC_CONTACT", None, None),
        ("Cris Vilaplana", "SCIENTIFIC_CONTACT", "cvilaplana@gmail.com", "+34930330527"),
        ("Cris Vilaplana", "SCIENTIFIC_CONTACT", "cvilaplana@igtp.cat", "+34930330527"),
    ]
    # Three names, Email ";;jamo@mscbs.es; rpolor@mscbs.es" (four parts): whose is not stated
    assert people("NCT04334928")[2:] == [
        ("Julia del Amo", "PUBLIC_CONTACT", None, "+34 690 963030"),
        (None, "PUBLIC_CONTACT", "jamo@mscbs.es", None),
        (None, "PUBLIC_CONTACT", "rpolor@mscbs.es", None),
    ]
    # No name at all, an email and a phone (once dropped)
    assert people("DRKS00021677") == [
        (None, "PUBLIC_CONTACT", "studien-anaesthesie@bergmannsheil.de", "0234-3020")
    ]
    # Lastname "Paul CHAN;", Tel "+852 35053339;+852 35053555": the second contact has no name
    assert people("NCT04325919")[1] == (None, "SCIENTIFIC_CONTACT", None, "+852 35053555")
    # One person, Email "emmanuel.disse@chu-lyon.fr;": the separator is not part of the address
    assert people("NCT04413838") == [
        ("Emmanuel DISSE", "PUBLIC_CONTACT", "emmanuel.disse@chu-lyon.fr", "+33 4 78 86 14 84")
    ]
    nameless = [p for r in july.values() for p in r["people"] if p["name"] is None]
    assert len(nameless) == 21
    assert all(p["email"] or p["phone"] for p in nameless)
    emails = [p["email"] for r in july.values() for p in r["people"] if p["email"]]
    assert all("@" in email and not set(email) & set(" ,;") for email in emails)


# --- handwritten fixtures ----------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> dict[str, dict]:
    return _by_id(_parse(FIXTURES / "export_small.csv"))


def test_sniff_accepts_ictrp_headers_with_or_without_a_bom():
    head = (FIXTURES / "export_small.csv").read_text(encoding="utf-8")
    assert head.startswith("\ufeff")
    assert ictrp.sniff(FIXTURES / "export_small.csv", head)
    assert ictrp.sniff(Path("x.csv"), head.lstrip("\ufeff"))
    assert ictrp.sniff(Path("x.csv"), '"TrialID","Source Register"\n')
    assert not ictrp.sniff(Path("x.csv"), "index,trialid,source_register,cross_registrations\n")
    assert not ictrp.sniff(Path("x.json"), '{"protocolSection": {"TrialID": 1}}')
    assert not ictrp.sniff(Path("x.csv"), "")


def test_fixture_rows_all_import_with_their_physical_lines(small):
    assert {i: r["source_lines"]["trial_id"] for i, r in small.items()} == {
        "ChiCTR2000099901": 2,
        "NCT04999901": 3,  # its Inclusion Criteria cell runs over lines 3-14
        "EUCTR2020-009999-11-FR": 15,
        "IRCT20200101000001N1": 20,
        "ISRCTN99999999": 21,
        "ChiCTR2000099902": 22,
    }
    assert all(schema_errors(record) == [] for record in small.values())
    assert all(r["captured"] is None and r["source"] == "ictrp" for r in small.values())


def test_captured_is_the_date_in_the_file_name(tmp_path):
    text = (FIXTURES / "export_small.csv").read_text(encoding="utf-8")
    dated = tmp_path / "ictrp_export_2026-07-07_6trials.csv"
    dated.write_text(text, encoding="utf-8")
    assert {r["captured"] for r in ictrp.parse(dated, text)} == {"2026-07-07"}
    # A name dated before a row's "Last Refreshed on" is not the capture: the copy holds more.
    early = tmp_path / "ictrp_export_2020-01-01.csv"
    assert {r["captured"] for r in ictrp.parse(early, text)} == {None}


def test_fixture_chictr_groups_contacts_and_cleaned_cells(small):
    record = small["ChiCTR2000099901"]
    assert record["title"] == "Herbal granules for mild COVID-19"  # "_x000D_" removed
    assert (
        record["official_title"]
        == "A randomized controlled trial of herbal granules for mild COVID-19"
    )
    assert (record["overall_status"], record["status_text"]) == (None, "Not Recruiting")
    assert record["last_update_posted"] == "2020-04-15"  # "15 April 2020"
    assert record["phases"] == ["PHASE4"]  # ChiCTR's bare "4"
    assert record["enrollment"] == {"count": 180, "type": "ESTIMATED"}
    assert [(a["label"], a["interventions"], a["planned_size"]) for a in record["arms"]] == [
        ("experimental group", ["herbal granules + routine treatment"], 100),
        ("control group", [], 80),  # "Nil"
    ]
    assert [i["name"] for i in record["interventions"]] == ["herbal granules + routine treatment"]
    assert [(p["name"], p["role"], p["phone"], p["email"]) for p in record["people"]] == [
        ("Wang Wei", "PUBLIC_CONTACT", "+86 13800000001", None),
        ("Li Na", "SCIENTIFIC_CONTACT", "+86 13800000002", None),
        (None, "PUBLIC_CONTACT", None, "wangwei@example.org"),  # whose is not stated
    ]
    assert record["people"][0]["affiliation"] is None  # one affiliation for two people
    assert record["people"][2]["affiliation"] is not None
    assert record["eligibility"]["min_age_years"] == 18
    assert record["eligibility"]["max_age_years"] is None  # "0": no upper limit
    assert record["eligibility"]["inclusion"] == [
        "1. Confirmed COVID-19;",
        "2. Aged 18 years or over.",
    ]
    assert record["eligibility"]["exclusion"] == ["1. Pregnancy;", "2. Allergy to the study drug."]
    assert [o["measure"] for o in record["outcomes"]] == ["Time to recovery", "Mortality"]


def test_fixture_clinicaltrials_gov_row(small):
    record = small["NCT04999901"]
    assert record["nct_id"] == "NCT04999901"
    assert (record["overall_status"], record["phases"]) == ("RECRUITING", ["PHASE2", "PHASE3"])
    assert (record["masking"], record["who_masked"]) == ("DOUBLE", ["PARTICIPANT", "INVESTIGATOR"])
    assert record["start_date"] == {"date": "2020-03-24", "type": None}
    assert [s["country"] for s in record["sites"]] == ["United States", "Korea, Republic of"]
    assert record["conditions"] == ["COVID-19", "Pneumonia, Viral"]
    assert [(i["type"], i["name"]) for i in record["interventions"]] == [
        ("DRUG", "Drug X"),
        ("DRUG", "Placebo"),
        ("OTHER", "Standard of care"),
    ]
    assert record["eligibility"]["inclusion"] == [
        "Adults with confirmed SARS-CoV-2 infection",  # wrapped item joined
        "Hospitalized",
    ]
    assert record["eligibility"]["exclusion"] == ["Pregnancy"]
    assert (record["eligibility"]["min_age_years"], record["eligibility"]["max_age_years"]) == (
        18,
        None,
    )
    assert [(p["name"], p["degrees"], p["email"], p["affiliation"]) for p in record["people"]] == [
        ("Ann Smith", ["MD", "PhD"], None, "Example University"),
        ("Bob Jones", [], None, None),
        ("Bob Jones", [], "bob.jones@example.org", None),
    ]
    assert {p["role"] for p in record["people"]} == {"PUBLIC_CONTACT"}  # three: not paired roles
    assert record["secondary_ids"] == []  # "other records: Yes" names no id


def test_fixture_euctr_row(small):
    record = small["EUCTR2020-009999-11-FR"]
    assert (record["overall_status"], record["status_text"]) == (None, "Authorised")
    assert record["phases"] == ["PHASE2", "PHASE3"]
    assert (record["allocation"], record["masking"], record["intervention_model"]) == (
        "RANDOMIZED",
        "DOUBLE",
        "PARALLEL",
    )
    assert (record["first_posted"], record["start_date"]["date"]) == ("2020-03-10", "2020-03-05")
    assert record["eligibility"]["sex"] == "FEMALE"
    assert record["eligibility"]["inclusion"] == ["Women aged 18 or over", "Written consent"]
    assert record["eligibility"]["exclusion"] == ["Pregnancy"]
    assert record["outcomes"] == [
        {"kind": "primary", "measure": "Clinical status on a 7-point scale", "time_frame": "Day 15"}
    ]
    assert [i["name"] for i in record["interventions"]] == [
        "Trade Name: Examplex Pharmaceutical Form: Tablet"
    ]


def test_fixture_irct_row_with_odd_spacing(small):
    record = small["IRCT20200101000001N1"]
    assert record["title"] == "Drug Z in COVID-19"
    assert (record["overall_status"], record["status_text"]) == ("RECRUITING", "Recruiting")
    assert record["enrollment"] == {"count": 60, "type": "ESTIMATED"}
    assert record["phases"] == []
    assert record["people"][0]["name"] == "Reza Example"
    assert record["conditions"] == ["COVID-19."]  # "??????": letters the export lost
    assert [(o["measure"], o["time_frame"]) for o in record["outcomes"]] == [
        ("Oxygen saturation", "Daily"),
        ("Mortality", "Day 28"),
    ]
    assert record["eligibility"]["inclusion"] == ["Positive PCR test", "Hospitalized"]
    assert (record["allocation"], record["intervention_model"], record["masking"]) == (
        "RANDOMIZED",
        "PARALLEL",
        "NONE",
    )


def test_fixture_row_with_empty_cells(small):
    record = small["ISRCTN99999999"]
    assert record["title"] == "An observational study with almost nothing filled in"
    assert record["first_posted"] == "2020-04-01"
    for field in (
        "official_title",
        "overall_status",
        "status_text",
        "study_type",
        "allocation",
        "masking",
        "primary_purpose",
        "sponsor",
        "last_update_posted",
    ):
        assert record[field] is None, field
    for field in ("phases", "conditions", "interventions", "arms", "people", "sites", "outcomes"):
        assert record[field] == [], field
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


def test_fixture_chictr_diagnostic_sizes_give_a_count_but_no_arms(small):
    record = small["ChiCTR2000099902"]
    assert record["enrollment"] == {"count": 250, "type": "ESTIMATED"}
    assert record["arms"] == []
    assert [i["name"] for i in record["interventions"]] == [
        "Gold Standard:RT-PCR",
        "Index test:IgM antibody",
    ]
    assert (record["study_type"], record["primary_purpose"]) == (None, "DIAGNOSTIC")
    assert record["phases"] == []  # ChiCTR's bare "0"
    assert record["sites"] == []  # "??"
    assert (record["eligibility"]["min_age_years"], record["eligibility"]["max_age_years"]) == (
        0,
        None,
    )
    assert record["people"] == [
        {
            "name": "Zhang San",
            "role": "PUBLIC_CONTACT",
            "degrees": ["MD"],
            "email": None,
            "phone": None,
            "affiliation": None,
        }
    ]


# --- bad input ---------------------------------------------------------------------------


def test_missing_columns_are_named():
    with pytest.raises(SourceError) as error:
        _parse(FIXTURES / "no_trialid_column.csv")
    assert "missing columns TrialID, Countries" in str(error.value)


def test_bad_rows_are_all_reported_after_reading_the_file():
    with pytest.raises(SourceError) as error:
        _parse(FIXTURES / "bad_rows.csv")
    message = str(error.value)
    assert "empty TrialID at line(s) 2, 4" in message
    assert "3 cells instead of 40 at line(s) 6" in message
    assert "NCT04999902" not in message  # the good row is fine


def test_repeated_trial_id_header_only_and_blank_input_are_errors(tmp_path):
    text = "\n".join([HEADER, _row(TrialID="NCT04999904"), _row(TrialID="NCT04999904")])
    with pytest.raises(SourceError, match=r"TrialID NCT04999904 repeated at line\(s\) 3"):
        ictrp.parse(tmp_path / "x.csv", text)
    with pytest.raises(SourceError, match="no trial rows"):
        ictrp.parse(tmp_path / "x.csv", HEADER + "\n")
    with pytest.raises(SourceError, match="no header row"):
        ictrp.parse(tmp_path / "x.csv", "")


def test_mojibake_is_repaired_only_when_the_whole_text_round_trips(tmp_path):
    broken = _row(TrialID="DRKS00099999", Primary_sponsor="Universit√§tsklinikum Freiburg")
    [record] = ictrp.parse(tmp_path / "x.csv", HEADER + "\n" + broken)
    assert record["sponsor"] == "Universitätsklinikum Freiburg"
    correct = _row(TrialID="DRKS00099999", Primary_sponsor="Universitätsklinikum √ Freiburg")
    [record] = ictrp.parse(tmp_path / "x.csv", HEADER + "\n" + correct)
    assert record["sponsor"] == "Universitätsklinikum √ Freiburg"


def test_a_secondary_id_column_gives_secondary_ids_and_the_nct_id(tmp_path):
    text = (
        HEADER
        + ",Secondary IDs\n"
        + _row(TrialID="EUCTR2020-001246-18-DE")
        + (',"NCT04345991; 2020-001246-18"\n')
    )
    [record] = ictrp.parse(tmp_path / "x.csv", text)
    assert record["secondary_ids"] == ["NCT04345991", "2020-001246-18"]
    assert record["nct_id"] == "NCT04345991"


def _people_of(tmp_path: Path, **cells: str) -> list[tuple]:
    [record] = ictrp.parse(tmp_path / "x.csv", HEADER + "\n" + _row(TrialID="X1", **cells))
    assert schema_errors(record) == []
    return [(p["name"], p["role"], p["email"], p["phone"]) for p in record["people"]]


@pytest.mark.parametrize("emails", ["a@x.org; b@y.org", "a@x.org,b@y.org", "a@x.org / b@y.org"])
def test_one_person_with_two_addresses_is_listed_once_per_address(tmp_path, emails):
    assert _people_of(
        tmp_path, Contact_Firstname="Ann", Contact_Lastname="Lee", Contact_Email=emails
    ) == [
        ("Ann Lee", "PUBLIC_CONTACT", "a@x.org", None),
        ("Ann Lee", "PUBLIC_CONTACT", "b@y.org", None),
    ]


def test_listed_names_take_the_addresses_in_their_position(tmp_path):
    assert _people_of(
        tmp_path,
        Contact_Firstname="Ann;Bob",
        Contact_Lastname="Lee;Ray",
        Contact_Email="ann@x.org;bob@y.org, ray@y.org",
        Contact_Tel="111;222",
    ) == [
        ("Ann Lee", "PUBLIC_CONTACT", "ann@x.org", "111"),
        ("Bob Ray", "SCIENTIFIC_CONTACT", "bob@y.org", "222"),
        ("Bob Ray", "SCIENTIFIC_CONTACT", "ray@y.org", "222"),
    ]


def test_values_without_a_stated_owner_make_a_contact_without_a_name(tmp_path):
    assert _people_of(
        tmp_path,
        Contact_Firstname="Ann;Bob;Cy",
        Contact_Email="desk@x.org; help@x.org",
        Contact_Tel="111;222;333",
    ) == [
        ("Ann", "PUBLIC_CONTACT", None, "111"),
        ("Bob", "PUBLIC_CONTACT", None, "222"),
        ("Cy", "PUBLIC_CONTACT", None, "333"),
        (None, "PUBLIC_CONTACT", "desk@x.org", None),
        (None, "PUBLIC_CONTACT", "help@x.org", None),
    ]


def test_a_row_without_names_keeps_its_email_and_phone(tmp_path):
    assert _people_of(tmp_path, Contact_Email="trials@x.org", Contact_Tel="+1 555 0100") == [
        (None, "PUBLIC_CONTACT", "trials@x.org", "+1 555 0100")
    ]
    assert _people_of(tmp_path, Contact_Affiliation="Example Hospital") == []  # nobody to reach
    assert _people_of(tmp_path, Contact_Email="https://example.org/form") == []  # not an email


# --- the wording of single cells ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "phases"),
    [
        ("Phase 2/Phase 3", ["PHASE2", "PHASE3"]),
        ("Phase 2/ Phase 3", ["PHASE2", "PHASE3"]),
        ("Phase-3", ["PHASE3"]),
        ("Phase2", ["PHASE2"]),
        ("II-III", ["PHASE2", "PHASE3"]),
        ("IIb", ["PHASE2"]),
        ("2-3", ["PHASE2", "PHASE3"]),
        ("3", ["PHASE3"]),
        ("Not Applicable", ["NA"]),
        ("N/A", ["NA"]),
        ("Early Phase 1", ["EARLY_PHASE1"]),
        ("Phase 0", ["EARLY_PHASE1"]),
        ("0 (exploratory trials)", ["EARLY_PHASE1"]),
        ("0", []),
        ("2020-02-01 00:00:00", []),
        ("Retrospective study", []),
        ("Post Marketing Surveillance", []),
        ("", []),
    ],
)
def test_phase_wordings(cell, phases):
    assert ictrp._phases(cell) == phases


@pytest.mark.parametrize(
    ("cell", "which", "years"),
    [
        ("18 Years", "min", 18),
        ("18", "min", 18),
        ("18Y", "min", 18),
        ("19 Year(s)", "min", 19),
        ("18(Year)", "min", 18),
        ("20years-old", "min", 20),
        (">= 20age old", "min", 20),
        ("< 75age old", "max", None),
        ("6 Months", "min", 0.5),
        ("no limit", "max", None),
        ("0 N/A (No limit)", "max", None),
        ("0", "max", None),
        ("0", "min", 0),
        ("15 Minutes", "max", None),
    ],
)
def test_age_wordings(cell, which, years):
    assert ictrp._age(cell, which) == years


@pytest.mark.parametrize(
    ("cell", "count", "groups"),
    [
        ("500", 500, []),
        ("400 (200 in each arm)", 400, []),
        ("Case series:20;", 20, [("Case series", 20)]),
        (
            "Experimental group: mild cases:20;Control group:5;",
            25,
            [("Experimental group: mild cases", 20), ("Control group", 5)],
        ),
        ("Inclusion at 2 months", None, []),
        ("Group A:10;Group B:1", 11, [("Group A", 10), ("Group B", 1)]),
        ("Group A:10;Group B:", None, []),  # cut off by the export: not a count
        ("", None, []),
    ],
)
def test_target_size_wordings(cell, count, groups):
    assert ictrp._target_size(cell)[:2] == (count, groups)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "Purpose: Treatment; Allocation: Randomised controlled trial; "
            "Masking: Blinded (masking used);Assignment: Parallel;Type of endpoint: Efficacy;",
            ("RANDOMIZED", "PARALLEL", None, "TREATMENT"),
        ),
        (
            "Allocation: Single arm study;. Masking: Open (masking not used). Control: "
            "Uncontrolled/Single arm. Assignment: Single (group). Study design purpose: Prognosis;",
            ("NA", "SINGLE_GROUP", "NONE", None),
        ),
        (
            "Randomized, Parallel Group Trial<br>  Method of generating randomization sequence:"
            "Computer generated randomization  Blinding and masking:Open Label",
            ("RANDOMIZED", "PARALLEL", "NONE", None),
        ),
        (
            "<br>   Randomized: No, <br>   Masking: Double, <br>   Control: Placebo, <br>"
            "   Group: undefined, <br>   Type: 2 or more arms, randomized<br>",
            ("RANDOMIZED", None, "DOUBLE", None),
        ),
        (
            "Factorial: participants randomly allocated to either no, one, some or all "
            "interventions simultaneously,Randomised,Numbered containers",
            ("RANDOMIZED", "FACTORIAL", None, None),
        ),
        (
            "randomized controlled trial, double blind, placebo control, parallel assignment, "
            "treatment purpose",
            ("RANDOMIZED", "PARALLEL", "DOUBLE", "TREATMENT"),
        ),
        ("Single arm Non-randomized", ("NON_RANDOMIZED", "SINGLE_GROUP", None, None)),
        ("Non randomized control", ("NON_RANDOMIZED", None, None, None)),
        (
            "Multicentre double-blinded randomized placebo-controlled trial (Prevention)",
            (None, None, None, "PREVENTION"),
        ),
        (
            "Primary Purpose : Treatment, Intervention Model : Parallel, Blinding/Masking : Open, "
            "Allocation : RCT",
            ("RANDOMIZED", "PARALLEL", "NONE", "TREATMENT"),
        ),
        ("Cohort study", (None, None, None, None)),
    ],
)
def test_study_design_wordings(cell, expected):
    design = ictrp._design(cell, None)
    assert (
        design["allocation"],
        design["intervention_model"],
        design["masking"],
        design["primary_purpose"],
    ) == expected


@pytest.mark.parametrize(
    ("cell", "sex"),
    [
        ("Both", "ALL"),
        ("All", "ALL"),
        ("Both, male and female", "ALL"),
        ("Both males and females", "ALL"),
        ("Male/Female", "ALL"),
        ("Females", "FEMALE"),
        ("<br>Female: no<br>Male: yes<br>", "MALE"),
        ("-", None),
        ("", None),
    ],
)
def test_sex_wordings(cell, sex):
    assert ictrp._sex(cell) == sex


@pytest.mark.parametrize(
    ("cell", "status", "family"),
    [
        ("Recruiting", "RECRUITING", "RECRUITING"),
        ("Not recruiting", None, "NOT_RECRUITING"),
        ("Not Recruiting", None, "NOT_RECRUITING"),
        ("Authorised", None, None),
        ("Not Available", None, None),
        ("Completed", "COMPLETED", None),
        ("Pending", "NOT_YET_RECRUITING", None),
        ("Not yet recruiting", "NOT_YET_RECRUITING", None),
        ("Withdrawn", "WITHDRAWN", None),
    ],
)
def test_only_unambiguous_status_words_map(cell, status, family):
    # "Not recruiting" is no status but keeps its family, which source-conflict compares.
    assert ictrp._status(cell) == (status, cell, family)
