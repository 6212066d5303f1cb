"""audit run: pandera and GX findings with row detail, reproducible output, exit codes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from conftest import ROOT, valid_record, write_records

from audit.cli import main
from audit.engine import run_audit
from audit.record import arm

AS_OF = date(2026, 11, 22)


def audit(folder: Path, expectations: Path = ROOT / "expectations"):
    return run_audit(folder, expectations, AS_OF)


def by_rule(result, rule: str):
    return [f for f in result.findings if f.rule == rule]


def test_clean_records_give_no_error_findings(tmp_path):
    write_records(tmp_path, {"a.json": valid_record(), "b.json": valid_record("NCT07654321")})
    result = audit(tmp_path)
    assert result.complete
    assert result.errors == []
    assert result.exit_code == 0


def test_malformed_nct_id_is_named_with_file_and_field(tmp_path):
    write_records(tmp_path, {"bad.json": valid_record("NCT123")})
    [found] = [f for f in by_rule(audit(tmp_path), "schema-format") if f.field == "trial_id"]
    assert found.origin == "schema"
    assert found.record_files == ("bad.json",)
    assert "NCT123" in found.message and "bad.json" in found.message


def test_negative_enrollment(tmp_path):
    write_records(tmp_path, {"neg.json": valid_record(enrollment={"count": -5, "type": "ACTUAL"})})
    [found] = by_rule(audit(tmp_path), "schema-range")
    assert (found.field, found.evidence["value"], found.record_files) == (
        "enrollment_count",
        -5,
        ("neg.json",),
    )


def test_unknown_status_word(tmp_path):
    write_records(tmp_path, {"s.json": valid_record(overall_status="Sort of recruiting")})
    [found] = by_rule(audit(tmp_path), "schema-enum")
    assert found.field == "overall_status"
    assert found.evidence["value"] == "Sort of recruiting"
    assert found.severity == "error"


def test_missing_trial_id(tmp_path):
    record = valid_record()
    record["trial_id"] = None
    write_records(tmp_path, {"anon.json": record})
    found = by_rule(audit(tmp_path), "schema-required")
    assert [(f.field, f.record_files) for f in found] == [("trial_id", ("anon.json",))]


def test_start_after_completion(tmp_path):
    write_records(
        tmp_path,
        {
            "late.json": valid_record(
                start_date={"date": "2021-03", "type": "ACTUAL"},
                completion_date={"date": "2020-12-31", "type": "ACTUAL"},
            )
        },
    )
    [found] = by_rule(audit(tmp_path), "schema-date-order")
    assert found.record_files == ("late.json",)
    assert found.evidence["value"]["start_date"] == "2021-03"


def test_partial_dates_compare_at_common_precision(tmp_path):
    write_records(
        tmp_path,
        {
            "ok.json": valid_record(
                start_date={"date": "2020-07", "type": "ACTUAL"},
                completion_date={"date": "2020-07-01", "type": "ACTUAL"},
            )
        },
    )
    assert by_rule(audit(tmp_path), "schema-date-order") == []


def test_wrong_json_type_is_a_structure_finding(tmp_path):
    write_records(
        tmp_path,
        {"t.json": valid_record(enrollment={"count": "several million", "type": "ACTUAL"})},
    )
    [found] = by_rule(audit(tmp_path), "record-structure")
    assert found.field == "enrollment.count"
    assert "several million" in found.message


def test_gx_findings_name_offending_rows(tmp_path):
    write_records(
        tmp_path,
        {
            "one.json": valid_record(),
            "two.json": valid_record(),  # same (trial_id, source) twice
            "big.json": valid_record(
                "NCT07654321", enrollment={"count": 5_000_000, "type": "ACTUAL"}
            ),
        },
    )
    result = audit(tmp_path)
    duplicates = by_rule(result, "duplicate-record")
    assert {f.record_files for f in duplicates} == {("one.json",), ("two.json",)}
    assert all(f.origin == "expectation" and f.severity == "error" for f in duplicates)
    [big] = by_rule(result, "implausible-enrollment")
    assert (big.record_files, big.trial_ids, big.evidence["value"]) == (
        ("big.json",),
        ("NCT07654321",),
        5_000_000,
    )
    origins = {f.origin for f in result.findings}
    assert {"expectation"} <= origins


def test_observational_database_studies_count_millions(tmp_path):
    # Modelled on a COVID symptom-tracker app (10,000,000) and a national health-database
    # cohort (6,000,000), both observational: real sizes, not typos. A placeholder far beyond
    # them is still reported, and so is a million-sized interventional trial.
    def enrolled(count: int, study_type: str) -> dict:
        return valid_record(enrollment={"count": count, "type": "ESTIMATED"}, study_type=study_type)

    write_records(
        tmp_path,
        {
            "app.json": enrolled(10_000_000, "OBSERVATIONAL"),
            "cohort.json": enrolled(6_000_000, "OBSERVATIONAL"),
            "placeholder.json": enrolled(999_999_999, "OBSERVATIONAL"),
            "trial.json": enrolled(2_000_000, "INTERVENTIONAL"),
        },
    )
    found = by_rule(audit(tmp_path), "implausible-enrollment")
    assert sorted(f.record_files for f in found) == [("placeholder.json",), ("trial.json",)]


def test_a_cancelled_studys_group_of_0_is_not_implausible(tmp_path):
    # Modelled on a ChiCTR case series "cancelled due to lack of patients": group size 0.
    cancelled = valid_record(
        "ChiCTR2000012345",
        "ictrp",
        arms=[arm("Case series", None, planned_size=0)],
        enrollment={"count": 0, "type": "ESTIMATED"},
    )
    huge = valid_record(arms=[arm("A", "EXPERIMENTAL", planned_size=5_000_000)])
    write_records(tmp_path, {"cancelled.json": cancelled, "huge.json": huge})
    found = by_rule(audit(tmp_path), "implausible-arm-size")
    assert [f.record_files for f in found] == [("huge.json",)]


def test_editing_a_suite_changes_the_result_without_code(tmp_path):
    records = write_records(
        tmp_path / "records", {"a.json": valid_record(enrollment={"count": 900, "type": "ACTUAL"})}
    )
    suites = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", suites)
    assert by_rule(audit(records, suites), "implausible-enrollment") == []
    studies = json.loads((suites / "studies.json").read_text())
    for expectation in studies["expectations"]:
        if expectation["meta"]["rule"] == "implausible-enrollment":
            expectation["kwargs"]["max_value"] = 500
    (suites / "studies.json").write_text(json.dumps(studies))
    [found] = by_rule(audit(records, suites), "implausible-enrollment")
    assert found.evidence["value"] == 900


def test_a_misspelled_expectation_names_its_file_and_the_run_completes(tmp_path):
    records = write_records(
        tmp_path / "records", {"a.json": valid_record(enrollment={"count": -1, "type": "ACTUAL"})}
    )
    suites = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", suites)
    studies = json.loads((suites / "studies.json").read_text())
    studies["expectations"][2]["type"] = "expect_column_values_to_be_nul"
    (suites / "studies.json").write_text(json.dumps(studies))
    result = audit(records, suites)
    [problem] = result.problems
    assert problem.startswith("expectations/studies.json: expectation 3 ")
    assert "expect_column_values_to_be_nul" in problem
    assert [f.severity for f in by_rule(result, "suite-unusable")] == ["error"]
    assert by_rule(result, "schema-range"), "the rules still ran"


def test_policy_file_sets_severity_and_turns_rules_off(tmp_path):
    records = write_records(
        tmp_path / "records",
        {"n.json": valid_record(enrollment={"count": -1, "type": "ACTUAL"}, overall_status="NOPE")},
    )
    suites = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", suites)
    (suites / "rules.yaml").write_text(
        "rules:\n  schema-range: {severity: info}\n  schema-enum: {enabled: false}\n"
    )
    result = audit(records, suites)
    assert [f.severity for f in by_rule(result, "schema-range")] == ["info"]
    assert by_rule(result, "schema-enum") == []


def test_two_runs_are_byte_identical(tmp_path):
    write_records(
        tmp_path / "records",
        {"a.json": valid_record("NCT123"), "b.json": valid_record(overall_status="X")},
    )
    outputs = []
    for run in ("first", "second"):
        code = main(
            [
                "run",
                "--records",
                str(tmp_path / "records"),
                "--as-of",
                "2026-11-22",
                "--out",
                str(tmp_path / run),
            ]
        )
        assert code == 1
        outputs.append((tmp_path / run / "findings.json").read_bytes())
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0])
    assert data["as_of"] == "2026-11-22" and data["record_count"] == 2


def test_fingerprints_survive_renames_and_unrelated_changes(tmp_path):
    write_records(
        tmp_path / "v1", {"a.json": valid_record("NCT123"), "b.json": valid_record("NCT07654321")}
    )
    write_records(
        tmp_path / "v2",
        {
            "zz-renamed.json": valid_record("NCT123"),
            "b.json": valid_record("NCT07654321", title="Edited"),
        },
    )
    first = {f.fingerprint for f in audit(tmp_path / "v1").findings}
    second = {f.fingerprint for f in audit(tmp_path / "v2").findings}
    assert first and first == second


def test_exit_codes(tmp_path):
    clean = write_records(tmp_path / "clean", {"a.json": valid_record()})
    dirty = write_records(tmp_path / "dirty", {"a.json": valid_record("NCT1")})
    broken = write_records(tmp_path / "broken", {"a.json": valid_record()})
    (broken / "b.json").write_text('{"trial_id": "NCT07654321", ', encoding="utf-8")
    out = str(tmp_path / "out")
    assert main(["run", "--records", str(clean), "--out", out]) == 0
    assert main(["run", "--records", str(dirty), "--out", out]) == 1
    assert main(["run", "--records", str(broken), "--out", out]) == 2
    unreadable = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert unreadable["complete"] is False
    assert any(
        f["rule"] == "record-unreadable" and f["record_files"] == ["b.json"]
        for f in unreadable["findings"]
    )
    assert main(["run", "--records", str(tmp_path / "missing"), "--out", out]) == 2


def test_bad_arguments_exit_2(tmp_path):
    import pytest

    with pytest.raises(SystemExit) as stop:
        main(["run", "--as-of", "not-a-date"])
    assert stop.value.code == 2


def test_each_copy_of_a_duplicated_record_has_its_own_fingerprint(tmp_path):
    write_records(tmp_path, {"a.json": valid_record(), "b.json": valid_record()})
    found = by_rule(audit(tmp_path), "duplicate-record")
    assert len({f.fingerprint for f in found}) == 2
    assert all("'trial_id': 'NCT01234567'" in f.message for f in found)
