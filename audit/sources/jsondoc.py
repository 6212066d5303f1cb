"""Reading JSON source files strictly: one document (object or array) or NDJSON, one per line.

Shared by the JSON importers (ClinicalTrials.gov API v2, ctrdata's register exports). The
reader refuses what ``json.loads`` would accept or crash on: duplicate keys, NaN and Infinity,
giant number literals and nesting too deep for Python's stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.sources import SourceError

#: Digits a JSON integer literal may have; longer ones are refused (int() of them is slow).
MAX_LITERAL_DIGITS = 40


def loads(text: str) -> Any:
    """Strict JSON: ValueError for a duplicate key, NaN or Infinity, a giant number or too
    deep nesting (all of which ``json.loads`` would accept or crash on)."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_int=_int_literal,
        )
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        duplicate = next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i]))
        raise ValueError(f"duplicate key {duplicate!r} in one JSON object")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _int_literal(digits: str) -> int:
    if len(digits) > MAX_LITERAL_DIGITS:
        raise ValueError(f"number {digits[:12]}... has {len(digits)} digits")
    return int(digits)


def is_object(line: str) -> bool:
    try:
        return isinstance(loads(line), dict)
    except ValueError:
        return False


def position(error: json.JSONDecodeError) -> str:
    return f"{error.msg} at line {error.lineno} column {error.colno} (char {error.pos})"


@dataclass(frozen=True)
class Lines:
    """An NDJSON file: each non-blank line's label ("line 3") and value."""

    items: list[tuple[str, Any]]


def ndjson(path: Path, text: str) -> list[tuple[str, Any]]:
    """("line N", value) for each non-blank line; a bad line is a SourceError naming it."""
    values = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            values.append((f"line {number}", loads(line)))
        except json.JSONDecodeError as error:
            raise SourceError(path, f"invalid JSON on line {number}: {position(error)}") from error
        except ValueError as error:
            raise SourceError(path, f"invalid JSON on line {number}: {error}") from error
    return values


def document(path: Path, text: str) -> Any:
    """The file's one JSON value, or ``Lines`` for NDJSON (a first line that is an object,
    followed by more)."""
    try:
        return loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and is_object(text.lstrip().split("\n", 1)[0]):
            return Lines(ndjson(path, text))
        raise SourceError(path, f"invalid JSON: {position(error)}") from error
    except ValueError as error:
        if _one_object_per_line(text):  # NDJSON: name the line (ndjson raises there)
            return Lines(ndjson(path, text))
        raise SourceError(path, f"invalid JSON: {error}") from error


def _one_object_per_line(text: str) -> bool:
    rows = [row.strip() for row in text.splitlines() if row.strip()]
    return len(rows) > 1 and all(row.startswith("{") and row.endswith("}") for row in rows)
