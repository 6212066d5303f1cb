"""The CI formats written beside findings.json: SARIF 2.1.0, JUnit XML and a Markdown summary."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, valid_record, write_records
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.cli import main
from audit.engine import findings_json, run_audit
from audit.findings import finding
from audit.record import person
from audit.report import write_reports
from audit.report.junit import render_junit
from audit.report.markdown import render_summary
from audit.report.sarif import carried, entry_index, find_line, record_path, render_sarif

AS_OF = date(2026, 11, 22)
SCHEMA = ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json"
ODD_ID = 'a|b<c>&"d"@'  # fails the NCT id format; its message carries |, <, &, quotes
BROKEN = "more/broken copy.json"


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    folder = write_records(
        tmp_path_factory.mktemp("records"),
        {
            "NCT01111111.ctgov-api.json": valid_record(
                "NCT01111111",
                nct_id=ODD_ID,
                enrollment={"count": -5, "type": "ACTUAL"},
                people=[person("Jane Doe", "OVERALL_OFFICIAL", email="jane@doe@example.org")],
            ),
            "NCT02222222.ctgov-api.json": valid_record(
                "NCT02222222",
                enrollment={"count": 80, "type": "ESTIMATED"},
                arms=[
                    {
                        "label": "Drug A",
                        "type": "EXPERIMENTAL",
                        "description": None,
                        "interventions": [],
                        "planned_size": 30,
                    },
                    {
                        "label": "Placebo",
                        "type": "PLACEBO_COMPARATOR",
                        "description": None,
                        "interventions": [],
                        "planned_size": 30,
                    },
                ],
            ),
        },
    )
    (folder / "more").mkdir()
    (folder / BROKEN).write_text("{not json", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def result(records):
    return run_audit(records, ROOT / "expectations", AS_OF)


def only(result, rule: str, field: str | None = None):
    [found] = [f for f in result.findings if f.rule == rule and (field is None or f.field == field)]
    return found


def test_the_result_has_what_the_formats_are_tested_on(result):
    assert only(result, "schema-format", "nct_id").severity == "error"
    assert only(result, "schema-email", "people[0].email").severity == "warning"
    assert only(result, "schema-range", "enrollment_count").severity == "error"
    assert only(result, "record-unreadable").record_files == (BROKEN,)
    assert only(result, "enrollment-arm-mismatch").severity == "warning"
    assert not result.complete


# --- SARIF -----------------------------------------------------------------------------------


def validate_sarif(text: str) -> dict:
    raw = SCHEMA.read_text(encoding="utf-8")
    assert len(raw) == 112768
    schema = json.loads(raw)
    log = json.loads(text)
    jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    ).validate(log)
    return log


def test_sarif_validates_against_the_official_schema(result):
    log = validate_sarif(render_sarif(result))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "trial-audit"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == sorted(
        {f.rule for f in result.findings}
    )
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_fingerprints_equal_findings_json(result):
    run = json.loads(render_sarif(result))["runs"][0]
    expected = [f["fingerprint"] for f in json.loads(findings_json(result))["findings"]]
    assert [r["partialFingerprints"]["trialAudit/v1"] for r in run["results"]] == expected


def test_sarif_levels_and_rule_docs(result):
    run = json.loads(render_sarif(result))["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["schema-format"] == "error"
    assert levels["enrollment-arm-mismatch"] == levels["schema-email"] == "warning"
    assert {f.rule for f in result.findings if f.severity == "info"} <= {
        r["ruleId"] for r in run["results"] if r["level"] == "note"
    }
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    mismatch = rules["enrollment-arm-mismatch"]
    assert mismatch["shortDescription"]["text"].startswith("The arms of a record")
    assert mismatch["help"]["text"].startswith("check the registry page")  # its "How to fix"
    assert rules["schema-format"]["fullDescription"]["text"]  # generic text for contract rules
    assert rules["record-unreadable"]["defaultConfiguration"]["level"] == "error"


def location(run: dict, rule: str, field: str | None = None) -> tuple[str, int]:
    [found] = [
        r
        for r in run["results"]
        if r["ruleId"] == rule and (field is None or r["properties"]["field"] == field)
    ]
    [where] = found["locations"]
    physical = where["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def test_sarif_regions_point_at_the_field_line(result, records):
    run = json.loads(render_sarif(result))["runs"][0]
    uri, line = location(run, "schema-format", "nct_id")
    assert uri == "records/NCT01111111.ctgov-api.json"
    lines = (records / "NCT01111111.ctgov-api.json").read_text(encoding="utf-8").splitlines()
    assert lines[line - 1].strip() == f'"nct_id": {json.dumps(ODD_ID)},'
    uri, line = location(run, "schema-range", "enrollment_count")
    assert lines[line - 1].strip() == '"count": -5,'
    assert lines[line - 2].strip() == '"enrollment": {'
    assert location(run, "record-unreadable") == ("records/more/broken%20copy.json", 1)


def test_sarif_without_record_files_waived_and_custom_base(result):
    extra = finding("suite-unusable", "expectation", "error", "studies.json: bad JSON")
    waived = dataclasses.replace(only(result, "schema-range"), waived={"reason": "known typo"})
    changed = dataclasses.replace(result, findings=[extra, waived])
    log = validate_sarif(render_sarif(changed, records_uri_base="data/records/"))
    first, second = log["runs"][0]["results"]
    assert first["locations"] == [] and "suppressions" not in first
    assert second["suppressions"] == [{"kind": "external", "justification": "known typo"}]
    assert second["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "data/records/NCT01111111.ctgov-api.json"
    )


def test_sarif_points_at_the_first_files_of_a_finding_about_many_records(result):
    files = [f"NCT{n:08d}.ctgov-api.json" for n in range(25)]
    wide = finding("x-rule", "rule", "warning", "one person", record_files=files)
    log = validate_sarif(render_sarif(dataclasses.replace(result, findings=[wide])))
    [item] = log["runs"][0]["results"]
    uris = [p["physicalLocation"]["artifactLocation"]["uri"] for p in item["locations"]]
    assert uris == [f"records/{name}" for name in files[:10]]
    assert item["properties"]["record_files"] == files


def test_sarif_points_at_the_entry_a_finding_is_about(result, records):
    """A field of a list of entries (``people.name``) is found in the entry the rule names in
    its evidence (``items``, or entries with ``item`` and ``record_file``), not at ``[``."""
    one = "NCT01111111.ctgov-api.json"
    named = finding(
        "x-rule",
        "rule",
        "warning",
        "a",
        record_files=[one],
        field="people.name",
        evidence={"items": [0]},
    )
    occurrences = {
        "spellings": [
            {
                "occurrences": [
                    {"record_file": "other.json", "item": 5},
                    {"record_file": one, "item": 0},
                ]
            }
        ]
    }
    spread = dataclasses.replace(named, message="b", evidence=occurrences)
    unnamed = dataclasses.replace(named, message="c", evidence={"item": True})
    log = validate_sarif(
        render_sarif(dataclasses.replace(result, findings=[named, spread, unnamed]))
    )
    lines = (records / one).read_text(encoding="utf-8").splitlines()
    shown = [
        lines[r["locations"][0]["physicalLocation"]["region"]["startLine"] - 1].strip()
        for r in log["runs"][0]["results"]
    ]
    assert shown == ['"name": "Jane Doe",', '"name": "Jane Doe",', '"people": [']


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("people[0].email", ["people", 0, "email"]),
        ("people.0.email", ["people", 0, "email"]),
        ("studies.title", ["title"]),
        ("enrollment_count", ["enrollment", "count"]),
        ("studies.min_age_years", ["eligibility", "min_age_years"]),
        ("start_date_type", ["start_date", "type"]),
        ("arms.type", ["arms", "type"]),
        ("(record)", []),
        (None, []),
    ],
)
def test_record_path(field, path):
    assert record_path(field) == path


def test_find_line_walks_nested_items_and_falls_back():
    lines = json.dumps(
        {"a": 1, "people": [{"email": "x", "name": "n"}, {"email": "y"}]}, indent=2, sort_keys=True
    ).splitlines()
    assert lines[find_line(lines, ["people", 1, "email"]) - 1].strip() == '"email": "y"'
    assert find_line(lines, ["people", 5, "email"]) == find_line(lines, ["people"]) == 3
    assert find_line(lines, ["nope"]) == 1
    assert find_line(['{"a": 1}'], ["a"]) == 1


# --- JUnit -----------------------------------------------------------------------------------


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}


def test_junit_cases_fail_for_error_findings_only(result):
    root = ET.fromstring(render_junit(result))
    found = cases(root)
    failing = {(f.rule, t) for f in result.errors for t in f.trial_ids or ("(no trial)",)}
    expected = {(f.rule, t) for f in result.findings for t in f.trial_ids or ("(no trial)",)}
    assert set(found) == expected | {("audit", "complete"), ("audit", "warnings")}
    assert {k for k, c in found.items() if c.find("failure") is not None} == failing | {
        ("audit", "complete")
    }
    assert ("schema-format", "NCT01111111") in failing
    assert ("record-unreadable", "(no trial)") in failing
    warning = found[("enrollment-arm-mismatch", "NCT02222222")]
    assert warning.find("failure") is None
    assert "planned arm sizes" in warning.find("system-out").text
    assert "unreadable record file" in found[("audit", "complete")].find("failure").text
    listed = found[("audit", "warnings")]  # warnings, visible where passing cases' output is not
    assert listed.find("failure") is None and "planned arm sizes" in listed.find("system-out").text
    audit = next(s for s in root.iter("testsuite") if s.get("name") == "audit")
    counts = {p.get("name"): p.get("value") for p in audit.iter("property")}
    assert counts["warning"] == str(sum(f.severity == "warning" for f in result.findings))
    assert root.get("failures") == str(len(failing) + 1)
    assert root.get("tests") == str(len(found))
    for suite in root.iter("testsuite"):
        assert suite.get("tests") == str(len(suite.findall("testcase")))


def test_junit_escapes_record_values(result):
    text = render_junit(result)
    assert "a|b&lt;c&gt;&amp;" in text
    failure = cases(ET.fromstring(text))[("schema-format", "NCT01111111")].find("failure")
    assert ODD_ID in failure.get("message")
    assert failure.get("type") == "schema-format"
    odd = finding("x-rule", "rule", "error", 'bell \x01 and ]]> "quoted"', trial_ids=["T<1>"])
    root = ET.fromstring(render_junit(dataclasses.replace(result, findings=[odd], problems=[])))
    case = cases(root)[("x-rule", "T<1>")]
    assert case.find("failure").text == '[error] bell \ufffd and ]]> "quoted"'
    assert cases(root)[("audit", "complete")].find("failure") is None


def test_junit_lists_a_few_files_of_a_finding_about_many_records(result):
    """A finding about many trials is repeated in each trial's case, so its line names the
    first files and a count, not every file (else the XML grows with the square)."""
    trials = [f"NCT{n:08d}" for n in range(40)]
    wide = finding(
        "x-rule",
        "rule",
        "warning",
        "one person spelled two ways",
        trial_ids=trials,
        record_files=[f"{t}.ctgov-api.json" for t in trials],
    )
    root = ET.fromstring(render_junit(dataclasses.replace(result, findings=[wide], problems=[])))
    found = cases(root)
    assert len(found) == 42  # and audit's complete and warnings
    text = found[("x-rule", trials[7])].find("system-out").text
    assert text == (
        "[warning] one person spelled two ways (NCT00000000.ctgov-api.json, "
        "NCT00000001.ctgov-api.json, NCT00000002.ctgov-api.json, NCT00000003.ctgov-api.json, "
        "NCT00000004.ctgov-api.json, and 35 more files)"
    )
    long = dataclasses.replace(wide, message="x" * 5000)
    root = ET.fromstring(render_junit(dataclasses.replace(result, findings=[long], problems=[])))
    text = cases(root)[("x-rule", trials[0])].find("system-out").text
    assert text.startswith("[warning] " + "x" * 1990) and "x" * 2000 not in text
    assert text.split(" (")[0].endswith("…")


def test_junit_waived_errors_pass(result):
    waived = dataclasses.replace(only(result, "schema-range"), waived={"reason": "ok"})
    root = ET.fromstring(render_junit(dataclasses.replace(result, findings=[waived])))
    case = cases(root)[("schema-range", "NCT01111111")]
    assert case.find("failure") is None and "waived" in case.find("system-out").text


def test_junit_past_its_limit_keeps_failing_cases_then_the_most_severe_and_says_so(
    result, monkeypatch
):
    from audit.report import junit

    def made(trial: str, severity: str, waived: bool = False):
        item = finding("x-rule", "rule", severity, trial, trial_ids=[trial], key=trial)
        return dataclasses.replace(item, waived={"reason": "known"} if waived else None)

    info, warning = made("T1", "info"), made("T2", "warning")
    waived, error = made("T3", "error", True), made("T4", "error")
    other = finding("a-rule", "rule", "warning", "T5", trial_ids=["T5"])
    many = dataclasses.replace(result, findings=[info, warning, waived, error, other], problems=[])
    monkeypatch.setattr(junit, "MAX_CASES", 3)

    root = ET.fromstring(render_junit(many))
    kept = {name for name in cases(root) if name[0] != "audit"}
    assert kept == {("x-rule", "T4"), ("x-rule", "T3"), ("a-rule", "T5")}
    assert root.get("tests") == "5" and root.get("failures") == "1"  # and 2 of the audit's
    audit = next(s for s in root.iter("testsuite") if s.get("name") == "audit")
    counts = {p.get("name"): p.get("value") for p in audit.iter("property")}
    assert counts["cases_left_out"] == "2" and counts["info"] == "1"  # findings all counted
    listed = cases(root)[("audit", "warnings")].find("system-out").text
    assert listed.endswith("2 cases of rules left out: a file holds 3, failing ones first "
                           "(findings.json has every finding)")  # fmt: skip

    # From the gate: the new blocking finding fails its case, kept first; an error in the
    # base (a skipped case) comes next, before any warning.
    gate = ET.fromstring(render_junit(many, gate_verdict(many, [info])))
    kept = {name for name in cases(gate) if name[0] != "audit"}
    assert kept == {("x-rule", "T1"), ("x-rule", "T4"), ("x-rule", "T3")}
    assert cases(gate)[("x-rule", "T1")].find("failure") is not None
    assert cases(gate)[("x-rule", "T4")].find("skipped") is not None

    # Cases of one rank are shared among the rules, not given to the first rule in order.
    spread = [made(f"W{n}", "warning") for n in range(3)]
    spread += [finding("a-rule", "rule", "warning", f"A{n}", trial_ids=[f"A{n}"]) for n in range(3)]
    monkeypatch.setattr(junit, "MAX_CASES", 4)
    shared = ET.fromstring(render_junit(dataclasses.replace(many, findings=spread)))
    kept = {name for name in cases(shared) if name[0] != "audit"}
    assert kept == {("a-rule", "A0"), ("a-rule", "A1"), ("x-rule", "W0"), ("x-rule", "W1")}

    monkeypatch.setattr(junit, "MAX_CASES", 5)
    whole = ET.fromstring(render_junit(many))
    assert len(cases(whole)) == 7
    assert "cases_left_out" not in {p.get("name") for p in whole.iter("property")}


def gate_verdict(result, new: list, fixed: list | None = None) -> dict:
    """A gate verdict (``Verdict.to_json``) with ``new`` findings, all blocking but waived ones."""
    blocking = [f.to_json() for f in new if not f.waived]
    return {
        "passed": not blocking,
        "summary": f"{len(new)} new ({len(blocking)} blocking)",
        "reasons": ["1 new finding at error severity or above"] if blocking else [],
        "blocking": blocking,
        "new": [f.to_json() for f in new],
        "fixed": [f["fingerprint"] for f in fixed or []],
        "fixed_findings": fixed or [],
        "unchanged": len(result.findings) - len(new),
    }


def test_junit_in_gate_mode_fails_only_for_new_blocking_findings(result):
    new = only(result, "schema-format")
    verdict = gate_verdict(result, [new])
    root = ET.fromstring(render_junit(result, verdict))
    found = cases(root)
    failing = {k for k, c in found.items() if c.find("failure") is not None}
    assert failing == {("schema-format", "NCT01111111"), ("audit", "complete"), ("audit", "gate")}
    assert found[("schema-format", "NCT01111111")].find("failure").text.startswith("[error, new]")
    old = found[("schema-range", "NCT01111111")]  # an error already in the base: skipped
    assert old.find("skipped").get("message") == "1 error finding already in the base"
    assert old.find("system-out").text.startswith("[error, in base]")
    assert root.get("failures") == "3"
    assert root.get("skipped") == str(sum(c.find("skipped") is not None for c in found.values()))
    gate = found[("audit", "gate")]
    assert gate.find("failure").get("message") == "1 new (1 blocking)"
    assert "1 new finding at" in gate.find("system-out").text
    audit = next(s for s in root.iter("testsuite") if s.get("name") == "audit")
    counts = {p.get("name"): p.get("value") for p in audit.iter("property")}
    assert (counts["new"], counts["blocking"], counts["fixed"]) == ("1", "1", "0")

    passed = ET.fromstring(render_junit(result, gate_verdict(result, [])))
    assert {k for k, c in cases(passed).items() if c.find("failure") is not None} == {
        ("audit", "complete")  # the audit is incomplete; no old error fails a case
    }
    assert cases(passed)[("audit", "gate")].find("failure") is None


def test_sarif_in_gate_mode_has_baseline_states_and_absent_results(result):
    new = only(result, "schema-format")
    fixed = finding("x-fixed", "rule", "error", "gone", trial_ids=["NCT0"], record_files=["a"])
    log = validate_sarif(
        render_sarif(result, verdict=gate_verdict(result, [new], [fixed.to_json()]))
    )
    [run] = log["runs"]
    states = {r["partialFingerprints"]["trialAudit/v1"]: r["baselineState"] for r in run["results"]}
    assert states.pop(fixed.fingerprint) == "absent"
    assert states.pop(new.fingerprint) == "new"
    assert set(states.values()) == {"unchanged"}
    [absent] = [r for r in run["results"] if r["baselineState"] == "absent"]
    assert (absent["kind"], absent["level"], absent["message"]["text"]) == (
        "pass",
        "none",
        "fixed: gone",
    )
    assert "locations" not in absent and absent["properties"]["severity"] == "error"
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules[absent["ruleIndex"]] == "x-fixed"
    assert all(
        "baselineState" not in r for r in json.loads(render_sarif(result))["runs"][0]["results"]
    )


def test_sarif_past_its_limit_keeps_new_fixed_then_the_most_severe_and_says_so(result):
    def made(key: str, severity: str, waived: bool = False):
        item = finding(
            "x-rule", "rule", severity, key, trial_ids=["NCT0"], record_files=["a"], key=key
        )
        return dataclasses.replace(item, waived={"reason": "known"} if waived else None)

    infos = [made(f"info {i}", "info") for i in range(3)]
    waived_error, error = made("waived error", "error", True), made("error", "error")
    warning, new = made("warning", "warning"), made("new info", "info")
    findings = [*infos, waived_error, warning, new, error]
    many = dataclasses.replace(result, findings=findings, problems=[])
    fixed = made("gone", "error").to_json()
    verdict = gate_verdict(many, [new], [fixed])

    shown = carried(many, verdict, limit=4)
    assert (shown.findings, shown.absent, shown.left_out) == ([warning, new, error], [fixed], 4)
    assert carried(many, None, limit=3).findings == [infos[0], warning, error]
    assert carried(many, verdict, limit=9) == (findings, [fixed], 0)

    log = validate_sarif(render_sarif(many, verdict=verdict, shown=shown))
    [run] = log["runs"]
    assert [r["message"]["text"] for r in run["results"]] == [
        "warning",
        "new info",
        "error",
        "fixed: gone",
    ]
    assert run["properties"]["results_left_out"] == 4
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "note"
    assert note["message"]["text"].startswith("4 of 8 results are left out")
    whole = json.loads(render_sarif(many, verdict=verdict))["runs"][0]
    assert len(whole["results"]) == 8 and whole["properties"]["results_left_out"] == 0


# --- Markdown --------------------------------------------------------------------------------


def test_summary_headline_counts_and_escaping(result):
    text = render_summary(result)
    lines = text.splitlines()
    assert lines[0].startswith("> **Audit incomplete:**")
    errors = len(result.errors)
    assert f"## ❌ {errors} error findings" in lines
    assert f"| error | {sum(f.severity == 'error' for f in result.findings)} |" in lines
    assert "| enrollment-arm-mismatch | 0 | 1 | 0 |" in lines
    [row] = [line for line in lines if "does not have the expected format" in line]
    assert r"a\|b\<c\>\&" in row
    assert row.replace("\\|", "").count("|") == 5  # the message stays in its cell
    assert "reports/index.html" in text


def test_summary_names_the_blocking_findings_and_the_report_path(result):
    new = only(result, "schema-format")
    text = render_summary(result, gate_verdict(result, [new]), "out/ci reports/index.html")
    assert "### Blocking: 1 new finding" in text
    [row] = [line for line in text.splitlines() if f"`{new.fingerprint}`" in line]
    assert row.startswith("| schema-format | NCT01111111 | ") and r"a\|b\<c\>" in row
    assert "See the full report: `out/ci reports/index.html`" in text
    assert "1 error finding" in render_summary(dataclasses.replace(result, findings=[new]))


def test_summary_verdict_first_and_long_messages(result):
    long = finding("x-rule", "rule", "warning", "word | " * 200 + "\nnext line")
    verdict = {
        "passed": True,
        "summary": "no new errors",
        "reasons": ["2 findings waived"],
        "new": [],
    }
    text = render_summary(dataclasses.replace(result, findings=[long], problems=[]), verdict)
    lines = text.splitlines()
    assert lines[0] == "## ✅ no new errors"
    assert "- 2 findings waived" in lines
    [row] = [line for line in lines if line.startswith("| warning | x-rule")]
    assert len(row) < 400 and row.endswith("… |") and "\n" not in row


# --- audit run -------------------------------------------------------------------------------


def test_audit_run_writes_every_format(records, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(
        [
            "run",
            "--records",
            str(records),
            "--expectations",
            str(ROOT / "expectations"),
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(out),
        ]
    )
    assert code == 2  # the broken record makes the audit incomplete
    for name in ("findings.json", "index.html", "findings.sarif", "junit.xml", "summary.md"):
        assert (out / name).stat().st_size > 0, name
    validate_sarif((out / "findings.sarif").read_text(encoding="utf-8"))
    ET.fromstring((out / "junit.xml").read_text(encoding="utf-8"))
    assert "Audit incomplete" in (out / "summary.md").read_text(encoding="utf-8")
    assert f"`{out / 'index.html'}`" in (out / "summary.md").read_text(encoding="utf-8")
    # errors: the NCT id format, the negative enrollment, the broken file; warnings: the email,
    # enrollment vs arms, and a COMPLETED trial whose enrollment is still ESTIMATED
    assert "audit: 2 records, 6 findings (3 errors, 3 warnings, 0 info)" in capsys.readouterr().out


def test_summary_names_the_report_relative_to_the_working_directory(result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci" / "out").mkdir(parents=True)
    write_reports(dataclasses.replace(result, records_dir=None), Path("ci/out"))
    assert "`ci/out/index.html`" in (tmp_path / "ci/out/summary.md").read_text(encoding="utf-8")


def test_junit_suites_carry_the_catalogue_summary_and_fix(result):
    import xml.etree.ElementTree as ET

    suites = {s.get("name"): s for s in ET.fromstring(render_junit(result)).iter("testsuite")}
    entry = result.catalogue["enrollment-arm-mismatch"]
    props = {
        p.get("name"): p.get("value") for p in suites["enrollment-arm-mismatch"].iter("property")
    }
    assert props == {"summary": entry.summary, "how_to_fix": entry.section("fix")}


def _first_entry(evidence, name):
    """The entry a finding is about in file ``name``, by the rule as stated: depth first, the
    first ``items``/``item`` index of an object that names no record file or ``name``, inside
    no object naming another."""
    if isinstance(evidence, list):
        for value in evidence:
            found = _first_entry(value, name)
            if found is not None:
                return found
        return None
    if not isinstance(evidence, dict) or evidence.get("record_file", name) != name:
        return None
    items = evidence.get("items")
    for index in [*(items if isinstance(items, list) else []), evidence.get("item")]:
        if isinstance(index, int) and not isinstance(index, bool):
            return index
    for value in evidence.values():
        if isinstance(value, dict | list):
            found = _first_entry(value, name)
            if found is not None:
                return found
    return None


FILES = st.sampled_from(["a.json", "b.json", "c.json"])
EVIDENCE = st.recursive(
    st.fixed_dictionaries(
        {},
        optional={
            "record_file": st.one_of(FILES, st.none()),
            "item": st.one_of(st.integers(0, 9), st.booleans(), st.just("1")),
            "items": st.lists(st.one_of(st.integers(0, 9), st.booleans()), max_size=2),
        },
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["entries", "x", "y"]), inner, max_size=2),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(EVIDENCE, max_size=3))
def test_the_entry_of_each_file_is_the_first_the_evidence_names_for_it(entries):
    """One walk (``Finding.entry_indices``) gives, for every file, the entry a walk per file
    finds: SARIF and the page point at that entry's line."""
    item = finding("r", "rule", "warning", "m", evidence={"entries": entries})
    for name in ["a.json", "b.json", "c.json", "d.json"]:
        assert entry_index(item, name) == _first_entry(item.evidence, name)
