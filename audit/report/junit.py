"""JUnit XML (``junit.xml``) for CI test views: one test suite per rule, one case per trial.

Each rule's suite carries its catalogue summary and "how to fix" as properties. A case fails
when its trial has at least one error finding of that rule that is not waived;
warnings, info and waived findings go to the case's ``system-out``. A first suite, ``audit``,
has one case, ``complete``, that fails when the audit is incomplete, and one, ``warnings``, that
passes and lists the first ``MAX_WARNINGS`` unwaived warnings in its ``system-out`` (CI test
views show no passing case's output otherwise); its properties count findings by severity.

A file holds at most ``MAX_CASES`` cases of rules (GitLab reads a JUnit file of up to 30 MB;
a registry-sized audit has hundreds of thousands of trials with findings): past that, failing
cases are kept first, then skipped ones, then those whose worst finding is a waived error, a
warning, info; the ``audit`` suite's property ``cases_left_out`` and a line of its
``warnings`` case say how many were left out (``findings.json`` has every finding).

From the gate (``verdict``), only new blocking findings fail a case; a case whose errors were
all in the base is skipped (its lines in ``system-out``), and each line says ``new`` or
``in base``. The ``audit`` suite has one more case, ``gate``, failing with the verdict's summary
when the gate fails (its reasons in ``system-out``), and properties counting new, blocking,
fixed and unchanged findings. Every record value is escaped; characters XML cannot carry at all
become U+FFFD.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from audit.engine import AuditResult
from audit.findings import SEVERITIES, Finding, plural

NO_TRIAL = "(no trial)"
MAX_ATTRIBUTE = 500
MAX_FILES = 5  # a finding about 2,000 records is repeated in each of its trials' cases
MAX_LINE = 2000  # characters of a finding's message in a case (findings.json has it whole)
MAX_WARNINGS = 500  # lines of the ``warnings`` case
MAX_CASES = 10_000  # cases of rules in a file (about 10 MB at a registry's findings)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_PLAIN = re.compile("[&<>\"'\n\r\t]")  # what ``quoteattr`` would change or weigh


class Case(NamedTuple):
    """A test case: failure lines, output lines (already ``_clean``) and why it is skipped."""

    name: str
    failed: list[str]
    output: list[str]
    skipped: str = ""


def _clean(text: str, limit: int | None = None) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _line(item: Finding, new: set[str] | None = None) -> str:
    """A finding as one line: ``[severity, state]`` (waived; from the gate, new or in base)."""
    states = [item.severity, *(["waived"] if item.waived else [])]
    if new is not None:
        states.append("new" if item.fingerprint in new else "in base")
    state = ", ".join(states)
    files = [name for name in item.record_files[: MAX_FILES + 1] if name not in item.message]
    if len(item.record_files) > MAX_FILES + 1:
        files = [*files[:MAX_FILES], f"and {len(item.record_files) - MAX_FILES} more files"]
    message = _clean(item.message, MAX_LINE)
    return f"[{state}] {message}" + (f" ({', '.join(files)})" if files else "")


def _quoted(text: str) -> str:
    """``quoteattr``, without its work for the usual text that needs none (a trial id: one
    per case, hundreds of thousands of cases)."""
    return quoteattr(text) if _NOT_PLAIN.search(text) else f'"{text}"'


def _attributes(**values: str) -> str:
    return " ".join(f"{name}={_quoted(text)}" for name, text in values.items())


def _suite(
    name: str,
    cases: list[Case],
    properties: Mapping[str, object] | None = None,
    names: dict[str, str] | None = None,
) -> tuple[str, int, int]:
    """A suite of cases as XML text, its failure and skipped counts. Written as text, not as
    an element tree: a registry-sized audit has hundreds of thousands of cases. ``names``:
    case names as attributes so far (a trial has a case in each suite of its findings)."""
    name = _clean(name)
    parts, failures, skipped = [], 0, 0
    opening = f"    <testcase classname={_quoted(name)} name="
    escaped: dict[str, str] = {}  # a finding about many trials is one line in each of their cases
    names = {} if names is None else names

    def text(line: str) -> str:
        found = escaped.get(line)
        if found is None:
            found = escaped[line] = escape(line)
        return found

    def body(lines: list[str]) -> str:
        return text(lines[0]) if len(lines) == 1 else "\n".join(map(text, lines))

    if properties:
        parts.append("    <properties>\n")
        for key, value in properties.items():
            parts.append(f"      <property {_attributes(name=key, value=_clean(str(value)))} />\n")
        parts.append("    </properties>\n")
    for case_name, failed, output, skip in cases:
        quoted = names.get(case_name)
        if quoted is None:
            quoted = names[case_name] = _quoted(_clean(case_name))
        parts.append(opening + quoted)
        if not failed and not output:
            parts.append(" />\n")
            continue
        parts.append(">\n")
        if skip and not failed:
            skipped += 1
            parts.append(f"      <skipped {_attributes(message=_clean(skip, MAX_ATTRIBUTE))} />\n")
        if failed:
            failures += 1
            summary = failed[0] if len(failed) == 1 else f"{len(failed)} failures: {failed[0]}"
            message = _attributes(message=_clean(summary, MAX_ATTRIBUTE), type=name)
            parts.append(f"      <failure {message}>{body(failed)}</failure>\n")
        if output:
            parts.append(f"      <system-out>{body(output)}</system-out>\n")
        parts.append("    </testcase>\n")
    counts = _attributes(
        name=name,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    return f"  <testsuite {counts}>\n{''.join(parts)}  </testsuite>\n", failures, skipped


def _audit_suite(
    result: AuditResult,
    line: Callable[[int], str],
    verdict: Mapping[str, Any] | None,
    left_out: int,
) -> list[Case]:
    """The ``audit`` suite's cases: complete, warnings and, from the gate, gate (``line``:
    a finding's line by its position)."""
    found = [at for at, f in enumerate(result.findings) if f.severity == "warning" and not f.waived]
    warnings = [line(at) for at in found[:MAX_WARNINGS]]
    if len(found) > MAX_WARNINGS:
        warnings.append(f"… and {len(found) - MAX_WARNINGS} more (findings.json)")
    if left_out:
        warnings.append(
            f"{plural(left_out, 'case')} of rules left out: a file holds {MAX_CASES:,}, "
            "failing ones first (findings.json has every finding)"
        )
    cases = [
        Case("complete", [_clean(p) for p in result.problems], []),
        Case("warnings", [], warnings),
    ]
    if verdict is not None:
        reasons = [_clean(str(reason)) for reason in verdict.get("reasons") or []]
        failed = [] if verdict.get("passed") else [_clean(str(verdict.get("summary", "")))]
        cases.append(Case("gate", failed, reasons))
    return cases


