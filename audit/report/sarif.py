"""SARIF 2.1.0 (``findings.sarif``) for code-scanning tools: one result per finding.

Each result points at the line where the finding's field is in each of its record files (the
first ``MAX_LOCATIONS``; ``properties.record_files`` lists them all). A field of a list of
entries (``people.name``) is looked up in the entry the finding is about, which its rule names
in the evidence (``entry_index``); without one it is the list's opening line. Record files
are written with sorted keys and a 2-space indent (``audit.record.dumps``), so a field's line is
found by walking the indentation; anything unexpected falls back to line 1. The finding's own
fingerprint is the partial fingerprint, so alerts stay matched across runs and renamed files.

From the gate, each result has a ``baselineState`` (``new`` or ``unchanged``) and each fixed
finding of the base is one more result, ``absent``: ``kind`` ``pass``, level ``none`` and no
location (its lines are in the base's files, not the head's), so nothing annotates it.

A log carries at most ``MAX_RESULTS`` results (``carried``): GitHub code scanning rejects a run
of more than 25,000 and shows 5,000. Past that, new findings go first, then fixed ones, then
the unwaived by severity, then the waived; a note and the run's properties say how many
were left out (``findings.json`` has every finding).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson

from audit import __version__
from audit.catalogue import Entry
from audit.engine import AuditResult
from audit.fields import STUDY_COLUMNS
from audit.findings import SEVERITIES, Finding
from audit.tables import ENTRY_LISTS

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "trialAudit/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
MAX_RESULTS = 5000  # what GitHub code scanning shows of a run (it rejects over 25,000)
# Study-table columns -> record paths; "dates" names the date-order check's three dates.
_STUDY_PATHS: dict[str, tuple[str, ...]] = {
    **{column.name: column.path for column in STUDY_COLUMNS},
    "dates": ("start_date",),
}
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def record_path(field: str | None) -> list[str | int]:
    """A finding's field as a path into the record: ``people[0].email`` -> people, 0, email;
    ``studies.enrollment_count`` -> enrollment, count; ``enrollment.count`` stays as it is."""
    return list(_record_path(field))


@cache  # every report asks for each finding's path; fields repeat across findings
def _record_path(field: str | None) -> tuple[str | int, ...]:
    if not field or field.startswith("("):
        return ()
    path: list[str | int] = [
        int(index) if index else int(name) if name.isdigit() else name
        for name, index in _SEGMENT.findall(field.split(",")[0])
    ]
    if path[:1] == ["identifiers"]:
        return ("trial_id",)
    if path[:1] == ["studies"]:
        path = path[1:]
    if len(path) == 1 and path[0] in _STUDY_PATHS:
        return tuple(_STUDY_PATHS[str(path[0])])
    return tuple(path)


def entry_index(item: Finding, name: str) -> int | None:
    """The index of the entry (person, site, arm…) ``item`` is about in record file ``name``
    (``Finding.entry_indices``)."""
    anywhere, per_file = item.entry_indices
    return per_file.get(name, anywhere)


def finding_path(item: Finding, name: str) -> tuple[str | int, ...]:
    """Where ``item`` is in record file ``name``: ``record_path`` of its field, inside the entry
    it is about when the field is in a list of entries (``people.name`` -> people, 3, name)."""
    path = record_path(item.field)
    if path and path[0] in ENTRY_LISTS and not (len(path) > 1 and isinstance(path[1], int)):
        index = entry_index(item, name)
        if index is not None:
            path.insert(1, index)
    return tuple(path)


def find_line(lines: Sequence[str], path: Sequence[str | int]) -> int:
    """The 1-based line of the deepest part of ``path`` found in indented JSON text, else 1."""
    found, start, indent = 1, 0, 2
    for step in path:
        line = _child_line(lines, start, indent, step)
        if line is None:
            break
        found, start, indent = line + 1, line, indent + 2
    return found


def _child_line(lines: Sequence[str], start: int, indent: int, step: str | int) -> int | None:
    """The line of key or item ``step`` in the container opened on line ``start``."""
    key = json.dumps(step, ensure_ascii=False) + ":" if isinstance(step, str) else None
    items = -1
    margin = " " * indent
    for number in range(start + 1, len(lines)):
        text = lines[number]
        if not text.startswith(margin):
            return None  # indented less: the container closed
        if text.startswith(" ", indent):
            continue  # inside an entry of the container
        if key is not None and text.startswith(key, indent):
            return number
        if key is None and not text.startswith(("}", "]"), indent):
            items += 1
            if items == step:
                return number
    return None


Lines = dict[tuple[str, tuple[str | int, ...]], int]
# A finding about a whole cluster names hundreds of records; code hosts show the first few
# locations of a result anyway. All files stay listed in the result's properties.
MAX_LOCATIONS = 10


def _located_files(item: Finding) -> list[str]:
    relative = [name for name in item.record_files if not name.startswith("/")]
    return relative[:MAX_LOCATIONS]


def _read_lines(folder: Path | None, name: str) -> list[str]:
    if folder is None:
        return []
    try:
        return (folder / name).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def record_lines(
    result: AuditResult, known: Lines | None = None, findings: Sequence[Finding] | None = None
) -> Lines:
    """The line of each (record file, ``finding_path``) the findings (``findings``, else all of
    ``result``'s) name, reading each file once, in name order (a registry-sized audit names
    hundreds of thousands of files), except the files whose every line asked for is ``known``
    (from a previous run, of files that have not changed since)."""
    paths: dict[str, set[tuple[str | int, ...]]] = defaultdict(set)
    for item in result.findings if findings is None else findings:
        if item.rule != "record-unreadable":
            for name in _located_files(item):
                paths[name].add(finding_path(item, name))
    known = known or {}
    located: Lines = {}
    folder = Path(result.records_dir) if result.records_dir is not None else None
    for name in sorted(paths):
        wanted = [(name, path) for path in paths[name]]
        if all(at in known for at in wanted):
            located.update((at, known[at]) for at in wanted)
            continue
        lines = _read_lines(folder, name)
        for path in paths[name]:
            located[name, path] = find_line(lines, path)
    return located


def line_of(item: Finding, name: str, lines: Lines) -> int:
    """The line ``item`` is at in record file ``name`` (``lines`` from ``record_lines``)."""
    if item.rule == "record-unreadable":
        match = re.search(r"at line (\d+)", str(item.evidence.get("reason", "")))
        return int(match.group(1)) if match else 1
    return lines.get((name, finding_path(item, name)), 1)


def lines_of(item: Finding, lines: Lines, located: set[str]) -> list[int]:
    """``line_of`` each of ``item``'s record files; ``located``: the files ``lines`` has any
    line of. A finding about a cluster names hundreds of files and an evidence entry for each:
    working out its path in each file (``finding_path``) costs as much again per file."""
    unreadable = item.rule == "record-unreadable"  # its line is in its evidence
    return [
        line_of(item, name, lines) if unreadable or name in located else 1
        for name in item.record_files
    ]


def _location(item: Finding, name: str, base: str, lines: Lines) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": base + quote(name, safe="/")},
            "region": {"startLine": line_of(item, name, lines)},
        }
    }


def _descriptor(rule_id: str, found: list[tuple[str, str]], entry: Entry | None) -> dict[str, Any]:
    """A rule's descriptor; ``found``: its findings' (severity, origin), head and absent ones."""
    level = min((severity for severity, _ in found), key=SEVERITIES.index)
    doc = entry.doc if entry else rule_id
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": doc.splitlines()[0]},
        "fullDescription": {"text": doc},
        "help": {"text": (entry.section("fix") if entry else "") or doc},
        "defaultConfiguration": {"level": LEVELS[level]},
        "properties": {"origin": found[0][1]},
    }
    if entry:
        descriptor["properties"]["scope"] = entry.scope
    return descriptor


_PROPERTIES = ("trial_ids", "record_files", "sources", "origin", "field", "evidence")


def _result(item: Finding, index: int, base: str, lines: Lines) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": item.rule,
        "ruleIndex": index,
        "level": LEVELS[item.severity],
        "message": {"text": item.message},
        "locations": [_location(item, name, base, lines) for name in _located_files(item)],
        "partialFingerprints": {FINGERPRINT_KEY: item.fingerprint},
        "properties": {name: getattr(item, name) for name in _PROPERTIES},
    }
    if item.waived:
        reason = item.waived.get("reason") if isinstance(item.waived, dict) else None
        result["suppressions"] = [{"kind": "external", "justification": str(reason or "waived")}]
    return result


def _absent(found: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A fixed finding of the base (its JSON in findings.json): no location, nothing to fix."""
    return {
        "ruleId": found["rule"],
        "ruleIndex": index,
        "kind": "pass",
        "level": "none",
        "baselineState": "absent",
        "message": {"text": f"fixed: {found['message']}"},
        "partialFingerprints": {FINGERPRINT_KEY: found["fingerprint"]},
        "properties": {"severity": found["severity"]} | {n: found.get(n) for n in _PROPERTIES},
    }


