"""A new user's first contact (issue 12): findings any writer can serialize, the same audit from
any folder, help that states defaults, clear failures that leave no stale report behind."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from conftest import ROOT, valid_record, write_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import cli
from audit.config import PACKAGE_DEFAULTS, Config, ConfigError, find_config
from audit.engine import findings_json, run_audit
from audit.findings import as_dict, finding, from_dict
from audit.gate import decide
from audit.report import write_reports

AS_OF = date(2026, 11, 22)
OUTPUTS = ("findings.json", "index.html", "junit.xml", "summary.md", "findings.sarif")


def audit_command(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=cwd, capture_output=True, text=True
    )


def one_record(folder: Path, max_age_years: float | None = None, **fields) -> Path:
    record = valid_record(**fields)
    record["eligibility"]["max_age_years"] = max_age_years
    return write_records(folder, {"NCT01234567.ctgov-api.json": record})


# -- findings carry only JSON values, whatever built them ------------------------------------

AWKWARD = [
    np.float64(130.0), np.float32(1.5), np.int64(7), np.int8(-3), np.bool_(True),
    np.str_("text"), np.datetime64("2020-01-02"), np.array([1, 2]), np.array([[1.5], [np.nan]]),
    pd.NA, pd.NaT, pd.Timestamp("2020-05-01 12:00"), pd.Timedelta("1D"), pd.Series([1.0, None]),
    Decimal("1.25"), Decimal("NaN"), Decimal("12"), float("nan"), float("inf"),
    datetime(2020, 1, 1, 8), date(2021, 2, 3), {1, 2}, (3, "four"), frozenset({"a"}), b"bytes",
]  # fmt: skip
AWKWARD_VALUES = st.sampled_from(AWKWARD)
EVIDENCE = st.recursive(
    AWKWARD_VALUES | st.none() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


def plain_json(value) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_json(v) for v in value)
    return (
        value is None
        or type(value) in (str, int, bool)
        or (type(value) is float and value == value and abs(value) != float("inf"))
    )


@pytest.fixture(scope="module")
def seed_result(tmp_path_factory):
    folder = one_record(tmp_path_factory.mktemp("records"))
    return run_audit(folder, ROOT / "expectations", AS_OF)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)  # fmt: skip
@given(evidence=st.dictionaries(st.text(max_size=4), EVIDENCE, max_size=4), waiver=EVIDENCE)
def test_a_finding_kept_in_a_cache_comes_back_equal(evidence, waiver):
    from dataclasses import replace

    built = replace(
        finding(
            "implausible-age", "rule", "warning", "m", evidence=evidence, trial_ids=["N2", "N1"]
        ),
        waived={"reason": waiver},
    )
    again = from_dict(orjson.loads(orjson.dumps(as_dict(built))))
    assert again == built and again.fingerprint == built.fingerprint
    assert again.to_json() == built.to_json() and again.trial_ids == ("N1", "N2")
    # The kept fingerprint is taken, not computed again (caches are of this code only).
    assert from_dict(as_dict(built) | {"fingerprint": "kept"}).fingerprint == "kept"
    with pytest.raises(ValueError, match="not a finding's fields"):
        from_dict({k: v for k, v in as_dict(built).items() if k != "key"})


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(evidence=st.dictionaries(st.text(max_size=4), EVIDENCE, max_size=4), waiver=EVIDENCE)
def test_every_writer_takes_any_evidence(seed_result, tmp_path, evidence, waiver):
    from dataclasses import replace

    built = finding(
        "implausible-age",
        "expectation",
        "error",
        "m",
        evidence=evidence,
        trial_ids=["NCT01234567"],
        record_files=["NCT01234567.ctgov-api.json"],
    )
    waived = replace(built, key="w", waived={"reason": waiver})
    assert plain_json(built.evidence) and plain_json(waived.waived)
    result = replace(seed_result, findings=[built, waived])
    assert json.loads(findings_json(result))["findings"][0]["evidence"] == built.evidence
    verdict = decide(result, {}, "error")
    write_reports(result, tmp_path, verdict.to_json(), verdict.new_fingerprints)
    json.dumps(verdict.to_json(), allow_nan=False)
    assert all((tmp_path / name).stat().st_size for name in OUTPUTS if name != "findings.json")


def test_each_awkward_value_becomes_plain_json():
    made = finding("r", "rule", "info", "m", evidence={str(i): v for i, v in enumerate(AWKWARD)})
    assert plain_json(made.evidence)
    assert made.evidence["0"] == 130.0 and type(made.evidence["0"]) is float
    assert made.evidence["9"] is None and made.evidence["10"] is None  # NA, NaT
    assert made.evidence["14"] == 1.25 and made.evidence["16"] == 12  # Decimals


@pytest.mark.parametrize("command", ["run", "gate"])
def test_an_age_of_130_is_reported_not_a_crash(tmp_path, command):
    """The v2 exports and the ICTRP export crashed every writer on a GX range finding."""
    records = one_record(tmp_path / "records", max_age_years=130.0)
    out = tmp_path / "reports"
    baseline = tmp_path / "base.json"
    baseline.write_text('{"complete": true, "findings": []}', encoding="utf-8")
    extra = ["--baseline", str(baseline)] if command == "gate" else []
    done = audit_command(command, "--records", str(records), "--out", str(out),
                         "--as-of", "2026-11-22", *extra)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    found = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert any(f["rule"] == "implausible-age" and 130 in f["evidence"].values() for f in found)
    assert all((out / name).exists() for name in OUTPUTS)


# -- the same audit from any folder -----------------------------------------------------------


def test_config_walks_up_from_the_records_then_the_working_directory(tmp_path):
    project = tmp_path / "project"
    (project / "expectations").mkdir(parents=True)
    records = project / "data" / "records"
    records.mkdir(parents=True)
    found = find_config(records, cwd=tmp_path)
    assert found.expectations == project / "expectations"
    assert "records folder" in found.origin
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert find_config(elsewhere, cwd=records).expectations == project / "expectations"
    assert "working directory" in find_config(elsewhere, cwd=records).origin
    assert find_config(elsewhere, cwd=elsewhere).expectations == PACKAGE_DEFAULTS
    assert find_config(elsewhere, Path(project / "expectations")).origin == "--expectations"


def test_config_from_a_pyproject_table(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "expectations").mkdir()  # the table wins over the conventional folder
    (tmp_path / "pyproject.toml").write_text(
        '[tool.trial-audit]\nexpectations = "checks"\n', encoding="utf-8"
    )
    assert find_config(tmp_path, cwd=tmp_path).expectations == tmp_path / "checks"
    (tmp_path / "pyproject.toml").write_text('[tool.trial-audit]\nexpectations = "gone"\n')
    with pytest.raises(ConfigError, match=r"pyproject\.toml.*gone"):
        find_config(tmp_path, cwd=tmp_path)


def test_package_defaults_are_the_projects_suites():
    shipped = Config(PACKAGE_DEFAULTS, "defaults")
    assert shipped.digest() == Config(ROOT / "expectations", "project").digest()
    assert {"studies.json", "rules.yaml"} <= set(shipped.to_json()["files"])


def test_same_findings_from_any_folder_and_the_config_is_named(tmp_path):
    enrollment = {"count": -1, "type": "ACTUAL"}
    records = one_record(tmp_path / "records", max_age_years=130.0, enrollment=enrollment)
    runs = {}
    for cwd in (ROOT, tmp_path, Path("/")):
        out = tmp_path / f"out-{len(runs)}"
        done = audit_command("run", "--records", str(records), "--out", str(out),
                             "--as-of", "2026-11-22", cwd=cwd)  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert done.stdout.startswith("config: ")
        assert f"report: {out / 'index.html'}" in done.stdout
        runs[cwd] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    configs = [run["config"] for run in runs.values()]
    assert configs[0]["origin"] == "found walking up from the working directory"
    assert configs[1]["expectations"] == configs[2]["expectations"] == "package defaults"
    assert len({c["sha256"] for c in configs}) == 1
    prints = [sorted(f["fingerprint"] for f in run["findings"]) for run in runs.values()]
    assert prints[0] == prints[1] == prints[2]
    assert any(f["origin"] == "expectation" for f in runs[ROOT]["findings"])


def test_a_config_change_changes_its_hash(tmp_path):
    suites = tmp_path / "expectations"
    suites.mkdir()
    (suites / "rules.yaml").write_text("rules: {}\n", encoding="utf-8")
    before = Config(suites, "test").digest()
    (suites / "rules.yaml").write_text("rules: {missing-title: {severity: error}}\n")
    assert Config(suites, "test").digest() != before


# -- help, messages and what is left behind ---------------------------------------------------


@pytest.mark.parametrize("command", ["run", "gate", "normalize"])
def test_help_describes_every_option_with_its_default(command):
    sub = next(a for a in cli.parser()._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        if action.dest == "help" or not action.option_strings:
            continue
        assert action.help, f"{command} {action.option_strings} has no help"
        required = getattr(action, "container", None) is not sub and action.dest in (
            "base",
            "baseline",
        )
        assert required or "default" in action.help, f"{action.option_strings}: no default"
    done = audit_command(command, "--help")
    assert done.returncode == 0 and "default" in done.stdout


def test_gate_on_a_missing_base_says_why_and_leaves_no_stale_report(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    for name in (*OUTPUTS, "gate.json"):
        (out / name).write_text("from an earlier run", encoding="utf-8")
    done = audit_command("gate", "--base", "does-not-exist", "--out", str(out))
    assert done.returncode == 2
    assert "'does-not-exist' is not a commit" in done.stderr
    assert not done.stderr.strip().splitlines()[0].endswith(":")
    assert "Traceback" not in done.stderr
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "gate could not decide" in summary and "does-not-exist" in summary
    assert "could not decide" in (out / "index.html").read_text(encoding="utf-8")
    assert 'failures="1"' in (out / "junit.xml").read_text(encoding="utf-8")
    assert not any((out / name).exists() for name in ("findings.json", "findings.sarif"))
    assert not (out / "gate.json").exists()


def test_a_crash_leaves_an_incomplete_report(tmp_path, monkeypatch, capsys):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    out = tmp_path / "reports"
    out.mkdir()
    (out / "findings.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(cli, "run_audit", crash)
    code = cli.main(["run", "--records", str(one_record(tmp_path / "r")), "--out", str(out)])
    assert code == 2
    assert "audit incomplete" in (out / "summary.md").read_text(encoding="utf-8")
    assert "boom" in capsys.readouterr().err
    assert not (out / "findings.json").exists()


def test_an_unreadable_record_is_explained_on_the_console(tmp_path):
    records = one_record(tmp_path / "records")
    (records / "NCT07654321.ctgov-api.json").write_text("{not json", encoding="utf-8")
    done = audit_command("run", "--records", str(records), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    line = next(x for x in done.stderr.splitlines() if "NCT07654321" in x)
    assert len(line.split("NCT07654321.ctgov-api.json", 1)[1].strip(" :")) > 5, line


def test_a_broken_pyproject_table_is_exit_2_naming_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.trial-audit]\nexpectations = 3\n")
    records = one_record(tmp_path / "records")
    done = audit_command("run", "--records", str(records), "--out", str(tmp_path / "out"),
                         cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "pyproject.toml" in done.stderr
    assert "Traceback" not in done.stderr


def test_nox_gate_extra_arguments_keep_the_default_base():
    sys.path.insert(0, str(ROOT))
    try:
        import noxfile
    finally:
        sys.path.remove(str(ROOT))
    env = {"AUDIT_BASE_REF": "main"}
    assert noxfile.gate_arguments([], {}) == ["--base", "origin/main"]
    assert noxfile.gate_arguments(["--fail-on", "warning"], env) == [
        "--base", "main", "--fail-on", "warning"
    ]  # fmt: skip
    assert noxfile.gate_arguments(["--base", "v1"], env) == ["--base", "v1"]
    assert noxfile.gate_arguments(["--baseline=f.json"], env) == ["--baseline=f.json"]