def _audit_properties(
    result: AuditResult, verdict: Mapping[str, Any] | None, left_out: int
) -> dict[str, int]:
    """Unwaived findings by severity, waived ones, the cases left out (if any) and, from the
    gate, the comparison's counts."""
    counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    counts |= Counter(f.severity for f in result.findings if not f.waived)
    counts["waived"] = sum(1 for f in result.findings if f.waived)
    if verdict is not None:
        counts |= {name: len(verdict.get(name) or []) for name in ("new", "blocking", "fixed")}
        counts["unchanged"] = int(verdict.get("unchanged") or 0)
    if left_out:
        counts["cases_left_out"] = left_out
    return counts


def _kept_cases(ranks: dict[str, list[int]], limit: int) -> tuple[dict[str, list[int]], int]:
    """The positions of the cases kept in each suite, at most ``limit`` in all, by rank
    (``ranks``: each suite's cases' ranks), a rank's cases shared among the suites (the first
    case of each, then the second…); and how many are left out."""
    ranked = [(rank, at, suite) for suite, found in ranks.items() for at, rank in enumerate(found)]
    if len(ranked) <= limit:
        return {suite: list(range(len(found))) for suite, found in ranks.items()}, 0
    kept: dict[str, list[int]] = {suite: [] for suite in ranks}
    for _, at, suite in sorted(ranked)[:limit]:
        kept[suite].append(at)
    return {suite: sorted(positions) for suite, positions in kept.items()}, len(ranked) - limit