class Carried(NamedTuple):
    """What a log carries: head findings and fixed ones (their JSON), in the audit's order,
    and how many of either are left out."""

    findings: list[Finding]
    absent: list[Mapping[str, Any]]
    left_out: int


def carried(
    result: AuditResult, verdict: Mapping[str, Any] | None = None, limit: int = MAX_RESULTS
) -> Carried:
    """At most ``limit`` of the findings and, from the gate, the fixed ones: new findings
    first, then fixed ones, then the unwaived by severity, then the waived."""
    absent = list((verdict or {}).get("fixed_findings") or [])
    if len(result.findings) + len(absent) <= limit:
        return Carried(result.findings, absent, 0)
    new = _new(verdict)
    ranks = [_rank(item, new) for item in result.findings]
    ranks += [1] * len(absent)  # fixed: after the new, before the unchanged
    chosen = sorted(sorted(range(len(ranks)), key=ranks.__getitem__)[:limit])
    head = len(result.findings)
    return Carried(
        [result.findings[i] for i in chosen if i < head],
        [absent[i - head] for i in chosen if i >= head],
        len(ranks) - limit,
    )


def _rank(item: Finding, new: Collection[str]) -> int:
    if item.fingerprint in new:
        return 0
    return 2 + len(SEVERITIES) * bool(item.waived) + SEVERITIES.index(item.severity)


