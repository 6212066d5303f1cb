"""The audit pipeline: records -> tables -> pandera, GX, rules -> policy -> findings.

Nothing here knows an individual rule. Every layer that fails to run (an unreadable record, a
broken suite, a crashing rule) is recorded as a problem: the audit is then *incomplete*, its
exit code is 2, and the gate treats it as a failure.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from audit import __version__
from audit.catalogue import Entry, declared
from audit.config import Config
from audit.corpus import Change, Corpus, holds_state, load_changes, load_corpus
from audit.findings import Finding, finding, sorted_findings
from audit.heap import without_cycle_collection
from audit.incremental import Affected, Incremental
from audit.load import RecordError, parse_record
from audit.policy import PolicyError, load_policy
from audit.progress import MIN_ITEMS
from audit.record import atomic_write
from audit.rules import Context, Rule, all_rules, run_rules
from audit.tables import Tables
from audit.validate.expectations import (
    SuiteError,
    load_suites,
    suite_entries,
    update_suites,
    validate_suites,
)
from audit.validate.gx_process import GxProcess
from audit.validate.schemas import validate_tables
from audit.waivers import Waiver, WaiverError, WaiverOutcome, apply_waivers, load_waivers

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE = 0, 1, 2


@dataclass
class AuditResult:
    as_of: date
    record_files: list[str]
    tables: Tables
    findings: list[Finding]
    problems: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    records_dir: Path | None = None
    config: Config | None = None
    catalogue: dict[str, Entry] = field(default_factory=dict)
    expired_waivers: list[Waiver] = field(default_factory=list)
    unmatched_waivers: list[Waiver] = field(default_factory=list)
    # With a cache: per check, the record files it re-checked (None: all of them).
    rechecked: dict[str, int | None] = field(default_factory=dict)
    check_seconds: dict[str, float] = field(default_factory=dict)  # per check (pandera, rule)
    cache_state: str = ""  # with a cache: the id of the cached state it left (or read)
    cache: Path | None = None  # the cache folder, where the reports keep what they computed
    change: Change | None = None  # what differs from the cache's previous state (None: cold)
    cache_readonly: bool = False  # the merge gate reads main's cache and never writes it

    @property
    def complete(self) -> bool:
        return not self.problems

    def record(self, name: str) -> dict[str, Any] | None:
        """One loaded record, read again from its file (records are not kept in memory)."""
        if self.records_dir is None:
            return None
        try:
            return parse_record(self.records_dir / name)
        except RecordError:
            return None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error" and not f.waived]

    @property
    def exit_code(self) -> int:
        if not self.complete:
            return EXIT_INCOMPLETE
        return EXIT_FINDINGS if self.errors else EXIT_CLEAN

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "tool_version": __version__,
            "record_count": len(self.record_files),
            "config": self.config.to_json() if self.config else None,
            "complete": self.complete,
            "problems": self.problems,
            "expired_waivers": [w.to_json() for w in self.expired_waivers],
            "unmatched_waivers": [w.to_json() for w in self.unmatched_waivers],
            "findings": [f.to_json() for f in self.findings],
        }


def _timed(
    timings: dict[str, float], stage: str, step: Callable[[], Any], *, first_part: bool = False
) -> Any:
    """Run one stage and add its wall time (a stage may come in parts: the first says
    nothing); long runs say each stage's time on stderr."""
    started = time.perf_counter()
    try:
        return step()
    finally:
        timings[stage] = round(timings.get(stage, 0.0) + time.perf_counter() - started, 3)
        if timings.get("announce") and not first_part:
            print(f"audit: {stage} done in {timings[stage]:.1f} s", file=sys.stderr, flush=True)


def run_audit(
    records_dir: Path,
    config: Config | Path,
    as_of: date,
    cache: Path | None = None,
    *,
    changes: tuple[set[str], str] | None = None,
) -> AuditResult:
    """Audit ``records_dir`` with the suites, policy and waivers of ``config`` (a folder is
    taken as given); ``cache`` is a folder for the incremental table cache. With ``changes``
    (the record files changed since the cached state, and that state's id), nothing else is
    listed or read and the cache is only read (``CacheMismatch`` if it is not that state)."""
    if isinstance(config, Path):
        config = Config(config, "given")
    # A run from a kept state re-validates only what changed: GX's import is most of that,
    # so a second process does it while this one loads the tables.
    gx = GxProcess() if holds_state(cache) else None
    try:
        # Loading, the checks and the policy build millions of acyclic objects, parsing kept
        # findings and keys among them: the cycle collector walking them again and again was
        # a third of the time spent parsing a gate's kept findings.
        with without_cycle_collection():
            return _audit(records_dir, config, as_of, cache, changes, gx)
    finally:
        if gx is not None:
            gx.close()


