"""Load ``records/`` into tables, streaming, with an incremental cache keyed by file content.

Records are turned into table rows one at a time and then dropped, so memory holds tables,
not half a million dicts. With a cache folder, each record file's rows are kept in Parquet
(one file per table) under the file's git blob id (``sha1("blob <size>\\0" + content)``, the id
``git hash-object`` prints): a later run re-reads only files whose size or mtime changed, and
re-parses only those whose blob id changed. The tables of a warm run equal a cold run's, row
for row, so every check gives identical findings.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from audit import __version__
from audit.findings import Finding, finding
from audit.load import (
    RecordError,
    parse_record,
    read_record_bytes,
    record_files,
    structure_problems,
)
from audit.progress import Progress
from audit.record import SCHEMA_PATH, atomic_write
from audit.tables import TABLE_NAMES, TableBuilder, Tables, typed


@dataclass
class Corpus:
    tables: Tables
    files: list[str]
    findings: list[Finding] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    reused: int = 0


def blob_id(data: bytes) -> str:
    """Git's blob id of a file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _unreadable(name: str, reason: str) -> Finding:
    return finding(
        "record-unreadable",
        "input",
        "error",
        f"{name}: {reason}",
        record_files=[name],
        key=name,
        evidence={"reason": reason},
    )


def record_findings(name: str, record: dict[str, Any]) -> list[Finding]:
    """The structure findings of one readable record."""
    trial_id = record.get("trial_id") if isinstance(record.get("trial_id"), str) else None
    source = record.get("source") if isinstance(record.get("source"), str) else None
    return [
        finding(
            "record-structure",
            "schema",
            "error",
            f"{name}: {where}: {message}",
            trial_ids=[trial_id] if trial_id else [],
            record_files=[name],
            sources=[source] if source else [],
            field=where,
            key=message,
            evidence={"problem": message},
        )
        for where, message in structure_problems(record)
    ]


def cache_entry(path: Path, data: bytes, findings: list[Finding]) -> dict[str, Any]:
    """What the cache keeps of one parsed file: its stat, blob id and findings."""
    stat = path.stat()
    return {
        "stat": [stat.st_size, stat.st_mtime_ns],
        "blob": blob_id(data),
        "findings": [asdict(f) for f in findings],
    }


