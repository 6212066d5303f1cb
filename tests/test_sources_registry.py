"""Choosing an importer: detection, and --source for a source with two formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from audit.record import schema
from audit.sources import SourceError, import_file, importers
from audit.vocab import SOURCES

COLUMNS = [
    "Rank",
    "NCT Number",
    "Title",
    "Acronym",
    "Status",
    "Study Results",
    "Conditions",
    "Interventions",
    "Outcome Measures",
    "Sponsor/Collaborators",
    "Gender",
    "Age",
    "Phases",
    "Enrollment",
    "Funded Bys",
    "Study Type",
    "Study Designs",
    "Other IDs",
    "Start Date",
    "Primary Completion Date",
    "Completion Date",
    "First Posted",
    "Results First Posted",
    "Last Update Posted",
    "Locations",
    "Study Documents",
    "URL",
]


def test_forced_classic_source_reads_a_page(seeds: Path) -> None:
    [record] = import_file(seeds / "001_4252685c35d04e8b.txt", "ctgov-classic")
    assert (record["trial_id"], record["source"]) == ("NCT04216849", "ctgov-classic")


def test_forced_classic_source_reads_a_search_export(tmp_path: Path) -> None:
    values = dict.fromkeys(COLUMNS, "")
    values.update(
        {
            "Rank": "1",
            "NCT Number": "NCT01234567",
            "Title": "A search export row",
            "Status": "Recruiting",
            "Enrollment": "40",
        }
    )
    export = tmp_path / "search_export_20200709.tsv"
    export.write_text("\t".join(COLUMNS) + "\n" + "\t".join(values.values()) + "\n")
    [record] = import_file(export, "ctgov-classic")
    assert (record["trial_id"], record["overall_status"], record["captured"]) == (
        "NCT01234567",
        "RECRUITING",
        "2020-07-09",
    )


def test_unknown_source_names_the_choices(seeds: Path) -> None:
    with pytest.raises(
        SourceError, match="choose from ctgov-api, ctgov-classic, ctgov-csv, ctgov-xml"
    ):
        import_file(seeds / "001_4252685c35d04e8b.txt", "clinicaltrials")


def test_every_list_of_sources_names_every_importer() -> None:
    """vocab.SOURCES (pandera), the record schema's enum and the GX suite's allowed sources."""
    suite = json.loads((ROOT / "expectations" / "studies.json").read_text(encoding="utf-8"))
    allowed = next(
        e["kwargs"]["value_set"]
        for e in suite["expectations"]
        if e["meta"]["rule"] == "unexpected-source"
    )
    names = {module.NAME for module in importers()}
    assert set(SOURCES) == set(schema()["properties"]["source"]["enum"]) == set(allowed) == names
    assert len(SOURCES) == len(set(SOURCES))
