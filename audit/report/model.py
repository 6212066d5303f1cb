"""The report's view model: plain dicts built from an audit result, shared by every format.

The HTML page embeds this as JSON and renders the big tables in the browser (so 100,000
findings stay responsive); the overview is rendered server-side from the same numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from functools import cache
from typing import Any

from audit.dates import months_between, to_date
from audit.engine import AuditResult
from audit.fields import TRIAL_VIEW
from audit.findings import SEVERITIES, Finding
from audit.report.persons import Persons
from audit.report.sarif import Lines, lines_of, record_path

MAX_TEXT = 2000


def _show(value: Any) -> str:
    """A record value as one short line of text for a table cell."""
    if value is None or value == [] or value == {}:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # "18", not "18.0"
    if isinstance(value, dict) and set(value) in ({"date", "type"}, {"count", "type"}):
        return " ".join(_show(v) for v in value.values() if v is not None and v != "")
    if isinstance(value, list):
        parts = [_item(v) for v in value]
        return "; ".join(p for p in parts if p)
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _item(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("label", "name", "facility"):
            if value.get(key):
                size = value.get("planned_size")
                return f"{value[key]} ({size})" if size else str(value[key])
        return ""
    return str(value)


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())


@cache  # fields repeat across findings (``people[0].name``, ``enrollment.count``, …)
def _about(field: str | None) -> tuple[str, ...]:
    """The trial-view labels a finding's field is about (its record path, as SARIF reads it)."""
    path = tuple(str(step) for step in record_path(field))
    return tuple(
        view.label
        for view, fields in TRIAL_VIEW
        if path and path[: len(fields)] == fields[: len(path)]
    )


