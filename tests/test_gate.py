"""The merge gate on a real temporary git repository with commits."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT, valid_record

from audit.cli import main
from audit.record import dumps

AS_OF = "2026-11-22"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository whose main branch has two clean records and one with a known problem."""
    repo = tmp_path / "curation"
    (repo / "records").mkdir(parents=True)
    shutil.copytree(ROOT / "expectations", repo / "expectations")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "curator@example.org")
    git(repo, "config", "user.name", "Curator")
    write(repo, "NCT01111111.ctgov-api.json", valid_record("NCT01111111"))
    write(repo, "NCT02222222.ctgov-api.json", valid_record("NCT02222222"))
    write(
        repo,
        "NCT03333333.ctgov-api.json",
        valid_record("NCT03333333", enrollment={"count": -3, "type": "ACTUAL"}),
    )  # an existing error
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "change")
    monkeypatch.chdir(repo)
    return repo


def write(repo: Path, name: str, record: dict) -> None:
    (repo / "records" / name).write_text(dumps(record), encoding="utf-8")


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def gate(*extra: str) -> int:
    return main(["gate", "--base", "main", "--as-of", AS_OF, "--out", "reports", *extra])


def verdict(repo: Path) -> dict:
    return json.loads((repo / "reports" / "gate.json").read_text())


def test_a_clean_change_passes_despite_existing_errors(repo):
    write(repo, "NCT04444444.ctgov-api.json", valid_record("NCT04444444"))
    commit(repo, "add a clean record")
    assert gate() == 0
    result = verdict(repo)
    assert result["passed"] and result["new"] == [] and result["unchanged"] >= 1


def test_a_change_adding_an_error_fails_and_a_waiver_lets_it_pass(repo):
    write(repo, "NCT04444444.ctgov-api.json", valid_record("NCT04444444", overall_status="Done"))
    commit(repo, "add a record with an unknown status word")
    assert gate() == 1
    [new] = [f for f in verdict(repo)["new"] if f["severity"] == "error"]
    assert new["rule"] == "schema-enum" and new["trial_ids"] == ["NCT04444444"]
    page = (repo / "reports" / "index.html").read_text()
    assert "Gate: FAIL" in page
    summary = (repo / "reports" / "summary.md").read_text()
    assert summary.index("1 new (1 blocking)") < summary.index("### New findings (1 of 1)")
    assert summary.index("### New findings") < summary.index("### Other findings")
    # the verdict names what blocks: rule, trials, message and fingerprint (for a waiver)
    [blocking] = verdict(repo)["blocking"]
    assert {k: blocking[k] for k in ("rule", "trial_ids", "fingerprint", "message")} == {
        k: new[k] for k in ("rule", "trial_ids", "fingerprint", "message")
    }
    assert f"`{new['fingerprint']}`" in summary and "### Blocking: 1 new finding" in summary
    assert "1 new finding at error severity or above" in verdict(repo)["reasons"]
    assert "See the full report: `reports/index.html`" in summary
    # JUnit fails for the new error only; the base's error is skipped, not failed
    junit = ET.parse(repo / "reports" / "junit.xml").getroot()
    states = {
        (c.get("classname"), c.get("name")): [e.tag for e in c if e.tag != "system-out"]
        for c in junit.iter("testcase")
    }
    assert states[("schema-enum", "NCT04444444")] == ["failure"]
    assert states[("schema-range", "NCT03333333")] == ["skipped"]
    assert states[("audit", "gate")] == ["failure"]
    assert junit.get("failures") == "2"
    # SARIF: new and unchanged results
    results = json.loads((repo / "reports" / "findings.sarif").read_text())["runs"][0]["results"]
    states = {r["partialFingerprints"]["trialAudit/v1"]: r["baselineState"] for r in results}
    assert states[new["fingerprint"]] == "new" and "unchanged" in states.values()

    (repo / "expectations" / "waivers.yaml").write_text(
        "waivers:\n"
        f"  - fingerprint: {new['fingerprint']}\n"
        "    reason: registry wording confirmed with the sponsor\n"
        "    approved_by: reviewer\n"
        "    expires: 2027-01-31\n"
    )
    commit(repo, "waive it")
    assert gate() == 0
    findings = json.loads((repo / "reports" / "findings.json").read_text())["findings"]
    [waived] = [f for f in findings if f["fingerprint"] == new["fingerprint"]]
    assert waived["waived"]["approved_by"] == "reviewer"

    assert main(["gate", "--base", "main", "--as-of", "2027-02-01", "--out", "reports"]) == 1
    assert any("waiver expired" in reason for reason in verdict(repo)["reasons"])


