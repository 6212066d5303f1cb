"""The catalogue (issue 14): every id an audit emits is declared once and documented; the
policy, the waivers and the suites cannot name an id it does not hold."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, valid_record, write_records

from audit.catalogue import SECTIONS, closest, plain_text
from audit.engine import full_catalogue, run_audit
from audit.rules import all_rules, run_rules
from audit.validate.expectations import load_suites, run_suites
from audit.validate.schemas import validate_tables

AS_OF = date(2026, 11, 22)
HOSTILE = ROOT / "tests" / "fixtures" / "hostile" / "records"


def audit_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=cwd, capture_output=True, text=True
    )


def assert_documented(rule_ids: set[str]) -> None:
    catalogue = full_catalogue()
    missing = rule_ids - set(catalogue)
    assert not missing, f"emitted but not catalogued: {sorted(missing)}"
    for rule_id in rule_ids:
        entry = catalogue[rule_id]
        assert entry.summary and entry.summary != rule_id
        for part in SECTIONS:
            assert len(entry.section(part)) > 20, f"{rule_id}: no {SECTIONS[part]!r}"


def test_every_entry_is_documented_in_every_part():
    assert_documented(set(full_catalogue()))
    assert set(all_rules()) <= set(full_catalogue())


def test_the_shipped_suites_name_only_catalogued_ids():
    suites = load_suites(ROOT / "expectations")
    named = {e["meta"]["rule"] for suite in suites.values() for e in suite["expectations"]}
    assert named <= set(full_catalogue())
    for suite in suites.values():  # the suite's severity is the catalogue's default
        for expectation in suite["expectations"]:
            meta = expectation["meta"]
            assert full_catalogue()[meta["rule"]].severity == meta["severity"]


def test_ids_emitted_on_seeds_and_hostile_records_are_catalogued(tmp_path, seed_records):
    folder = tmp_path / "records"
    shutil.copytree(HOSTILE, folder)
    write_records(folder, dict(seed_records))
    result = run_audit(folder, ROOT / "expectations", AS_OF)
    emitted = {f.rule for f in result.findings}
    assert {"record-unreadable", "record-structure", "schema-format"} <= emitted
    assert_documented(emitted)


def test_ids_emitted_on_the_real_corpus_are_catalogued(real_tables):
    findings = validate_tables(real_tables)
    findings += run_suites(real_tables, load_suites(ROOT / "expectations"))
    findings += run_rules(real_tables, AS_OF, all_rules().values())
    emitted = {f.rule for f in findings}
    assert len(emitted) >= 15
    assert_documented(emitted)


@pytest.mark.parametrize(
    ("file", "text", "typo", "guess"),
    [
        ("rules.yaml", "rules:\n  stale-unknown: {severity: error}\n", "stale-unknown",
         "stale-unknown-status"),
        ("waivers.yaml", "waivers:\n  - rule: placeholder-contcat\n    trial: NCT01234567\n"
         "    reason: r\n    approved_by: a\n    expires: 2030-01-01\n", "placeholder-contcat",
         "placeholder-contact"),
    ],
)  # fmt: skip
def test_a_misspelled_id_is_refused_naming_the_closest(tmp_path, file, text, typo, guess):
    config = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", config)
    (config / file).write_text(text, encoding="utf-8")
    records = write_records(tmp_path / "records", {"a.json": valid_record()})
    done = audit_cli("run", "--records", str(records), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert f"{typo!r} is not a finding id" in done.stderr
    assert f"did you mean {guess!r}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_suite_may_add_a_documented_id_but_not_a_typo(tmp_path):
    config = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", config)
    suite = json.loads((config / "people.json").read_text(encoding="utf-8"))
    new = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "email"},
        "meta": {"rule": "missing-contact-email", "notes": "Every contact should have an email."},
    }
    suite["expectations"].append(new)
    (config / "people.json").write_text(json.dumps(suite), encoding="utf-8")
    listed = json.loads(audit_cli("rules", "--json", "--expectations", str(config)).stdout)
    added = next(e for e in listed if e["id"] == "missing-contact-email")
    assert added["summary"] == "Every contact should have an email."
    assert added["origin"] == "expectation" and added["fix"]

    new["meta"] = {"rule": "untrimed-name"}
    (config / "people.json").write_text(json.dumps(suite), encoding="utf-8")
    records = write_records(tmp_path / "records", {"a.json": valid_record()})
    done = audit_cli("run", "--records", str(records), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "did you mean 'untrimmed-name'" in done.stderr


def test_audit_rules_lists_every_id_with_its_parts():
    listed = json.loads(audit_cli("rules", "--json").stdout)
    assert [e["id"] for e in listed] == list(full_catalogue())
    assert {"record-unreadable", "schema-ctgov-id", "duplicate-record", "missing-title"} <= {
        e["id"] for e in listed
    }
    text = audit_cli("rules", "schema-ctgov-id").stdout
    assert text.startswith("schema-ctgov-id  [error, schema, record]")
    missing = audit_cli("rules", "stale-unknwn-status")
    assert missing.returncode == 2 and "did you mean 'stale-unknown-status'" in missing.stderr


def test_plain_text_drops_docstring_markup():
    assert plain_text("use ``rules.yaml``\n  and *only* it\n\nnext") == (
        "use rules.yaml and only it\n\nnext"
    )
    assert closest("schema-formt", ["schema-format", "schema-enum"]) == "schema-format"
    assert closest("zzz", ["schema-format"]) is None
