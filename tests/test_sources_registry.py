"""Choosing an importer: detection, and --source for a source with two formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from audit.record import schema
from audit.sources import SourceError, import_file, importers
from audit.vocab import IMPORTERS, SOURCES

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


def test_every_list_of_sources_is_the_importer_registry() -> None:
    """vocab.SOURCES (pandera) derives from the registry; each registered module writes its
    source; the record schema's enum and the GX suite's allowed sources list exactly those."""
    assert tuple(IMPORTERS) == SOURCES
    registered = [(s, f"audit.sources.{m}") for s, modules in IMPORTERS.items() for m in modules]
    assert [(m.NAME, m.__name__) for m in importers()] == registered
    suite = json.loads((ROOT / "expectations" / "studies.json").read_text(encoding="utf-8"))
    allowed = next(
        e["kwargs"]["value_set"]
        for e in suite["expectations"]
        if e["meta"]["rule"] == "unexpected-source"
    )
    enum = schema()["properties"]["source"]["enum"]
    assert sorted(enum) == sorted(allowed) == sorted(SOURCES)


def test_every_importer_module_is_registered() -> None:
    """A module of audit/sources/ that defines NAME, sniff and parse is in the registry."""
    folder = ROOT / "audit" / "sources"
    texts = {p.stem: p.read_text("utf-8") for p in folder.glob("*.py")}
    modules = [m for m, text in texts.items() if "\nNAME = " in text and "\ndef parse(" in text]
    assert sorted(modules) == sorted(m for ms in IMPORTERS.values() for m in ms)