def _new(verdict: Mapping[str, Any] | None) -> Collection[str]:
    return {f["fingerprint"] for f in (verdict or {}).get("new") or []}


def render_sarif(
    result: AuditResult,
    records_uri_base: str = "records/",
    verdict: Mapping[str, Any] | None = None,
    lines: Lines | None = None,
    shown: Carried | None = None,
) -> str:
    """The audit result as a SARIF 2.1.0 log (JSON text, deterministic); ``verdict`` (the
    gate's JSON) adds each result's ``baselineState`` and the absent results; ``lines``:
    ``record_lines`` of what it carries and ``shown``: ``carried(result, verdict)``, when
    already found."""
    shown = carried(result, verdict) if shown is None else shown
    by_rule: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in result.findings:
        by_rule[item.rule].append((item.severity, item.origin))
    for found in (verdict or {}).get("fixed_findings") or []:
        by_rule[found["rule"]].append((found["severity"], found["origin"]))
    rule_ids = sorted(by_rule)
    lines = record_lines(result, findings=shown.findings) if lines is None else lines
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = [_result(f, index[f.rule], records_uri_base, lines) for f in shown.findings]
    if verdict is not None:
        new = _new(verdict)
        for item, sarif in zip(shown.findings, results, strict=True):
            sarif["baselineState"] = "new" if item.fingerprint in new else "unchanged"
        results += [_absent(found, index[found["rule"]]) for found in shown.absent]
    notes = [{"level": "error", "message": {"text": problem}} for problem in result.problems]
    if shown.left_out:
        total = len(results) + shown.left_out
        notes.append(
            {
                "level": "note",
                "message": {
                    "text": f"{shown.left_out:,} of {total:,} results are left out (code "
                    f"scanning shows {MAX_RESULTS:,} per run): new findings, fixed ones and "
                    "then the most severe are kept; findings.json has every finding."
                },
            }
        )
    run = {
        "tool": {
            "driver": {
                "name": "trial-audit",
                "version": __version__,
                "rules": [_descriptor(r, by_rule[r], result.catalogue.get(r)) for r in rule_ids],
            }
        },
        "invocations": [
            {
                "executionSuccessful": result.complete,
                "exitCode": result.exit_code,
                "toolExecutionNotifications": notes,
            }
        ],
        "results": results,
        "properties": {
            "as_of": result.as_of.isoformat(),
            "complete": result.complete,
            "record_count": len(result.record_files),
            "results_left_out": shown.left_out,
        },
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode() + "\n"