class TableCache:
    """Parquet tables plus an index of (size, mtime, blob id, findings) per record file."""

    def __init__(self, folder: Path, root: Path):
        self.folder = folder
        self.stamp = {
            "tool": __version__,
            "root": str(root.resolve()),
            "schema": blob_id(SCHEMA_PATH.read_bytes()),
        }
        self.index: dict[str, dict[str, Any]] = {}
        index = folder / "index.json"
        if index.exists():
            try:
                saved = orjson.loads(index.read_bytes())
                if saved.get("stamp") == self.stamp:
                    self.index = saved["files"]
            except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
                self.index = {}

    def unchanged(self, name: str, path: Path) -> bool:
        """Is the file as cached? Reads it only when its size or mtime moved."""
        entry = self.index.get(name)
        if entry is None or path.is_symlink():
            return False
        stat = path.stat()
        if [stat.st_size, stat.st_mtime_ns] == entry["stat"]:
            return True
        if blob_id(path.read_bytes()) == entry["blob"]:
            entry["stat"] = [stat.st_size, stat.st_mtime_ns]
            return True
        return False

    def cached_rows(self, keep: set[str]) -> dict[str, pd.DataFrame]:
        frames = {}
        for name in TABLE_NAMES:
            path = self.folder / f"{name}.parquet"
            frame = pd.read_parquet(path) if path.exists() and keep else None
            frames[name] = (
                typed(frame[frame["record_file"].isin(keep)]) if frame is not None else None
            )
        return frames

    def findings(self, name: str) -> list[Finding]:
        return [
            Finding(
                **{
                    **item,
                    "trial_ids": tuple(item["trial_ids"]),
                    "record_files": tuple(item["record_files"]),
                    "sources": tuple(item["sources"]),
                }
            )
            for item in self.index[name]["findings"]
        ]

    def save(self, tables: Tables, files: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = set(files)
        self.index = {name: entry for name, entry in self.index.items() if name in kept}
        for name, frame in tables.items():
            temporary = self.folder / f".{name}.parquet.tmp"
            try:
                frame.to_parquet(temporary, index=False)
                temporary.replace(self.folder / f"{name}.parquet")
            finally:
                temporary.unlink(missing_ok=True)
        atomic_write(
            self.folder / "index.json", json.dumps({"stamp": self.stamp, "files": self.index})
        )


PARALLEL_FROM = 20000  # files; below this, starting worker processes costs more than it saves


@dataclass
class _Parsed:
    """What parsing some record files gave: table rows, and per file its findings."""

    frames: dict[str, pd.DataFrame]
    readable: list[str]
    findings: list[Finding]
    unreadable: list[str]
    entries: dict[str, dict[str, Any]]


def _parse_files(root: Path, names: list[str], remember: bool) -> _Parsed:
    builder = TableBuilder()
    parsed = _Parsed({}, [], [], [], {})
    progress = Progress("loading records", len(names))
    for name in names:
        progress.advance()
        path = root / name
        try:
            data = read_record_bytes(path)
            record = parse_record(path, data)
        except RecordError as error:
            parsed.unreadable.append(name)
            parsed.findings.append(_unreadable(name, str(error)))
            continue
        found = record_findings(name, record)
        parsed.readable.append(name)
        parsed.findings += found
        builder.add(name, record)
        if remember:
            parsed.entries[name] = cache_entry(path, data, found)
    progress.close()
    parsed.frames = builder.frames()
    return parsed


def _parse_all(root: Path, names: list[str], remember: bool) -> _Parsed:
    """Parse files, split over the machine's cores when there are many (contiguous chunks,
    so the rows stay in file order)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(names) < PARALLEL_FROM or workers < 2:
        return _parse_files(root, names, remember)
    size = -(-len(names) // workers)
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    with ProcessPoolExecutor(len(chunks)) as pool:
        parts = list(pool.map(_parse_files, [root] * len(chunks), chunks, [remember] * len(chunks)))
    return _Parsed(
        {
            name: pd.concat([p.frames[name] for p in parts], ignore_index=True)
            for name in TABLE_NAMES
        },
        [n for p in parts for n in p.readable],
        [f for p in parts for f in p.findings],
        [n for p in parts for n in p.unreadable],
        {k: v for p in parts for k, v in p.entries.items()},
    )


def load_corpus(root: Path, cache_folder: Path | None = None) -> Corpus:
    """Tables of every readable record under ``root``, and findings for the rest."""
    if not root.is_dir():
        problem = finding(
            "record-unreadable",
            "input",
            "error",
            f"records folder {root} does not exist",
            record_files=[str(root)],
        )
        return Corpus(Tables(**TableBuilder().frames()), [], [problem], [str(root)])
    cache = TableCache(cache_folder, root) if cache_folder else None
    names = [path.relative_to(root).as_posix() for path in record_files(root)]
    reused = {n for n in names if cache and cache.unchanged(n, root / n)}
    parsed = _parse_all(root, [n for n in names if n not in reused], cache is not None)
    readable = reused | set(parsed.readable)
    files = [n for n in names if n in readable]
    findings = [f for n in names if n in reused for f in cache.findings(n)] if cache else []
    fresh = parsed.frames
    if reused:
        order = {name: position for position, name in enumerate(files)}
        old = cache.cached_rows(reused)
        fresh = {name: _in_file_order(old[name], fresh[name], order) for name in TABLE_NAMES}
    tables = Tables(**fresh)
    if cache and (parsed.entries or set(cache.index) != set(files)):
        cache.index.update(parsed.entries)
        cache.save(tables, files)
    return Corpus(tables, files, findings + parsed.findings, parsed.unreadable, len(reused))


def _in_file_order(
    old: pd.DataFrame | None, new: pd.DataFrame, order: dict[str, int]
) -> pd.DataFrame:
    """Cached and fresh rows together, ordered as a cold run orders them (by file, then as
    each record lists them)."""
    frame = new if old is None else pd.concat([old, new], ignore_index=True)
    position = frame["record_file"].map(order)
    return frame.iloc[position.argsort(kind="stable")].reset_index(drop=True)
