"""Benchmarks: ``audit run`` end to end on synthetic corpora, per stage time and peak memory,
and each rule's precision and recall against the injected defects.

    python -m audit.bench --scales 10000 100000 500000 --out reports/bench

Each scale runs in a fresh process so its peak memory is its own. Corpora are generated once
into ``.audit-cache/synth/`` and reused.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from audit.heap import for_one_command

CACHE = Path(".audit-cache/synth")
# Debian's chromium, never a downloaded browser; without the background-networking flags it
# keeps trying to reach Google's hosts, which this kind of machine refuses.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _reset_peak() -> None:
    """Start a new peak-memory window (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def score(findings: list[dict[str, Any]], defects: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall per rule: a finding is right when it names a trial injected with
    that rule's defect; a defect is found when some finding of its rule names its trial."""
    truth: dict[str, set[str]] = defaultdict(set)
    for defect in defects:
        truth[defect["rule"]].update(defect["trial_ids"])
    found: dict[str, list[set[str]]] = defaultdict(list)
    for item in findings:
        found[item["rule"]].append(set(item["trial_ids"]))
    scores = {}
    for rule in sorted(set(truth) | set(found)):
        hits = [bool(trials & truth[rule]) for trials in found[rule]]
        recalled = {t for trials in found[rule] for t in trials if t in truth[rule]}
        scores[rule] = {
            "findings": len(found[rule]),
            "injected": len(truth[rule]),
            "precision": round(sum(hits) / len(hits), 4) if hits else None,
            "recall": round(len(recalled) / len(truth[rule]), 4) if truth[rule] else None,
        }
    return scores


def run_one(corpus: Path, out: Path) -> dict[str, Any]:
    """Audit one corpus in this process, timing every stage (the report included)."""
    from audit.engine import run_audit, write_findings
    from audit.report import write_reports

    truth = json.loads((corpus / "ground_truth.json").read_text())
    _reset_peak()
    started = time.perf_counter()
    result = run_audit(corpus / "records", Path("expectations"), date.fromisoformat(truth["as_of"]))
    peak_audit = _peak_mib()
    report_started = time.perf_counter()
    write_findings(result, out)
    write_reports(result, out)
    timings = dict(result.timings, report=round(time.perf_counter() - report_started, 3))
    findings = [f.to_json() for f in result.findings]
    return {
        "trials": truth["trials"],
        "records": len(result.record_files),
        "findings": len(findings),
        "complete": result.complete,
        "problems": result.problems,
        "seconds": timings,
        "total_seconds": round(time.perf_counter() - started, 2),
        "peak_mib": {"audit": peak_audit, "with_report": _peak_mib()},
        "check_seconds": result.check_seconds,
        "rules": score(findings, truth["defects"]),
    }


def report_benchmark(count: int, out: Path) -> dict[str, Any]:
    """Render a report of ``count`` generated findings and time it in headless Chromium:
    load until the page is interactive, then a rule filter and a text search."""
    import random

    from playwright.sync_api import sync_playwright

    from audit.engine import AuditResult
    from audit.findings import finding
    from audit.report.html import render_html
    from audit.tables import TableBuilder, Tables

    rng = random.Random(count)
    rules = [f"rule-{n:02d}" for n in range(12)]
    findings = [
        finding(
            rng.choice(rules),
            "rule",
            rng.choice(("error", "warning", "info")),
            f"generated finding {n} about enrollment {rng.randint(1, 999)}",
            trial_ids=[f"NCT{rng.randint(0, 99_999_999):08d}"],
            record_files=[f"NCT{n:08d}.ctgov-api.json"],
            sources=["ctgov-api"],
            field="enrollment_count",
            evidence={"value": n},
            key=str(n),
        )
        for n in range(count)
    ]
    result = AuditResult(date(2026, 11, 22), [], Tables(**TableBuilder().frames()), findings)
    path = out / f"report-{count}.html"
    path.write_bytes(render_html(result))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(path.resolve().as_uri() + "#findings")
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        page.select_option("#f-rule", label=rules[3])
        page.wait_for_function("document.querySelector('#count').textContent.includes(' of ')")
        filtered = time.perf_counter() - started
        started = time.perf_counter()
        page.fill("#f-text", "enrollment 42")
        page.wait_for_timeout(150)  # the search box waits 120 ms for typing to pause
        page.evaluate("() => new Promise(requestAnimationFrame)")
        searched = time.perf_counter() - started
        shown = page.inner_text("#count")
        browser.close()
    return {
        "findings": count,
        "bytes": path.stat().st_size,
        "load_seconds": round(loaded, 2),
        "filter_seconds": round(filtered, 3),
        "search_seconds": round(searched, 3),
        "shown": shown,
    }


def audit_once(records: Path, as_of: date, cache: Path | None) -> dict[str, Any]:
    """One ``run_audit`` in this process: its stage times, per-check times and re-checked
    files, and a digest of its ``findings.json``."""
    import hashlib

    from audit.engine import findings_json, run_audit

    started = time.perf_counter()
    result = run_audit(records, Path("expectations"), as_of, cache)
    seconds = time.perf_counter() - started
    return {
        "records": len(result.record_files),
        "findings": len(result.findings),
        "audit_seconds": round(seconds, 2),
        "stages": result.timings,
        "checks": {
            name: {"seconds": spent, "rechecked_files": result.rechecked.get(name)}
            for name, spent in result.check_seconds.items()
        },
        "digest": hashlib.sha256(findings_json(result)).hexdigest(),
    }


def _audit_process(records: Path, as_of: date, cache: Path | None) -> dict[str, Any]:
    """``audit_once`` in a fresh process, as a second ``audit run`` would be: its wall time
    includes starting Python and importing pandas and GX."""
    command = [sys.executable, "-m", "audit.bench", "--audit-once", str(records)]
    command += ["--as-of", as_of.isoformat(), *(["--cache", str(cache)] if cache else [])]
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, check=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    return result | {"process_seconds": round(time.perf_counter() - started, 2)}


def incremental(corpus: Path, changes: int = 10) -> dict[str, Any]:
    """A cold run that fills a cache, then ``changes`` records edited, then a warm run, each
    in a fresh process; the warm run's findings must equal a cold run's on the edited corpus.
    The edits are undone afterwards."""
    import shutil
    import tempfile

    as_of = date.fromisoformat(json.loads((corpus / "ground_truth.json").read_text())["as_of"])
    records = corpus / "records"
    files = sorted(records.iterdir())
    chosen = files[:: max(1, len(files) // changes)][:changes]
    originals = {path: path.read_bytes() for path in chosen}
    with tempfile.TemporaryDirectory(prefix="audit-cache-") as cache:
        try:
            filled = _audit_process(records, as_of, Path(cache))
            for path in chosen:
                record = json.loads(path.read_text())
                record["title"] = f"{record['title']} (edited)"
                record["enrollment"]["count"] = -1  # a new schema finding per edited record
                path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            warm = _audit_process(records, as_of, Path(cache))
            cold = _audit_process(records, as_of, None)
        finally:
            for path, data in originals.items():
                path.write_bytes(data)
            shutil.rmtree(cache, ignore_errors=True)
    return {
        "records": cold["records"],
        "changed": len(chosen),
        "cold_with_cache_seconds": filled["process_seconds"],
        "cold_seconds": cold["process_seconds"],
        "warm_seconds": warm["process_seconds"],
        "warm_audit_seconds": warm["audit_seconds"],
        "warm_stages": warm["stages"],
        "warm_checks": warm["checks"],
        "findings_identical_to_cold": warm["digest"] == cold["digest"],
    }


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def gate_repository(corpus: Path) -> Path:
    """The corpus's records and this project's expectations committed on ``main`` of a git
    repository beside the corpus (made once, reused)."""
    import shutil

    repo = corpus.with_name(corpus.name + "-git")
    if (repo / ".git").exists() and not _git(repo, "status", "--porcelain"):
        _git(repo, "checkout", "-q", "main")
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    started = time.perf_counter()
    shutil.copytree(corpus / "records", repo / "records")
    shutil.copytree(Path("expectations"), repo / "expectations")
    (repo / ".gitignore").write_text(".audit-cache/\nreports*/\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.org")
    _git(repo, "config", "user.name", "bench")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "main")
    print(f"committed the corpus to {repo} in {time.perf_counter() - started:.0f} s", flush=True)
    return repo


def _timed_command(repo: Path, *args: str) -> tuple[int, float, str]:
    """``audit ARGS`` in a fresh process in ``repo``: exit code, wall seconds, stdout."""
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=repo, capture_output=True, text=True
    )
    seconds = round(time.perf_counter() - started, 2)
    if run.returncode not in (0, 1):
        print(run.stdout, run.stderr, file=sys.stderr)
    return run.returncode, seconds, run.stdout


def gate_once(as_of: date, cache: Path | None, out: Path) -> dict[str, Any]:
    """What ``audit gate --base main [--cache CACHE]`` does in the working directory (the
    verdict, the reports, findings.json, gate.json), timing each part."""
    from audit.config import find_config
    from audit.engine import write_findings
    from audit.gate import run_gate
    from audit.report import write_reports

    started = time.perf_counter()
    records = Path("records")
    config = find_config(records)
    result, verdict = run_gate(records, config, as_of, base_ref="main", cache=cache)
    decided = time.perf_counter()
    write_reports(result, out, verdict.to_json(), verdict.new_fingerprints)
    reported = time.perf_counter()
    write_findings(result, out)
    (out / "gate.json").write_text(json.dumps(verdict.to_json(), indent=2, sort_keys=True))
    return {
        "exit": verdict.exit_code,
        "mode": verdict.mode,
        "verdict_seconds": round(decided - started, 2),
        "stages": result.timings,
        "checks": {
            name: {"seconds": spent, "rechecked_files": result.rechecked.get(name)}
            for name, spent in result.check_seconds.items()
        },
        "reports_seconds": round(reported - decided, 2),
        "findings_json_seconds": round(time.perf_counter() - reported, 2),
    }


def _gate_process(repo: Path, as_of: str, cache: str | None, out: str) -> dict[str, Any]:
    """``gate_once`` in a fresh process in ``repo``, as ``audit gate`` runs in CI."""
    command = [sys.executable, "-m", "audit.bench", "--gate-once", out, "--as-of", as_of]
    command += ["--cache", cache] if cache else []
    started = time.perf_counter()
    run = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    return result | {"process_seconds": round(time.perf_counter() - started, 2)}


def gate(corpus: Path, changes: int = 10, full: bool = False) -> dict[str, Any]:
    """The merge gate on a pull request: the corpus in a git repository, main's ``audit run
    --cache`` once, then a branch editing ``changes`` records, one of them with a new error
    (a negative enrollment), gated with main's cache; a cold ``audit run`` (no cache) of the
    same head in the same run for comparison, and with ``full`` a full gate whose verdict
    must equal the cached one's. Each command is a fresh process, as in CI."""
    as_of = json.loads((corpus / "ground_truth.json").read_text())["as_of"]
    repo = gate_repository(corpus)
    cache = ".audit-cache/tables"
    common = ["--as-of", as_of]
    code, main_seconds, out = _timed_command(
        repo, "run", *common, "--out", "reports-main", "--cache", cache
    )
    assert "gate base: kept" in out, out
    files = sorted((repo / "records").iterdir())
    chosen = files[:: max(1, len(files) // changes)][:changes]
    planted = chosen[len(chosen) // 2]
    _git(repo, "checkout", "-q", "-B", "pull-request", "main")
    try:
        for path in chosen:
            record = json.loads(path.read_text())
            if path == planted:
                record["enrollment"]["count"] = -1  # the one new error
            else:
                record["official_title"] = f"{record.get('official_title') or ''} (revised)"
            path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        _git(repo, "commit", "-q", "-am", f"edit {len(chosen)} records")
        timed = _gate_process(repo, as_of, cache, "reports-gate")
        code, gate_seconds = timed["exit"], timed["process_seconds"]
        verdict = json.loads((repo / "reports-gate" / "gate.json").read_text())
        _, cold_seconds, _ = _timed_command(repo, "run", *common, "--out", "reports-cold")
        result = {
            "records": len(files),
            "changed": len(chosen),
            "main_audit_with_cache_seconds": main_seconds,
            "gate_seconds": gate_seconds,
            "cold_audit_seconds": cold_seconds,
            "gate_share_of_cold": round(gate_seconds / cold_seconds, 3),
            "gate_breakdown": timed,
            "gate_exit": code,
            "gate_summary": verdict["summary"],
            "blocking": [
                {k: b[k] for k in ("rule", "record_files", "fingerprint")}
                for b in verdict["blocking"]
            ],
            "only_the_planted_error_blocks": code == 1
            and [(b["rule"], b["record_files"]) for b in verdict["blocking"]]
            == [("schema-range", [planted.name])],
        }
        if full:
            timed = _gate_process(repo, as_of, None, "reports-full")
            full_verdict = json.loads((repo / "reports-full" / "gate.json").read_text())
            verdict.pop("mode"), full_verdict.pop("mode")
            result |= {
                "full_gate_seconds": timed["process_seconds"],
                "full_gate_equal": verdict == full_verdict and timed["exit"] == code,
            }
    finally:
        _git(repo, "reset", "-q", "--hard")
        _git(repo, "checkout", "-q", "main")
        _git(repo, "branch", "-q", "-D", "pull-request")
    return result


def corpus_for(trials: int, seed: int) -> Path:
    from audit.synth import write_corpus

    folder = CACHE / f"{trials}-{seed}"
    if not (folder / "ground_truth.json").exists():
        started = time.perf_counter()
        write_corpus(folder, trials, seed)
        print(f"generated {trials:,} trials in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="*", default=[10_000, 100_000, 500_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    parser.add_argument(
        "--report-findings",
        type=int,
        default=100_000,
        help="findings in the browser benchmark of the HTML report (0: skip)",
    )
    parser.add_argument(
        "--incremental",
        type=int,
        metavar="TRIALS",
        help="also measure a warm cached run after 10 edits at this scale",
    )
    parser.add_argument(
        "--gate",
        type=int,
        metavar="TRIALS",
        help="also measure the merge gate with main's cache on a 10-record pull request at "
        "this scale, against a cold audit in the same run",
    )
    parser.add_argument(
        "--gate-full",
        action="store_true",
        help="with --gate, also run the full gate and check the verdicts are equal",
    )
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--gate-once", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--audit-once", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--as-of", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one or args.gate_once or args.audit_once:
        for_one_command()  # each a process of its own, as the console command is
    if args.gate_once:
        print(json.dumps(gate_once(args.as_of, args.cache, args.gate_once)))
        return 0
    if args.audit_once:
        print(json.dumps(audit_once(args.audit_once, args.as_of, args.cache)))
        return 0
    if args.incremental:
        result = incremental(corpus_for(args.incremental, args.seed))
        print(json.dumps(result))
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"incremental-{args.incremental}.json").write_text(
            json.dumps(result, indent=2) + "\n"
        )
        return 0 if result["findings_identical_to_cold"] else 1
    if args.gate:
        result = gate(corpus_for(args.gate, args.seed), full=args.gate_full)
        print(json.dumps(result))
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"gate-{args.gate}.json").write_text(json.dumps(result, indent=2) + "\n")
        good = result["only_the_planted_error_blocks"] and result.get("full_gate_equal", True)
        return 0 if good else 1
    if args.one:
        print(json.dumps(run_one(args.one, args.out / args.one.name)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    browser = report_benchmark(args.report_findings, args.out) if args.report_findings else None
    if browser:
        print(
            f"report with {browser['findings']:,} findings: {browser['bytes'] / 2**20:.1f} MiB, "
            f"interactive in {browser['load_seconds']} s, rule filter "
            f"{browser['filter_seconds']} s, text search {browser['search_seconds']} s",
            flush=True,
        )
    results = []
    for trials in args.scales:
        corpus = corpus_for(trials, args.seed)
        run = subprocess.run(
            [sys.executable, "-m", "audit.bench", "--one", str(corpus), "--out", str(args.out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return 2
        result = json.loads(run.stdout.strip().splitlines()[-1])
        results.append(result)
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in result["seconds"].items())
        print(
            f"{trials:>8,} trials / {result['records']:,} records: "
            f"{result['total_seconds']:.1f} s ({stages}); peak {result['peak_mib']} MiB",
            flush=True,
        )
        for rule, numbers in result["rules"].items():
            print(
                f"    {rule:32} precision {numbers['precision']}  recall {numbers['recall']}"
                f"  ({numbers['findings']} findings, {numbers['injected']} injected)"
            )
    machine = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    (args.out / "bench.json").write_text(
        json.dumps({"machine": machine, "runs": results}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
