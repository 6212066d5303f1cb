"""SARIF 2.1.0 (``findings.sarif``) for code-scanning tools: one result per finding.

Each result points at the line where the finding's field is in each of its record files (the
first ``MAX_LOCATIONS``; ``properties.record_files`` lists them all). Record files
are written with sorted keys and a 2-space indent (``audit.record.dumps``), so a field's line is
found by walking the indentation; anything unexpected falls back to line 1. The finding's own
fingerprint is the partial fingerprint, so alerts stay matched across runs and renamed files.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from audit import __version__
from audit.catalogue import Entry
from audit.engine import AuditResult
from audit.fields import STUDY_COLUMNS
from audit.findings import SEVERITIES, Finding

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "trialAudit/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# Study-table columns -> record paths; "dates" names the date-order check's three dates.
_STUDY_PATHS: dict[str, tuple[str, ...]] = {
    **{column.name: column.path for column in STUDY_COLUMNS},
    "dates": ("start_date",),
}
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def record_path(field: str | None) -> list[str | int]:
    """A finding's field as a path into the record: ``people[0].email`` -> people, 0, email;
    ``studies.enrollment_count`` -> enrollment, count; ``enrollment.count`` stays as it is."""
    if not field or field.startswith("("):
        return []
    path: list[str | int] = [
        int(index) if index else int(name) if name.isdigit() else name
        for name, index in _SEGMENT.findall(field.split(",")[0])
    ]
    if path[:1] == ["identifiers"]:
        return ["trial_id"]
    if path[:1] == ["studies"]:
        path = path[1:]
    if len(path) == 1 and path[0] in _STUDY_PATHS:
        return list(_STUDY_PATHS[str(path[0])])
    return path


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
    for number in range(start + 1, len(lines)):
        text = lines[number]
        depth = len(text) - len(text.lstrip(" "))
        if depth < indent:
            return None  # the container closed
        if depth > indent:
            continue
        body = text[indent:]
        if key is not None and body.startswith(key):
            return number
        if key is None and not body.startswith(("}", "]")):
            items += 1
            if items == step:
                return number
    return None


Lines = dict[tuple[str, str | None], int]
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


def record_lines(result: AuditResult) -> Lines:
    """The line of each (record file, field) the findings name, reading each file once, in
    name order (a registry-sized audit names hundreds of thousands of files)."""
    fields: dict[str, set[str | None]] = defaultdict(set)
    for item in result.findings:
        if item.rule != "record-unreadable":
            for name in _located_files(item):
                fields[name].add(item.field)
    located: Lines = {}
    folder = Path(result.records_dir) if result.records_dir is not None else None
    for name in sorted(fields):
        lines = _read_lines(folder, name)
        for field in fields[name]:
            located[name, field] = find_line(lines, record_path(field))
    return located


def _line(item: Finding, name: str, lines: Lines) -> int:
    if item.rule == "record-unreadable":
        match = re.search(r"at line (\d+)", str(item.evidence.get("reason", "")))
        return int(match.group(1)) if match else 1
    return lines.get((name, item.field), 1)


def _location(item: Finding, name: str, base: str, lines: Lines) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": base + quote(name, safe="/")},
            "region": {"startLine": _line(item, name, lines)},
        }
    }


def _descriptor(rule_id: str, findings: list[Finding], entry: Entry | None) -> dict[str, Any]:
    level = min((f.severity for f in findings), key=SEVERITIES.index)
    doc = entry.doc if entry else rule_id
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": doc.splitlines()[0]},
        "fullDescription": {"text": doc},
        "help": {"text": (entry.section("fix") if entry else "") or doc},
        "defaultConfiguration": {"level": LEVELS[level]},
        "properties": {"origin": findings[0].origin},
    }
    if entry:
        descriptor["properties"]["scope"] = entry.scope
    return descriptor


def _result(item: Finding, index: int, base: str, lines: Lines) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": item.rule,
        "ruleIndex": index,
        "level": LEVELS[item.severity],
        "message": {"text": item.message},
        "locations": [_location(item, name, base, lines) for name in _located_files(item)],
        "partialFingerprints": {FINGERPRINT_KEY: item.fingerprint},
        "properties": {
            "trial_ids": list(item.trial_ids),
            "record_files": list(item.record_files),
            "sources": list(item.sources),
            "origin": item.origin,
            "field": item.field,
            "evidence": item.evidence,
        },
    }
    if item.waived:
        reason = item.waived.get("reason") if isinstance(item.waived, dict) else None
        result["suppressions"] = [{"kind": "external", "justification": str(reason or "waived")}]
    return result


def render_sarif(result: AuditResult, records_uri_base: str = "records/") -> str:
    """The audit result as a SARIF 2.1.0 log (JSON text, deterministic)."""
    by_rule: dict[str, list[Finding]] = {}
    for item in result.findings:
        by_rule.setdefault(item.rule, []).append(item)
    rule_ids = sorted(by_rule)
    lines = record_lines(result)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
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
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": problem}} for problem in result.problems
                ],
            }
        ],
        "results": [_result(f, index[f.rule], records_uri_base, lines) for f in result.findings],
        "properties": {
            "as_of": result.as_of.isoformat(),
            "complete": result.complete,
            "record_count": len(result.record_files),
        },
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode() + "\n"
