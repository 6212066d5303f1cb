"""Read record files strictly: every problem becomes a clear error (``audit.corpus`` turns the
files of ``records/`` into tables and these errors into findings).

A file that cannot be read as one JSON object (bad bytes, bad JSON, duplicate keys, NaN, a
symlink, not an object) is *unreadable*: it becomes an error finding and the run is marked
incomplete, so ``audit run`` exits 2 and the gate fails closed. A readable record with a wrong
structure (wrong JSON types, unknown or missing fields) is kept and reported; checks on values
(enums, id formats, ranges, required values) belong to the pandera layer, which reports them
with row detail, so they are not repeated here.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from audit.record import validator

MAX_RECORD_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 32  # a record nests 4 levels; deeper JSON is refused before any check recurses
# JSON Schema keywords about values, checked with row detail by the pandera schemas instead.
_VALUE_KEYWORDS = {"Enum", "Pattern", "Minimum", "MinLength"}


class RecordError(ValueError):
    """Why one record file cannot be read."""


def record_files(root: Path) -> Iterator[Path]:
    """Every ``*.json`` (any case) under ``root``, sorted, and every symbolic link, which is not
    followed but reported (a linked folder would hide records); hidden files such as partial
    writes are skipped."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() == ".json" or path.is_symlink():
            yield path


def _reject_constant(name: str) -> Any:
    raise RecordError(f"{name} is not valid JSON (use null or a number)")


MAX_INTEGER = 2**53  # beyond it integers are not exact in float or JavaScript (RFC 7493)


def _integer(digits: str) -> int:
    value = int(digits) if len(digits) <= 40 else None
    if value is None or abs(value) > MAX_INTEGER:
        shown = digits if len(digits) <= 24 else f"{digits[:12]}... ({len(digits)} digits)"
        raise RecordError(f"integer {shown} is out of range (at most 2**53 in size)")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise RecordError(f"number {text[:24]} is out of range (not a finite number)")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise RecordError(f"duplicate key {key!r} in one JSON object")
        seen[key] = value
    return seen


def read_record_bytes(path: Path) -> bytes:
    """A record file's bytes; ``RecordError`` for a symlink, an oversized or unreadable file."""
    if path.is_symlink():
        raise RecordError("is a symbolic link; records must be regular files in the repository")
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise RecordError(f"file is {size:,} bytes, over the {MAX_RECORD_BYTES:,} byte limit")
        return path.read_bytes()
    except OSError as error:
        raise RecordError(f"cannot read file ({error.strerror or error})") from error


def parse_record(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """One record file as a dict, or ``RecordError`` saying what is wrong with it; ``data`` is
    the file's content when the caller has already read it with ``read_record_bytes``."""
    data = read_record_bytes(path) if data is None else data
    if not data.strip():
        raise RecordError("file is empty")
    value, depth = _fast_parse(data)
    if value is None:
        value = _strict_parse(data)
        depth = _shape(value)[1]
    if not isinstance(value, dict):
        raise RecordError(
            f"top level is a JSON {type(value).__name__}, not an object (one record per file)"
        )
    if depth > MAX_DEPTH:
        raise RecordError(f"JSON nested more than {MAX_DEPTH} levels deep")
    return value


_KEY = re.compile(rb'"\s*:')
_LONG_DIGITS = re.compile(rb"[0-9]{16}")  # a number that may be beyond 2**53


def _shape(value: Any) -> tuple[int, int]:
    """How many object keys a parsed JSON value holds at any depth, and how deep it nests
    (one walk for both: this runs on every record)."""
    keys, deepest = 0, 0
    stack = [(value, 1)] if type(value) in (dict, list) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if type(item) is dict:
            keys += len(item)
            item = item.values()
        stack.extend((child, depth + 1) for child in item if type(child) in (dict, list))
    return keys, deepest


def _fast_parse(data: bytes) -> tuple[Any, int]:
    """orjson's parse when it is certainly right: no error, no run of 16 digits (an integer
    that may be beyond 2**53; orjson even turns those beyond 64 bits into floats), and as many
    keys parsed as the text has key tokens (else a key may be duplicated); None sends the file
    to the strict parser, which names the problem precisely. Also returns the nesting depth."""
    if _LONG_DIGITS.search(data):
        return None, 0
    try:
        value = orjson.loads(data.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:
        return None, 0
    keys, depth = _shape(value)
    return (value, depth) if len(_KEY.findall(data)) == keys else (None, 0)


def _strict_parse(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecordError(
            f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from error
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_reject_constant,
            parse_int=_integer,
            parse_float=_finite,
        )
    except json.JSONDecodeError as error:
        raise RecordError(
            f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error
    except RecursionError as error:
        raise RecordError("JSON nested too deeply") from error
    return value


def structure_problems(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, message) for each structural JSON Schema violation of ``record``."""
    problems = []
    for error in validator().iter_errors(record):
        kind = type(error.kind).__name__
        if kind in _VALUE_KEYWORDS or (kind == "Type" and error.instance is None):
            continue
        where = ".".join(str(p) for p in error.instance_path) or "(record)"
        message = error.message if len(error.message) < 300 else error.message[:297] + "..."
        problems.append((where, message))
    return sorted(set(problems))
