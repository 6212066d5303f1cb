"""End to end on every real corpus of ../shared/data, as a user runs the tool: `audit
normalize` and `audit run` in a subprocess from the repository root, then the report in
Chromium. Each test runs every step and reports all that went wrong, not just the first."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, require_path
from playwright.sync_api import Browser, ConsoleMessage
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from realdata.corpora import AS_OF, CORPORA, OUTPUTS, UNSUPPORTED, Corpus, Outcome, audit

pytestmark = pytest.mark.shared


def _inputs(corpus: Corpus, data: Path) -> list[str]:
    """The paths to pass to `audit normalize`: relative to the repository root, as a user
    types them (``../shared/data/...``)."""
    return [os.path.relpath(require_path(data / path), ROOT) for path in corpus.paths]


@pytest.fixture(scope="session")
def catalogue() -> set[str]:
    """Every finding id `audit rules --json` lists."""
    listed = audit("rules", "--json", cwd=ROOT)
    assert listed.code == 0, listed.stderr
    return {entry["id"] for entry in json.loads(listed.stdout)}


def _open_report(browser: Browser, report: Path, trial: str | None) -> list[str]:
    """Console and page errors of the report, opened as a file and then on one trial's view;
    a report that never reaches its ready state is an error too."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console error: {message.text}")

    page.on("console", console)
    try:
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        if trial:
            page.evaluate("trial => { location.hash = 'trial/' + trial; }", trial)
            page.wait_for_selector("#view-trials:not([hidden])", timeout=10_000)
    except PlaywrightTimeout as error:
        errors.append(f"not ready: {str(error).splitlines()[0]}")
    finally:
        context.close()
    return errors


def _audit_run(
    outcome: Outcome, records: Path, report: Path, cwd: Path, browser: Browser, known: set[str]
) -> None:
    """`audit run` on ``records``, its five outputs, findings.json's record count, every
    finding id in the catalogue, and the report in Chromium."""
    outcome.step(
        "run",
        audit("run", "--records", str(records), "--as-of", AS_OF, "--out", str(report), cwd=cwd),
        (0, 1),
    )
    missing = [name for name in OUTPUTS if not (report / name).is_file()]
    outcome.check(not missing, f"run wrote no {', '.join(missing)}")
    try:
        written = json.loads((report / "findings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        outcome.problem("findings.json unreadable", str(error))
        return
    outcome.findings = Counter(item["severity"] for item in written["findings"])
    outcome.check(
        written["record_count"] == outcome.records,
        f"findings.json record_count {written['record_count']} != {outcome.records} record files",
    )
    uncatalogued = sorted({item["rule"] for item in written["findings"]} - known)
    outcome.check(not uncatalogued, f"ids not in `audit rules`: {', '.join(uncatalogued)}")
    outcome.check(bool(written.get("config", {}).get("sha256")), "findings.json names no config")
    if "index.html" in missing:
        return
    start = time.perf_counter()
    trial = next((t for item in written["findings"] for t in item["trial_ids"]), None)
    errors = _open_report(browser, report / "index.html", trial)
    outcome.browser_seconds = time.perf_counter() - start
    outcome.check(not errors, "report has browser errors", "\n  ".join(errors))


@pytest.mark.browser
@pytest.mark.parametrize("corpus", CORPORA, ids=lambda corpus: corpus.id)
def test_corpus(
    corpus: Corpus,
    data: Path,
    browser: Browser,
    tmp_path: Path,
    outcomes: list[Outcome],
    catalogue: set[str],
) -> None:
    """normalize exits 0, run exits 0 or 1 with all five outputs, the report opens cleanly."""
    outcome = Outcome(corpus.id)
    outcomes.append(outcome)
    records, report = tmp_path / "records", tmp_path / "report"
    inputs = _inputs(corpus, data)
    outcome.step("normalize", audit("normalize", *inputs, "--out", str(records), cwd=ROOT), (0,))
    outcome.records = len(list(records.glob("*.json")))
    if outcome.records:  # go on after a failed normalize: the table shows everything
        _audit_run(outcome, records, report, ROOT, browser, catalogue)
    else:
        outcome.problem("normalize wrote no records")
    if outcome.problems:
        pytest.fail(outcome.report(), pytrace=False)


@pytest.mark.parametrize("corpus", UNSUPPORTED, ids=lambda corpus: corpus.id)
def test_unsupported_format_is_named(
    corpus: Corpus, data: Path, tmp_path: Path, outcomes: list[Outcome]
) -> None:
    """No importer reads these: normalize exits 1 and names every data file as not
    recognized, with no traceback and no record (documentation files aside)."""
    outcome = Outcome(corpus.id, note="no importer")
    outcomes.append(outcome)
    inputs = _inputs(corpus, data)
    records = tmp_path / "records"
    step = outcome.step(
        "normalize", audit("normalize", *inputs, "--out", str(records), cwd=ROOT), (1,)
    )
    outcome.records = len(list(records.glob("*.json")))
    outcome.check(outcome.records == 0, f"normalize wrote {outcome.records} records")
    given = [ROOT / name for name in inputs]
    files = [
        path
        for item in given
        for path in (sorted(item.rglob("*")) if item.is_dir() else [item])
        if path.is_file() and path.suffix != ".md"
    ]
    unnamed = [
        path.name
        for path in files
        if not any(
            path.name in line and "format not recognized" in line
            for line in step.stderr.splitlines()
        )
    ]
    outcome.check(
        not unnamed, f"not reported as unrecognized: {', '.join(unnamed)}", step.describe()
    )
    if outcome.problems:
        pytest.fail(outcome.report(), pytrace=False)


@pytest.mark.browser
def test_run_from_another_folder(
    data: Path, browser: Browser, tmp_path: Path, outcomes: list[Outcome], catalogue: set[str]
) -> None:
    """`audit normalize` and `audit run` work from outside the repository with absolute paths,
    and the audit is the same as from the repository root: same config, same findings."""
    corpus = next(c for c in CORPORA if c.id == "ctgov-tsv-2020-04-06")
    outcome = Outcome(f"{corpus.id} (cwd elsewhere)")
    outcomes.append(outcome)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inputs = [str(require_path(data / path).resolve()) for path in corpus.paths]
    records, report = tmp_path / "records", tmp_path / "report"
    outcome.step(
        "normalize", audit("normalize", *inputs, "--out", str(records), cwd=elsewhere), (0,)
    )
    outcome.records = len(list(records.glob("*.json")))
    _audit_run(outcome, records, report, elsewhere, browser, catalogue)
    at_root = tmp_path / "at-root"
    outcome.step(
        "run at root",
        audit("run", "--records", str(records), "--as-of", AS_OF, "--out", str(at_root), cwd=ROOT),
        (0, 1),
    )
    here, there = (json.loads((d / "findings.json").read_text("utf-8")) for d in (report, at_root))
    outcome.check(
        here["config"]["sha256"] == there["config"]["sha256"],
        f"other config: {here['config']} vs {there['config']}",
    )
    prints = [sorted(f["fingerprint"] for f in run["findings"]) for run in (here, there)]
    outcome.check(prints[0] == prints[1], "other findings than from the repository root")
    outcome.note = f"{len(prints[0])} findings, as from the repository root"
    if outcome.problems:
        pytest.fail(outcome.report(), pytrace=False)
