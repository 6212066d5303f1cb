"""JUnit XML (``junit.xml``) for CI test views: one test suite per rule, one case per trial.

Each rule's suite carries its catalogue summary and "how to fix" as properties. A case fails
when its trial has at least one error finding of that rule that is not waived;
warnings, info and waived findings go to the case's ``system-out``. A first suite, ``audit``,
has one case, ``complete``, that fails when the audit is incomplete. Every record value is
escaped; characters XML cannot carry at all become U+FFFD.
"""

from __future__ import annotations

import re
from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from audit.catalogue import Entry
from audit.engine import AuditResult
from audit.findings import Finding

NO_TRIAL = "(no trial)"
MAX_ATTRIBUTE = 500
MAX_FILES = 5  # a finding about 2,000 records is repeated in each of its trials' cases
MAX_LINE = 2000  # characters of a finding's message in a case (findings.json has it whole)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str, limit: int | None = None) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _line(item: Finding) -> str:
    state = f"{item.severity}, waived" if item.waived else item.severity
    files = [name for name in item.record_files[: MAX_FILES + 1] if name not in item.message]
    if len(item.record_files) > MAX_FILES + 1:
        files = [*files[:MAX_FILES], f"and {len(item.record_files) - MAX_FILES} more files"]
    message = _clean(item.message, MAX_LINE)
    return f"[{state}] {message}" + (f" ({', '.join(files)})" if files else "")


def _attributes(**values: str) -> str:
    return " ".join(f"{name}={quoteattr(text)}" for name, text in values.items())


def _suite(
    name: str, cases: list[tuple[str, list[str], list[str]]], entry: Entry | None = None
) -> tuple[str, int]:
    """A suite of (case name, failure lines, output lines: already ``_clean``) as XML text,
    and its failure count; ``entry`` (the id's catalogue entry) becomes the suite's
    properties. Written as text, not as an element tree: a registry-sized audit has hundreds
    of thousands of cases."""
    name = _clean(name)
    parts, failures = [], 0
    if entry is not None:
        parts.append("    <properties>\n")
        for key, value in (("summary", entry.summary), ("how_to_fix", entry.section("fix"))):
            parts.append(f"      <property {_attributes(name=key, value=_clean(value))} />\n")
        parts.append("    </properties>\n")
    for case_name, failed, output in cases:
        parts.append(f"    <testcase {_attributes(classname=name, name=_clean(case_name))}")
        if not failed and not output:
            parts.append(" />\n")
            continue
        parts.append(">\n")
        if failed:
            failures += 1
            summary = failed[0] if len(failed) == 1 else f"{len(failed)} failures: {failed[0]}"
            message = _attributes(message=_clean(summary, MAX_ATTRIBUTE), type=name)
            parts.append(f"      <failure {message}>{escape(chr(10).join(failed))}</failure>\n")
        if output:
            parts.append(f"      <system-out>{escape(chr(10).join(output))}</system-out>\n")
        parts.append("    </testcase>\n")
    counts = _attributes(
        name=name, tests=str(len(cases)), failures=str(failures), errors="0", skipped="0"
    )
    return f"  <testsuite {counts}>\n{''.join(parts)}  </testsuite>\n", failures


def render_junit(result: AuditResult) -> str:
    """The audit result as JUnit XML text (deterministic order)."""
    groups: dict[str, dict[str, list[tuple[Finding, str]]]] = defaultdict(lambda: defaultdict(list))
    for item in result.findings:
        line = _clean(_line(item))
        for trial in item.trial_ids or (NO_TRIAL,):
            groups[item.rule][trial].append((item, line))
    text, failures = _suite("audit", [("complete", [_clean(p) for p in result.problems], [])])
    suites, tests = [text], 1
    for rule_id in sorted(groups):
        cases = []
        for trial, found in sorted(groups[rule_id].items()):
            failed = [line for f, line in found if f.severity == "error" and not f.waived]
            output = [line for f, line in found if f.severity != "error" or f.waived]
            cases.append((trial, failed, output))
        text, failed_cases = _suite(rule_id, cases, result.catalogue.get(rule_id))
        suites.append(text)
        failures += failed_cases
        tests += len(cases)
    return _document(suites, tests, failures)


def render_incomplete_junit(reason: str) -> str:
    """The one failing case of an audit or gate that could not run at all."""
    text, failures = _suite("audit", [("complete", [_clean(reason)], [])])
    return _document([text], 1, failures)


def _document(suites: list[str], tests: int, failures: int) -> str:
    counts = _attributes(name="trial-audit", tests=str(tests), failures=str(failures), errors="0")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<testsuites {counts}>\n{''.join(suites)}</testsuites>\n"
    )
