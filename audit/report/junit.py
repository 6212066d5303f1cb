"""JUnit XML (``junit.xml``) for CI test views: one test suite per rule, one case per trial.

A case fails when its trial has at least one error finding of that rule that is not waived;
warnings, info and waived findings go to the case's ``system-out``. A first suite, ``audit``,
has one case, ``complete``, that fails when the audit is incomplete. Built with ElementTree, so
every record value is escaped; characters XML cannot carry at all become U+FFFD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from audit.engine import AuditResult
from audit.findings import Finding

NO_TRIAL = "(no trial)"
MAX_ATTRIBUTE = 500
MAX_FILES = 5  # a finding about 2,000 records is repeated in each of its trials' cases
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str, limit: int | None = None) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _line(item: Finding) -> str:
    state = f"{item.severity}, waived" if item.waived else item.severity
    files = [name for name in item.record_files[: MAX_FILES + 1] if name not in item.message]
    if len(item.record_files) > MAX_FILES + 1:
        files = [*files[:MAX_FILES], f"and {len(item.record_files) - MAX_FILES} more files"]
    return f"[{state}] {item.message}" + (f" ({', '.join(files)})" if files else "")


def _suite(parent: ET.Element, name: str, cases: list[tuple[str, list[str], list[str]]]) -> int:
    """A suite of (case name, failure lines, output lines: already ``_clean``); returns its
    failure count."""
    suite = ET.SubElement(parent, "testsuite", name=_clean(name), tests=str(len(cases)))
    failures = 0
    for case_name, failed, output in cases:
        case = ET.SubElement(suite, "testcase", classname=_clean(name), name=_clean(case_name))
        if failed:
            failures += 1
            summary = failed[0] if len(failed) == 1 else f"{len(failed)} failures: {failed[0]}"
            failure = ET.SubElement(
                case, "failure", message=_clean(summary, MAX_ATTRIBUTE), type=_clean(name)
            )
            failure.text = "\n".join(failed)
        if output:
            ET.SubElement(case, "system-out").text = "\n".join(output)
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return failures


def render_junit(result: AuditResult) -> str:
    """The audit result as JUnit XML text (deterministic order)."""
    groups: dict[str, dict[str, list[tuple[Finding, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for item in result.findings:
        line = _clean(_line(item))
        for trial in item.trial_ids or (NO_TRIAL,):
            groups[item.rule][trial].append((item, line))
    root = ET.Element("testsuites", name="trial-audit")
    failures = _suite(root, "audit", [("complete", [_clean(p) for p in result.problems], [])])
    tests = 1
    for rule_id in sorted(groups):
        cases = []
        for trial, found in sorted(groups[rule_id].items()):
            failed = [line for f, line in found if f.severity == "error" and not f.waived]
            output = [line for f, line in found if f.severity != "error" or f.waived]
            cases.append((trial, failed, output))
        failures += _suite(root, rule_id, cases)
        tests += len(cases)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