def _case(
    trial: str, found: list[tuple[int, bool, bool, int]], gate: bool, line: Callable[[int], str]
) -> Case:
    """A trial's case in a rule's suite, from its findings (``render_junit``)."""
    failed = [line(at) for at, failing, *_ in found if failing]
    output = [line(at) for at, failing, *_ in found if not failing]
    old = sum(1 for _, _, from_base, _ in found if from_base) if gate else 0
    skip = f"{plural(old, 'error finding')} already in the base" if old else ""
    return Case(trial, failed, output, skip)


def render_junit(result: AuditResult, verdict: Mapping[str, Any] | None = None) -> str:
    """The audit result as JUnit XML text (deterministic order); ``verdict`` is the gate's
    JSON (``Verdict.to_json``): then only its blocking findings fail."""
    new = None if verdict is None else {f["fingerprint"] for f in verdict.get("new") or []}
    blocking = {f["fingerprint"] for f in (verdict or {}).get("blocking") or []}

    def fails(item: Finding) -> bool:
        if verdict is not None:
            return item.fingerprint in blocking
        return item.severity == "error" and not item.waived

    lines: dict[int, str] = {}

    def line(at: int) -> str:
        """A finding's line, made once and only for what is written."""
        found = lines.get(at)
        if found is None:
            found = lines[at] = _clean(_line(result.findings[at], new))
        return found

    # Per finding, once (a finding about many trials is in each of their cases): its
    # position, whether it fails its cases, whether it is an error that does not (from the
    # base), and its rank among a case's (``_kept_cases``).
    groups: dict[str, dict[str, list[tuple[int, bool, bool, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    best: dict[str, dict[str, int]] = defaultdict(dict)  # per rule and trial, the case's rank
    for at, item in enumerate(result.findings):
        failing = fails(item)
        from_base = not failing and item.severity == "error" and not item.waived
        rank = 0 if failing else 1 if from_base else 2 + SEVERITIES.index(item.severity)
        seen = (at, failing, from_base, rank)
        by_trial, ranked = groups[item.rule], best[item.rule]
        for trial in item.trial_ids or (NO_TRIAL,):
            by_trial[trial].append(seen)
            if rank < ranked.get(trial, len(SEVERITIES) + 2):
                ranked[trial] = rank
    trials = {rule_id: sorted(groups[rule_id]) for rule_id in sorted(groups)}
    ranks = {
        rule_id: [best[rule_id][trial] for trial in found] for rule_id, found in trials.items()
    }
    kept, left_out = _kept_cases(ranks, MAX_CASES)
    audit = _audit_suite(result, line, verdict, left_out)
    properties = _audit_properties(result, verdict, left_out)
    text, failures, skipped = _suite("audit", audit, properties)
    suites, tests = [text], len(audit)
    names: dict[str, str] = {}
    for rule_id, found in trials.items():
        gate = new is not None
        cases = [_case(found[at], groups[rule_id][found[at]], gate, line) for at in kept[rule_id]]
        entry = result.catalogue.get(rule_id)
        properties = (
            {"summary": entry.summary, "how_to_fix": entry.section("fix")} if entry else None
        )
        text, failed_cases, skipped_cases = _suite(rule_id, cases, properties, names)
        suites.append(text)
        failures += failed_cases
        skipped += skipped_cases
        tests += len(cases)
    return _document(suites, tests, failures, skipped)


def render_incomplete_junit(reason: str) -> str:
    """The one failing case of an audit or gate that could not run at all."""
    text, failures, _ = _suite("audit", [Case("complete", [_clean(reason)], [])])
    return _document([text], 1, failures)


def _document(suites: list[str], tests: int, failures: int, skipped: int = 0) -> str:
    counts = _attributes(
        name="trial-audit",
        tests=str(tests),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites {counts}>\n'
    return "".join([head, *suites, "</testsuites>\n"])  # one copy of a registry's suites