def test_a_rule_and_trial_waiver_and_an_unmatched_waiver(repo):
    write(repo, "NCT04444444.ctgov-api.json", valid_record("NCT04444444", overall_status="Done"))
    (repo / "expectations" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - {rule: schema-enum, trial: NCT04444444, reason: known, approved_by: r,"
        " expires: 2027-01-31}\n"
        "  - {rule: schema-enum, trial: NCT09999999, reason: stale, approved_by: r,"
        " expires: 2027-01-31}\n"
    )
    commit(repo, "waived change")
    assert gate() == 0
    assert any("matches no finding" in reason for reason in verdict(repo)["reasons"])


def test_editing_an_unrelated_record_adds_no_new_findings(repo):
    write(repo, "NCT02222222.ctgov-api.json", valid_record("NCT02222222", title="New title"))
    (repo / "records" / "NCT03333333.ctgov-api.json").rename(
        repo / "records" / "renamed-problem.json"
    )
    commit(repo, "edit one record, rename another")
    assert gate() == 0
    assert verdict(repo)["new"] == [] and verdict(repo)["fixed"] == []


def test_a_fix_is_reported_as_fixed(repo):
    write(repo, "NCT03333333.ctgov-api.json", valid_record("NCT03333333"))
    commit(repo, "fix enrollment")
    assert gate() == 0
    [fixed] = verdict(repo)["fixed"]
    assert [f["fingerprint"] for f in verdict(repo)["fixed_findings"]] == [fixed]
    assert verdict(repo)["fixed_findings"][0]["rule"] == "schema-range"
    results = json.loads((repo / "reports" / "findings.sarif").read_text())["runs"][0]["results"]
    [absent] = [r for r in results if r["baselineState"] == "absent"]
    assert absent["partialFingerprints"]["trialAudit/v1"] == fixed and absent["kind"] == "pass"
    junit = ET.parse(repo / "reports" / "junit.xml").getroot()
    assert junit.get("failures") == "0"


def test_a_corrupt_record_in_the_head_fails_closed(repo):
    (repo / "records" / "NCT05555555.ctgov-api.json").write_text('{"trial_id": ', "utf-8")
    commit(repo, "corrupt")
    assert gate() == 2
    assert verdict(repo)["passed"] is False


def test_a_missing_base_cannot_pass(repo):
    assert main(["gate", "--base", "no-such-branch", "--as-of", AS_OF]) == 2


def test_a_stricter_threshold_fails_on_new_warnings(repo):
    write(
        repo,
        "NCT04444444.ctgov-api.json",
        valid_record("NCT04444444", enrollment={"count": 2_000_000, "type": "ACTUAL"}),
    )
    commit(repo, "implausible enrollment (a warning)")
    assert gate() == 0
    assert gate("--fail-on", "warning") == 1


def test_gate_against_a_baseline_file(repo, tmp_path):
    assert main(["run", "--as-of", AS_OF, "--out", str(tmp_path / "base")]) == 1
    write(repo, "NCT04444444.ctgov-api.json", valid_record("NCT04444444", overall_status="Done"))
    baseline = str(tmp_path / "base" / "findings.json")
    assert main(["gate", "--baseline", baseline, "--as-of", AS_OF, "--out", "reports"]) == 1
    (tmp_path / "broken.json").write_text("{}")
    assert main(["gate", "--baseline", str(tmp_path / "broken.json"), "--as-of", AS_OF]) == 2


def test_the_working_tree_is_untouched(repo):
    write(repo, "NCT04444444.ctgov-api.json", valid_record("NCT04444444"))
    before = git(repo, "status", "--porcelain")
    assert gate() == 0
    after = git(repo, "status", "--porcelain")
    assert before == after.replace("?? reports/\n", "")
