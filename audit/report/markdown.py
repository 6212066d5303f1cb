"""A short Markdown summary (``summary.md``) for a pull-request comment or a CI job summary.

Incomplete audits say so first, then the verdict (or the error count) and, from the gate, the
blocking findings with their fingerprints (what a waiver names), counts by severity and by rule,
the top findings and where the full report is (its path as given, or its address). Every
record value is escaped so that it stays inside its table cell and never becomes markup, links
or HTML.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from typing import Any

from audit.engine import AuditResult
from audit.findings import SEVERITIES, Finding, plural

MAX_ROWS = 20
MAX_RULES = 30
MAX_MESSAGE = 200
_MARKUP = re.compile(r"[\\`*_\[\]<>|~&]")


def escape(text: Any, limit: int = MAX_MESSAGE) -> str:
    """Text as one line of Markdown with no markup: newlines folded, ``|`` and friends escaped,
    cut at ``limit`` characters."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return _MARKUP.sub(lambda match: "\\" + match.group(0), text)


def _headline(result: AuditResult, verdict: dict[str, Any] | None) -> list[str]:
    lines = []
    if not result.complete:
        lines += [
            "> **Audit incomplete:** some checks could not run, so this audit fails (exit 2).",
            ">",
        ]
        lines += [f"> - {escape(problem)}" for problem in result.problems[:10]]
        if len(result.problems) > 10:
            lines.append(f"> - … and {len(result.problems) - 10} more")
        lines.append("")
    if verdict is not None:
        mark = "✅" if verdict.get("passed") else "❌"
        lines.append(f"## {mark} {escape(verdict.get('summary', ''), 500)}")
        lines += [""] + [f"- {escape(reason, 500)}" for reason in verdict.get("reasons") or []]
        lines += _blocking(verdict.get("blocking") or [])
    else:
        errors = len(result.errors)
        lines.append(f"## {'❌' if errors else '✅'} {plural(errors, 'error finding')}")
    waived = sum(1 for f in result.findings if f.waived)
    trials = int(result.tables.studies["trial_id"].nunique())
    lines += [
        "",
        f"{plural(len(result.record_files), 'record')} ({plural(trials, 'trial')}) "
        f"audited as of {result.as_of.isoformat()}"
        + (f"; {waived} waived" if waived else "")
        + ".",
    ]
    return lines


def _code(text: str) -> str:
    """Text as a code span, or escaped when it cannot be one (a backtick or a pipe in it)."""
    text = " ".join(text.split())
    return escape(text, 500) if "`" in text or "|" in text else f"`{text}`"


def _trials(trial_ids: list[str] | tuple[str, ...]) -> str:
    more = f" +{len(trial_ids) - 3}" if len(trial_ids) > 3 else ""
    return escape(", ".join(trial_ids[:3]) + more)


def _blocking(blocking: list[dict[str, Any]]) -> list[str]:
    """The gate's blocking findings (``Verdict.to_json``), each with its fingerprint."""
    if not blocking:
        return []
    lines = ["", f"### Blocking: {plural(len(blocking), 'new finding')}", ""]
    lines += ["| Rule | Trials | Message | Fingerprint |", "|---|---|---|---|"]
    for item in blocking[:MAX_ROWS]:
        row = (item["rule"], _trials(item["trial_ids"]), item["message"], item["fingerprint"])
        lines.append(f"| {escape(row[0])} | {row[1]} | {escape(row[2])} | {_code(row[3])} |")
    if len(blocking) > MAX_ROWS:
        lines.append(f"| … {len(blocking) - MAX_ROWS} more (gate.json) | | | |")
    return lines


def _counts(findings: list[Finding]) -> list[str]:
    by_rule: dict[str, Counter[str]] = {}
    for (rule_id, severity), count in Counter((f.rule, f.severity) for f in findings).items():
        by_rule.setdefault(rule_id, Counter())[severity] = count
    by_severity = sum(by_rule.values(), Counter())
    lines = ["", "| Severity | Findings |", "|---|---:|"]
    lines += [f"| {severity} | {by_severity.get(severity, 0)} |" for severity in SEVERITIES]
    order = sorted(by_rule, key=lambda r: (-by_rule[r]["error"], -by_rule[r].total(), r))
    lines += ["", "| Rule | " + " | ".join(SEVERITIES) + " |", "|---|---:|---:|---:|"]
    for rule_id in order[:MAX_RULES]:
        counts = " | ".join(str(by_rule[rule_id][s]) for s in SEVERITIES)
        lines.append(f"| {escape(rule_id)} | {counts} |")
    if len(order) > MAX_RULES:
        lines.append(f"| … {len(order) - MAX_RULES} more rules | | | |")
    return lines


def _top(findings: list[Finding], title: str = "Top findings") -> list[str]:
    chosen = heapq.nsmallest(MAX_ROWS, findings, key=lambda f: (bool(f.waived), f.sort_key()))
    lines = [
        "",
        f"### {title} ({len(chosen)} of {len(findings)})",
        "",
        "| Severity | Rule | Trials | Message |",
        "|---|---|---|---|",
    ]
    for item in chosen:
        severity = item.severity + (" (waived)" if item.waived else "")
        lines.append(
            f"| {severity} | {escape(item.rule)} | {_trials(item.trial_ids)} "
            f"| {escape(item.message)} |"
        )
    return lines


def render_summary(
    result: AuditResult,
    verdict: dict[str, Any] | None = None,
    report_name: str = "reports/index.html",
) -> str:
    """The Markdown summary; ``verdict`` is the gate's (``passed``, ``summary``, ``reasons``,
    ``blocking``, ``new``): the verdict first, then the new findings, then the rest.
    ``report_name``: the HTML report's path as the reader finds it, or its address."""
    lines = _headline(result, verdict)
    new = {f["fingerprint"] for f in (verdict or {}).get("new", [])}
    if new:
        lines += _top([f for f in result.findings if f.fingerprint in new], "New findings")
    if result.findings:
        rest = [f for f in result.findings if f.fingerprint not in new]
        lines += _counts(result.findings) + (_top(rest, "Other findings") if new else _top(rest))
    if "://" in report_name:
        where = f"[the full report]({report_name})"
    else:
        where = f"the full report: {_code(report_name)} (in the job's artifacts on CI)"
    lines += ["", f"See {where} (also `findings.json`, `findings.sarif`, `junit.xml`)."]
    return "\n".join(lines) + "\n"
