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
import errno
import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

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
    for relative in scan_records(root)["name"]:
        yield root / relative


def scan_records(root: Path) -> pd.DataFrame:
    """The files ``record_files`` yields: ``name`` (relative to ``root``, POSIX form),
    ``size`` and ``mtime`` (ns; -1 for a symbolic link). One directory scan without
    ``pathlib``: a registry-sized ``records/`` holds 600,000 files."""
    found: list[tuple[str, int, int]] = []
    folders = [("", str(root))]
    nested = False
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                relative = prefix + entry.name
                if entry.is_symlink():
                    found.append((relative, -1, -1))
                    continue
                if entry.is_dir():
                    folders.append((relative + "/", entry.path))
                    nested = True
                if entry.name.lower().endswith(".json"):
                    stat = entry.stat(follow_symlinks=False)
                    found.append((relative, stat.st_size, stat.st_mtime_ns))
    # Sorted by path parts, as pathlib sorts paths ("a/b" before "a-b").
    found.sort(key=(lambda item: item[0].split("/")) if nested else None)
    return pd.DataFrame(found, columns=["name", "size", "mtime"]).astype(
        {"name": object, "size": "int64", "mtime": "int64"}
    )


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
    try:
        # O_NOFOLLOW refuses a symbolic link in the same call that opens the file.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno == errno.ELOOP or path.is_symlink():
            raise RecordError(
                "is a symbolic link; records must be regular files in the repository"
            ) from error
        raise RecordError(f"cannot read file ({error.strerror or error})") from error
    try:
        size = os.fstat(descriptor).st_size
        if size > MAX_RECORD_BYTES:
            raise RecordError(f"file is {size:,} bytes, over the {MAX_RECORD_BYTES:,} byte limit")
        chunks = []
        while chunk := os.read(descriptor, max(size, 1 << 16)):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise RecordError(f"cannot read file ({error.strerror or error})") from error
    finally:
        os.close(descriptor)


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


def _shape(value: Any) -> tuple[int, int, bool]:
    """How many object keys a parsed JSON value holds at any depth, how deep it nests, and
    whether a number in it is beyond 2**53 in size (one walk for all three: this runs on
    every record)."""
    keys, deepest, huge = 0, 0, False
    stack = [(value, 1)] if type(value) in (dict, list) else []
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        if type(item) is dict:
            keys += len(item)
            item = item.values()
        for child in item:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif (kind is int or kind is float) and not -MAX_INTEGER <= child <= MAX_INTEGER:
                huge = True
    return keys, deepest, huge


def _fast_parse(data: bytes) -> tuple[Any, int]:
    """orjson's parse when it is certainly right: no error, no number beyond 2**53 (orjson
    turns integers beyond 64 bits into floats; the strict parser names the number), and as
    many keys parsed as the text has key tokens (else a key may be duplicated); None sends the
    file to the strict parser, which names the problem precisely. Also returns the nesting
    depth."""
    try:
        value = orjson.loads(data.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:
        return None, 0
    keys, depth, huge = _shape(value)
    if huge:
        return None, 0
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
    problems: list[tuple[str, str]] = []
    if validator().is_valid(record):
        return problems
    for error in validator().iter_errors(record):
        kind = type(error.kind).__name__
        if kind in _VALUE_KEYWORDS or (kind == "Type" and error.instance is None):
            continue
        where = ".".join(str(p) for p in error.instance_path) or "(record)"
        message = error.message if len(error.message) < 300 else error.message[:297] + "..."
        problems.append((where, message))
    return sorted(set(problems))
