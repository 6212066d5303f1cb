"""What the reports computed from the record files, kept in the cache beside the tables for
the next run over them (a warm ``audit run --cache``; the merge gate over main's cache),
keyed by the tables' state: the line of each field a finding SARIF carries names in each
record file (of every finding, when the page links lines), each shown trial's side-by-side
view of its records, and the persons (``audit.report.persons``). The next run takes over
what concerns no record file changed since and computes the rest, so the reports' cost
follows the findings and the change, not the corpus; they are byte for byte a cold run's
(``tests/test_gate_cache.py``, ``tests/test_incremental.py``). The gate only reads it: the
cache stays main's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from audit.engine import AuditResult
from audit.record import atomic_write
from audit.report.persons import Persons, from_json
from audit.report.sarif import Lines


@dataclass
class Memo:
    lines: Lines = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # trial -> record_view
    persons: Persons | None = None


def _path(folder: Path, state: str) -> Path:
    return folder / f"report-{state}.json"


def load(result: AuditResult) -> Memo:
    """The memo of the state ``result``'s change starts from, without what any record file
    changed since is in; empty for a cold run or when it is missing or damaged."""
    change = result.change
    if result.cache is None or change is None:
        return Memo()
    try:
        data = orjson.loads(_path(result.cache, change.since).read_bytes())
        changed = set(change.files)
        return Memo(
            {(f, tuple(at)): line for f, at, line in data["lines"] if f not in changed},
            {
                trial: view
                for trial, view in data["views"].items()
                if changed.isdisjoint(view["files"])
            },
            from_json(data["persons"]) if data["persons"] else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return Memo()


def save(result: AuditResult, memo: Memo) -> None:
    """Keep this run's memo for the tables' state, replacing the one of any other state (not
    from the gate, which leaves main's cache as it found it)."""
    if result.cache is None or result.cache_readonly or not result.cache_state:
        return
    path = _path(result.cache, result.cache_state)
    data = {
        "lines": [[name, list(at), line] for (name, at), line in memo.lines.items()],
        "views": memo.views,
        "persons": memo.persons.to_json() if memo.persons else None,
    }
    result.cache.mkdir(parents=True, exist_ok=True)
    atomic_write(path, orjson.dumps(data))
    for old in result.cache.glob("report-*.json"):
        if old != path:
            old.unlink(missing_ok=True)