def record_views(
    result: AuditResult, trials: set[str], known: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per trial with a readable record: each source's values side by side, newest capture
    first, with disagreeing fields marked. Taken from ``known`` (a previous run's, of records
    unchanged since) when those are the trial's records now, else read again from the files,
    only for the trials shown."""
    studies = result.tables.studies
    chosen = studies[studies["trial_id"].isin(list(trials))]
    names: dict[str, list[str]] = defaultdict(list)
    for name, trial in zip(chosen["record_file"], chosen["trial_id"], strict=True):
        names[trial].append(name)
    views = {}
    for trial, files in names.items():
        before = known.get(trial)
        if before is not None and sorted(before["files"]) == sorted(files):
            views[trial] = before
            continue
        records = [(name, result.record(name)) for name in files]
        entries = [(name, record) for name, record in records if record is not None]
        if entries:
            views[trial] = _record_view(entries)
    return views


def _record_view(entries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    entries = sorted(entries, key=lambda item: (str(item[1].get("source")), item[0]))
    entries.sort(key=lambda item: str(item[1].get("captured") or ""), reverse=True)
    rows = []
    for view, path in TRIAL_VIEW:  # declared with the record's fields
        values = [_show(_get(record, path)) for _, record in entries]
        stated = {_normalized(v) for v in values if v}
        lines = [_line(record, path[0]) if view.line else None for _, record in entries]
        rows.append(
            {
                "field": view.label,
                "values": values,
                "lines": lines,
                "conflict": view.compare and len(stated) > 1,
            }
        )
    return {
        "title": _show(next((r.get("title") for _, r in entries if r.get("title")), "")),
        "sources": [str(r.get("source")) for _, r in entries],
        "files": [name for name, _ in entries],
        "captured": [_show(record.get("captured")) for _, record in entries],
        "rows": rows,
    }


def trial_views(
    result: AuditResult, views: Mapping[str, dict[str, Any]], persons: Persons
) -> list[dict[str, Any]]:
    """The trials' views (``record_views``) with the fields a finding is about marked, and
    their people."""
    flagged: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in result.findings:
        for label in _about(item.field):
            for trial in item.trial_ids:
                if trial in views:
                    flagged[trial][label].add(item.rule)
    return [
        views[trial]
        | {
            "trial": trial,
            "rows": _flagged_rows(views[trial]["rows"], flagged.get(trial, {})),
            "people": persons.of_trial(trial),
        }
        for trial in sorted(views)
    ]


def _flagged_rows(
    rows: list[dict[str, Any]], rules: Mapping[str, set[str]]
) -> list[dict[str, Any]]:
    """A trial view's rows, each a finding is about with those findings' rules. The others go
    out as they are (the page reads no list as none): copying each of 5,000 trials' rows took
    a second at 100,000 trials."""
    if not rules:
        return rows
    return [
        row | {"findings": sorted(rules[row["field"]])} if row["field"] in rules else row
        for row in rows
    ]


def _line(record: dict[str, Any], field: str) -> int | None:
    lines = record.get("source_lines")
    if not isinstance(lines, dict):
        return None
    line = lines.get(field)
    return line if isinstance(line, int) else None


def verification_ages(result: AuditResult) -> Counter[int]:
    """How many records were last verified how many months before the as-of date."""
    counts = result.tables.studies["status_verified"].value_counts()
    ages: Counter[int] = Counter()
    for text, count in counts.items():
        verified = to_date(text)
        if verified:
            ages[max(0, months_between(verified, result.as_of))] += int(count)
    return ages


def overview(result: AuditResult, verdict: dict[str, Any] | None) -> dict[str, Any]:
    studies = result.tables.studies
    sources = studies["source"].value_counts(dropna=False).items()
    by_severity = Counter(f.severity for f in result.findings)
    by_rule = Counter(f.rule for f in result.findings)
    grid = Counter((f.rule, f.severity) for f in result.findings)
    return {
        "as_of": result.as_of.isoformat(),
        "records": len(result.record_files),
        "trials": int(studies["trial_id"].nunique()),
        "sources": dict(sorted((str(source), int(count)) for source, count in sources)),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "by_rule": by_rule.most_common(),
        "grid": [
            (rule, [(s, grid.get((rule, s), 0)) for s in SEVERITIES], total)
            for rule, total in sorted(
                by_rule.items(),
                key=lambda item: tuple(-grid.get((item[0], s), 0) for s in SEVERITIES),
            )
        ],
        "complete": result.complete,
        "problems": result.problems,
        "verdict": verdict,
        "blocking": _blocking(verdict),
        "verification_ages": _age_histogram(verification_ages(result)),
    }


def _blocking(verdict: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The gate's new, unwaived findings at or above its threshold: what fails it."""
    if not verdict:
        return []
    worst = SEVERITIES.index(verdict.get("threshold", "error"))
    return [
        f
        for f in verdict.get("new", [])
        if not f.get("waived") and SEVERITIES.index(f["severity"]) <= worst
    ]


def _age_histogram(ages: Counter[int]) -> list[tuple[str, int]]:
    bins = (
        ("< 1 y", 0, 12),
        ("1-2 y", 12, 24),
        ("2-5 y", 24, 60),
        ("5-10 y", 60, 120),
        ("> 10 y", 120, 10**6),
    )
    return [
        (label, sum(count for age, count in ages.items() if low <= age < high))
        for label, low, high in bins
    ]


DOC_PARTS = ("what", "why", "fix", "example")


def rule_docs(result: AuditResult) -> dict[str, dict[str, str]]:
    """The documentation of every id the findings name, as plain text, for the page."""
    docs = {}
    for rule_id in sorted({f.rule for f in result.findings}):
        entry = result.catalogue.get(rule_id)
        parts = {name: entry.section(name) for name in DOC_PARTS} if entry else {}
        docs[rule_id] = {"summary": entry.summary if entry else rule_id, **parts}
    return docs


def finding_rows(
    findings: list[Finding], new: set[str] | None, lines: Lines | None = None
) -> dict[str, Any]:
    """Findings as compact columns for the page: codes for repeated strings; with ``lines``
    (record file, field) -> line, each record file's line of the field (1 when not known)."""
    rules = sorted({f.rule for f in findings})
    sources = sorted({s for f in findings for s in f.sources})
    rule_index = {r: i for i, r in enumerate(rules)}
    source_index = {s: i for i, s in enumerate(sources)}
    rows = []
    located = {name for name, _ in lines} if lines is not None else set()
    if new is not None:  # the gate's new findings first, then the rest
        findings = sorted(findings, key=lambda f: f.fingerprint not in new)
    for f in findings:
        status = (
            "waived" if f.waived else ("new" if new is not None and f.fingerprint in new else "")
        )
        row = [
            SEVERITIES.index(f.severity),
            rule_index[f.rule],
            f.origin,
            list(f.trial_ids),
            [source_index[s] for s in f.sources],
            f.field or "",
            f.message,
            list(f.record_files),
            f.evidence,
            f.fingerprint,
            status,
            f.waived or None,
        ]
        if lines is not None:
            row.append(lines_of(f, lines, located))
        rows.append(row)
    return {"rules": rules, "sources": sources, "severities": list(SEVERITIES), "rows": rows}