def _audit(
    records_dir: Path,
    config: Config,
    as_of: date,
    cache: Path | None,
    changes: tuple[set[str], str] | None,
    gx: GxProcess | None,
) -> AuditResult:
    timings: dict[str, float] = {}
    problems: list[str] = []
    if changes is not None and cache is not None:
        changed, state = changes
        loaded = _timed(timings, "load", lambda: load_changes(records_dir, cache, changed, state))
    else:
        loaded = _timed(timings, "load", lambda: load_corpus(records_dir, cache, wait=False))
    if len(loaded.files) >= MIN_ITEMS:
        timings["announce"] = 1
    problems += [
        f"unreadable record file: {f.message}"
        for f in loaded.findings
        if f.rule == "record-unreadable"
    ]
    tables = loaded.tables
    checks = Incremental(cache, loaded, readonly=changes is not None)
    findings = list(loaded.findings)
    findings += _timed(
        timings,
        "pandera",
        lambda: checks.run("pandera", "", validate_tables, checks.changed_files),
    )
    catalogue = full_catalogue()
    validated = _timed(
        timings,
        "gx",
        lambda: _start_suites(config, catalogue, checks, loaded, gx),
        first_part=True,
    )
    rule_problems: list[str] = []
    ruled = _timed(timings, "rules", lambda: _run_rules_safely(checks, as_of, rule_problems))
    findings += _timed(timings, "gx", lambda: _suite_findings(validated, problems))
    findings += ruled
    problems += rule_problems
    checks.save()
    try:
        findings = load_policy(config.policy, catalogue).apply(findings)
    except PolicyError as error:
        problems.append(str(error))
        findings.append(finding("policy-unusable", "input", "error", str(error)))
    try:
        waived = apply_waivers(findings, load_waivers(config.waivers, catalogue), as_of)
    except WaiverError as error:
        problems.append(str(error))
        waived = WaiverOutcome(findings, [], [])
        waived.findings.append(finding("waivers-unusable", "input", "error", str(error)))
    timings.pop("announce", None)
    return AuditResult(
        as_of,
        loaded.files,
        tables,
        sorted_findings(waived.findings),
        problems,
        timings,
        records_dir,
        config,
        catalogue,
        waived.expired,
        waived.unmatched,
        checks.rechecked,
        checks.seconds,
        loaded.generation,
        cache,
        loaded.change,
        changes is not None,
    )


def full_catalogue() -> dict[str, Entry]:
    """Every finding id the code declares: the contract's, the shipped suites' and the rules'
    (the suites of a run may add their own, see ``suite_entries``)."""
    all_rules()
    return declared()


def _start_suites(
    config: Config,
    catalogue: dict[str, Entry],
    checks: Incremental,
    loaded: Corpus,
    gx: GxProcess | None,
) -> Callable[[], list[Finding]]:
    """Start validating the suites (adding their ids to ``catalogue``); the function returned
    gives the findings, or raises the ``SuiteError`` that kept them from being. With ``gx``
    the validation goes on in its process during the rules."""
    try:
        suites = load_suites(config.expectations)
        catalogue.update(suite_entries(suites, catalogue))
    except SuiteError as error:
        unusable = error

        def raise_it() -> list[Finding]:
            raise unusable

        return raise_it
    stamp = orjson.dumps(suites, option=orjson.OPT_SORT_KEYS).decode()
    return checks.run_kept(
        "gx",
        stamp,
        lambda tables: validate_suites(tables, suites),
        lambda state, changed, previous: update_suites(
            loaded.tables, suites, state, changed, previous, gx.submit if gx else None
        ),
    )


def _suite_findings(validated: Callable[[], list[Finding]], problems: list[str]) -> list[Finding]:
    try:
        return validated()
    except SuiteError as error:
        problems.append(str(error))
        return [finding("suite-unusable", "expectation", "error", str(error))]


def _affected(checks: Incremental, rule: Rule, as_of: date) -> Affected | None:
    """What a rule must re-check in an incremental run (None: everything)."""
    if rule.linkage is not None:
        linkage, ctx = rule.linkage, Context(as_of, rule.id, rule.severity)
        return lambda: checks.linkage_scope(f"rule:{rule.id}", linkage, ctx)
    if rule.scope == "record":
        return checks.changed_files
    if rule.scope == "trial":
        return checks.trial_files
    if rule.focus is not None:
        focus = rule.focus
        return lambda: checks.focus_scope(f"rule:{rule.id}", focus)
    if rule.blocks is not None:
        blocks = rule.blocks
        return lambda: checks.block_files(rule.id, blocks)
    return None


def _prime(checks: Incremental, rule: Rule) -> Callable[[], object] | None:
    """What a full run of a rule prepares for the next incremental run: its blocks' keys."""
    if rule.linkage is not None:
        linkage = rule.linkage
        return lambda: checks.save_link_keys(f"rule:{rule.id}", linkage)
    if rule.scope == "corpus" and rule.focus is None and rule.blocks is not None:
        blocks = rule.blocks
        return lambda: checks.block_files(rule.id, blocks)
    return None


def _run_rules_safely(checks: Incremental, as_of: date, problems: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in all_rules().values():
        try:
            findings += checks.run(
                f"rule:{rule.id}",
                as_of.isoformat(),
                lambda tables, rule=rule: run_rules(tables, as_of, [rule]),
                _affected(checks, rule, as_of),
                _prime(checks, rule),
            )
        except Exception as error:  # a crashing rule must fail the audit, not vanish
            detail = "".join(traceback.format_exception_only(error)).strip()
            problems.append(f"rule {rule.id} crashed: {detail}")
            findings.append(
                finding(
                    "rule-crashed",
                    "rule",
                    "error",
                    f"rule {rule.id} could not run: {detail}",
                    key=rule.id,
                )
            )
    return findings


def findings_json(result: AuditResult) -> bytes:
    """``findings.json`` as UTF-8."""
    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    with without_cycle_collection():  # a dict per finding: many acyclic objects
        return orjson.dumps(result.to_json(), option=options)


def write_findings(result: AuditResult, out_dir: Path) -> Path:
    path = out_dir / "findings.json"
    atomic_write(path, findings_json(result))
    return path
