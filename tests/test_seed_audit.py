"""The bundled records/: in sync with the seed pages, and the audit's findings on them."""

from __future__ import annotations

import os
from datetime import date

import pytest
from conftest import ROOT

from audit.engine import run_audit
from audit.record import dumps, schema_errors

AS_OF = date(2026, 11, 22)
UNKNOWN = {"NCT04441658", "NCT04216849", "NCT03943940", "NCT01219465"}


@pytest.fixture(scope="module")
def seed_audit():
    return run_audit(ROOT / "records", ROOT / "expectations", AS_OF)


def test_bundled_records_are_the_normalized_seeds(seed_records):
    bundled = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "records").glob("*.json")}
    # `nox -s normalize` runs from the project root, so source_file is relative to it.
    expected = {
        name: dumps(record | {"source_file": os.path.relpath(record["source_file"], ROOT)})
        for name, record in seed_records
    }
    assert bundled == expected
    assert all(schema_errors(record) == [] for _, record in seed_records)


def by_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def test_the_audit_is_complete_and_structurally_clean(seed_audit):
    assert seed_audit.complete
    assert [f for f in seed_audit.findings if f.origin in ("schema", "input")] == []


def test_liu_zhongmin_is_one_person_spelled_two_ways(seed_audit):
    [found] = by_rule(seed_audit, "contact-name-mismatch")
    assert set(found.trial_ids) == {"NCT04216849", "NCT04441658"}
    assert "Zhongming Liu" in found.message and "liu zhongmin" in found.message
    assert "congrong" not in found.message.lower()


def test_every_unknown_trial_is_stale_and_no_finding_blocks_a_merge(seed_audit):
    stale = by_rule(seed_audit, "stale-unknown-status")
    assert {t for f in stale for t in f.trial_ids} == UNKNOWN
    assert seed_audit.errors == [] and seed_audit.exit_code == 0


def test_nct04216849_still_recruits_at_a_site_in_its_one_unknown_finding(seed_audit):
    [found] = [
        f for f in by_rule(seed_audit, "stale-unknown-status") if "NCT04216849" in f.trial_ids
    ]
    assert "Shanghai East Hospital" in found.message
    assert by_rule(seed_audit, "stale-active-status") == []


def test_design_text_placeholder_and_arm_findings(seed_audit):
    # NCT04441658's "double-blind" summary agrees with its TRIPLE masking.
    assert by_rule(seed_audit, "design-text-conflict") == []
    [placeholder] = by_rule(seed_audit, "placeholder-contact")
    assert "StemCellUnit VanHanh" in placeholder.message
    [arm] = by_rule(seed_audit, "arm-intervention-mismatch")
    assert arm.trial_ids == ("NCT06751199",) and "human umbilical cord" in arm.message


def test_no_false_alarms_on_the_seeds(seed_audit):
    assert by_rule(seed_audit, "enrollment-arm-mismatch") == []
    assert by_rule(seed_audit, "duplicate-registration") == []
    assert by_rule(seed_audit, "source-conflict") == []
