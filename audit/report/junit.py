"""JUnit XML (``junit.xml``) for CI test views: one test suite per rule, one case per trial.

Each rule's suite carries its catalogue summary and "how to fix" as properties. A case fails
when its trial has at least one error finding of that rule that is not waived;
warnings, info and waived findings go to the case's ``system-out``. A first suite, ``audit``,
has one case, ``complete``, that fails when the audit is incomplete, and one, ``warnings``, that
passes and lists every unwaived warning in its ``system-out`` (CI test views show no passing
case's output otherwise); its properties count findings by severity.

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
from collections.abc import Mapping
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from audit.engine import AuditResult
from audit.findings import SEVERITIES, Finding, plural

NO_TRIAL = "(no trial)"
MAX_ATTRIBUTE = 500
MAX_FILES = 5  # a finding about 2,000 records is repeated in each of its trials' cases
MAX_LINE = 2000  # characters of a finding's message in a case (findings.json has it whole)
MAX_WARNINGS = 500  # lines of the ``warnings`` case
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
    name: str, cases: list[Case], properties: Mapping[str, object] | None = None
) -> tuple[str, int, int]:
    """A suite of cases as XML text, its failure and skipped counts. Written as text, not as
    an element tree: a registry-sized audit has hundreds of thousands of cases."""
    name = _clean(name)
    parts, failures, skipped = [], 0, 0
    opening = f"    <testcase classname={_quoted(name)} name="
    escaped: dict[str, str] = {}  # a finding about many trials is one line in each of their cases

    def body(lines: list[str]) -> str:
        return "\n".join(
            [escaped.get(line) or escaped.setdefault(line, escape(line)) for line in lines]
        )

    if properties:
        parts.append("    <properties>\n")
        for key, value in properties.items():
            parts.append(f"      <property {_attributes(name=key, value=_clean(str(value)))} />\n")
        parts.append("    </properties>\n")
    for case_name, failed, output, skip in cases:
        parts.append(opening + _quoted(_clean(case_name)))
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
    result: AuditResult, lines: list[tuple[Finding, str]], verdict: Mapping[str, Any] | None
) -> list[Case]:
    """The ``audit`` suite's cases: complete, warnings and, from the gate, gate."""
    warnings = [line for f, line in lines if f.severity == "warning" and not f.waived]
    if len(warnings) > MAX_WARNINGS:
        more = f"… and {len(warnings) - MAX_WARNINGS} more (findings.json)"
        warnings = [*warnings[:MAX_WARNINGS], more]
    cases = [
        Case("complete", [_clean(p) for p in result.problems], []),
        Case("warnings", [], warnings),
    ]
    if verdict is not None:
        reasons = [_clean(str(reason)) for reason in verdict.get("reasons") or []]
        failed = [] if verdict.get("passed") else [_clean(str(verdict.get("summary", "")))]
        cases.append(Case("gate", failed, reasons))
    return cases


def _audit_properties(result: AuditResult, verdict: Mapping[str, Any] | None) -> dict[str, int]:
    """Unwaived findings by severity, waived ones and, from the gate, the comparison's counts."""
    counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    counts |= Counter(f.severity for f in result.findings if not f.waived)
    counts["waived"] = sum(1 for f in result.findings if f.waived)
    if verdict is not None:
        counts |= {name: len(verdict.get(name) or []) for name in ("new", "blocking", "fixed")}
        counts["unchanged"] = int(verdict.get("unchanged") or 0)
    return counts


def render_junit(result: AuditResult, verdict: Mapping[str, Any] | None = None) -> str:
    """The audit result as JUnit XML text (deterministic order); ``verdict`` is the gate's
    JSON (``Verdict.to_json``): then only its blocking findings fail."""
    new = None if verdict is None else {f["fingerprint"] for f in verdict.get("new") or []}
    blocking = {f["fingerprint"] for f in (verdict or {}).get("blocking") or []}

    def fails(item: Finding) -> bool:
        if verdict is not None:
            return item.fingerprint in blocking
        return item.severity == "error" and not item.waived

    lines = [(item, _clean(_line(item, new))) for item in result.findings]
    # Per finding, once (a finding about many trials is in each of their cases): its line,
    # whether it fails its cases, and whether it is an error that does not (from the base).
    groups: dict[str, dict[str, list[tuple[str, bool, bool]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for item, line in lines:
        failing = fails(item)
        seen = (line, failing, not failing and item.severity == "error" and not item.waived)
        for trial in item.trial_ids or (NO_TRIAL,):
            groups[item.rule][trial].append(seen)
    audit = _audit_suite(result, lines, verdict)
    text, failures, skipped = _suite("audit", audit, _audit_properties(result, verdict))
    suites, tests = [text], len(audit)
    for rule_id in sorted(groups):
        cases = []
        for trial, found in sorted(groups[rule_id].items()):
            failed = [line for line, failing, _ in found if failing]
            output = [line for line, failing, _ in found if not failing]
            old = sum(1 for *_, from_base in found if from_base)
            skip = f"{plural(old, 'error finding')} already in the base" if new is not None else ""
            cases.append(Case(trial, failed, output, skip if old else ""))
        entry = result.catalogue.get(rule_id)
        properties = (
            {"summary": entry.summary, "how_to_fix": entry.section("fix")} if entry else None
        )
        text, failed_cases, skipped_cases = _suite(rule_id, cases, properties)
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
