"""Load ``records/`` into tables, streaming, with an incremental cache keyed by file content.

Records are turned into table rows one at a time and then dropped, so memory holds tables,
not half a million dicts. With a cache folder, each record file's rows are kept in Arrow
(one file per table) under the file's git blob id (``sha1("blob <size>\\0" + content)``, the id
``git hash-object`` prints): a later run re-reads only files whose size or mtime changed, and
re-parses only those whose blob id changed. The tables of a warm run equal a cold run's, row
for row, so every check gives identical findings.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from audit import __version__
from audit.findings import Finding, as_dict, finding, from_dict
from audit.heap import without_cycle_collection
from audit.kept import SUFFIX, read_frame, write_frame
from audit.load import (
    RecordError,
    parse_record,
    read_record_bytes,
    scan_records,
    structure_problems,
)
from audit.progress import Progress
from audit.record import SCHEMA_PATH, atomic_write
from audit.tables import (
    TABLE_NAMES,
    TableBuilder,
    Tables,
    among,
    only_rows,
    typed,
    without_rows,
)


@dataclass
class Change:
    """What differs from the state the table cache held before this run: the files parsed
    again (new or edited) or gone, the rows those files had then, and that state's id."""

    files: set[str]
    previous: Tables
    since: str


@dataclass
class Corpus:
    tables: Tables
    files: list[str]
    findings: list[Finding] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    reused: int = 0
    change: Change | None = None  # None: no earlier state to compare with (a cold run)
    generation: str = ""  # id of the cached state these tables are (empty without a cache)
    saving: threading.Thread | None = None  # writes the table cache; join before relying on it

    def saved(self) -> None:
        """Wait until the table cache is written."""
        if self.saving is not None:
            self.saving.join()


#: Libraries whose version can change what a check finds.
_LIBRARIES = ("pandas", "pandera", "great-expectations", "pyarrow", "rapidfuzz", "jsonschema-rs")


@cache
def code_id() -> str:
    """A digest of the audit package's source and its checking libraries' versions: what
    other code cached is not reused."""
    digest = hashlib.sha1(usedforsecurity=False)
    for library in _LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}\n".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


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


INDEX = "index.json"  # written last: a cache folder holds a state when it is there


def holds_state(folder: Path | None) -> bool:
    """Whether a run with this cache folder may start from a kept state (not a cold run)."""
    return folder is not None and (folder / INDEX).is_file()


class TableCache:
    """The tables (``audit.kept``), the files they were read from (``files.arrow``: name, size,
    mtime, git blob id) and the structure findings of those files (``index.json``)."""

    def __init__(self, folder: Path, root: Path):
        self.folder = folder
        self.root = root
        self.stamp = {
            "tool": __version__,
            "code": code_id(),
            "root": str(root.resolve()),
            "schema": blob_id(SCHEMA_PATH.read_bytes()),
        }
        self.files = pd.DataFrame({"name": [], "size": [], "mtime": [], "blob": []})
        self.findings: dict[str, list[dict[str, Any]]] = {}
        self.generation = ""
        try:
            saved = orjson.loads((folder / INDEX).read_bytes())
            if saved.get("stamp") == self.stamp:
                self.files = read_frame(folder / f"files{SUFFIX}")
                self.findings = saved["findings"]
                self.generation = str(saved["generation"])
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            self.generation = ""

    def unchanged(self, scanned: pd.DataFrame) -> set[str]:
        """The scanned files (name, size, mtime) whose content is as cached: same size and
        mtime, or else the same blob id (only those files are read)."""
        both = scanned.merge(self.files, on="name", suffixes=("", "_cached"))
        same = (both["size"] == both["size_cached"]) & (both["mtime"] == both["mtime_cached"])
        reused = set(both["name"][same])
        for name, blob in zip(both["name"][~same], both["blob"][~same], strict=True):
            try:
                if blob_id(read_record_bytes(self.root / name)) == blob:
                    reused.add(name)
            except RecordError:
                continue
        return reused

    def cached_rows(self, changed: set[str]) -> tuple[dict[str, pd.DataFrame], Tables]:
        """The cached rows of the files not ``changed`` (parsed again this run, or gone), and
        the rows the changed files had before."""
        kept, before = {}, {}
        empty = TableBuilder().frames()
        gone = pa.array(list(changed), type=pa.string())
        for name in TABLE_NAMES:
            path = self.folder / f"{name}{SUFFIX}"
            if not path.exists() or not self.generation:
                kept[name], before[name] = empty[name], empty[name]
                continue
            frame = typed(read_frame(path))
            mask = among(frame["record_file"], gone)
            kept[name] = without_rows(frame, mask)
            before[name] = only_rows(frame, mask).reset_index(drop=True)
        return kept, Tables(**before)

    def findings_of(self, names: list[str]) -> list[Finding]:
        return [from_dict(item) for name in names for item in self.findings.get(name, ())]

    def save(
        self, tables: Tables, scanned: pd.DataFrame, parsed: _Parsed, files: list[str]
    ) -> threading.Thread:
        """Keep the tables of ``files``: the reused files' entries and the parsed ones'. The
        files are written by a thread (Arrow writes them without holding the GIL, so the
        checks go on meanwhile); ``index.json``, which makes the cache valid, comes last."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / INDEX).unlink(missing_ok=True)
        self.generation = uuid.uuid4().hex
        fresh = pd.DataFrame({"name": list(parsed.blobs), "blob": list(parsed.blobs.values())})
        entries = pd.concat(
            [self.files[~self.files["name"].isin(fresh["name"])][["name", "blob"]], fresh]
        )
        entries = scanned.merge(entries, on="name")
        entries = entries[entries["name"].isin(files)].sort_values("name", ignore_index=True)
        kept = set(files)
        findings = {n: items for n, items in self.findings.items() if n in kept}
        findings.update({n: items for n, items in parsed.found.items() if items})
        self.files, self.findings = entries, findings
        state = {"stamp": self.stamp, "generation": self.generation, "findings": findings}
        frames = [*tables.items(), ("files", entries)]
        writer = threading.Thread(target=self._write, args=(frames, state), daemon=False)
        writer.start()
        return writer

    def _write(self, frames: list[tuple[str, pd.DataFrame]], state: dict[str, Any]) -> None:
        for name, frame in frames:
            write_frame(self.folder / f"{name}{SUFFIX}", frame)
        atomic_write(self.folder / INDEX, orjson.dumps(state))


PARALLEL_FROM = 20000  # files; below this, starting worker processes costs more than it saves


@dataclass
class _Parsed:
    """What parsing some record files gave: table rows, and per file its findings."""

    frames: dict[str, pd.DataFrame]
    readable: list[str]
    findings: list[Finding]
    unreadable: list[str]
    blobs: dict[str, str]  # per readable file its git blob id (kept only with a cache)
    found: dict[str, list[dict[str, Any]]]  # per readable file its findings, as dicts


def _parse_files(root: Path, names: list[str], remember: bool) -> _Parsed:
    with without_cycle_collection():
        return _parse_each(root, names, remember)


def _parse_each(root: Path, names: list[str], remember: bool) -> _Parsed:
    builder = TableBuilder()
    parsed = _Parsed({}, [], [], [], {}, {})
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
            parsed.blobs[name] = blob_id(data)
            parsed.found[name] = [as_dict(f) for f in found]
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
        {k: v for p in parts for k, v in p.blobs.items()},
        {k: v for p in parts for k, v in p.found.items()},
    )


def load_corpus(root: Path, cache_folder: Path | None = None, *, wait: bool = True) -> Corpus:
    """Tables of every readable record under ``root``, and findings for the rest. With
    ``wait`` off, the table cache may still be being written on return (``Corpus.saved``)."""
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
    scanned = scan_records(root)
    names = scanned["name"].tolist()
    reused = cache.unchanged(scanned) if cache else set()
    parsed = _parse_all(root, [n for n in names if n not in reused], cache is not None)
    readable = reused | set(parsed.readable)
    files = [n for n in names if n in readable]
    if cache is None:
        tables = Tables(**parsed.frames)
        return Corpus(tables, files, parsed.findings, parsed.unreadable)
    findings = cache.findings_of([n for n in names if n in reused])
    since = cache.generation
    changed = (set(cache.files["name"]) | set(names)) - reused
    old, previous = cache.cached_rows(changed)
    order = pd.Index(files)
    fresh = {name: _in_file_order(old[name], parsed.frames[name], order) for name in TABLE_NAMES}
    tables = Tables(**fresh)
    saving = None
    if parsed.blobs or set(cache.files["name"]) != set(files):
        saving = cache.save(tables, scanned, parsed, files)
    change = Change(changed, previous, since) if since else None
    if wait and saving is not None:
        saving.join()
    return Corpus(
        tables,
        files,
        findings + parsed.findings,
        parsed.unreadable,
        len(reused),
        change,
        cache.generation,
        saving,
    )


class CacheMismatch(RuntimeError):
    """The table cache does not hold the state a caller expects (another state, or none)."""


def _scanned(root: Path, name: str) -> bool | None:
    """Whether ``scan_records`` would list ``name`` (a path relative to ``root``, from git):
    a ``*.json`` file or a symbolic link; None when its folders are not plain folders the
    scan walks (a hidden folder, a linked one, one named ``*.json``): then only a scan says."""
    parts = name.split("/")
    if any(part.startswith(".") for part in parts):
        return False
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        if part.lower().endswith(".json") or folder.is_symlink():
            return None
    path = root / name
    if path.is_symlink():
        return True
    return path.is_file() and parts[-1].lower().endswith(".json")


def _scan_order(names: list[str]) -> list[str]:
    """Names sorted as ``scan_records`` sorts them."""
    nested = any("/" in name for name in names)
    return sorted(names, key=(lambda name: name.split("/")) if nested else None)


def load_changes(root: Path, cache_folder: Path, changed: set[str], state: str) -> Corpus:
    """The tables of ``root`` from the table cache, which must hold the state ``state``, and
    the files ``changed`` since (paths relative to ``root``, e.g. from ``git diff``; present
    files are parsed again, absent ones are gone). Unlike ``load_corpus`` no file but the
    changed ones is listed, stat-ed or read; the cache is not written. Raises
    ``CacheMismatch`` when the cache is not that state or a changed path needs a scan."""
    cache = TableCache(cache_folder, root)
    if not cache.generation or cache.generation != state:
        raise CacheMismatch(
            f"the table cache in {cache_folder} is not the state main's audit left"
            if cache.generation
            else f"no usable table cache in {cache_folder} (other code, root or schema)"
        )
    cached = cache.files["name"].tolist()
    kinds = {name: _scanned(root, name) for name in changed}
    unsure = sorted(name for name, kind in kinds.items() if kind is None)
    if unsure:
        raise CacheMismatch(f"{unsure[0]} lies under a folder only a full scan reads")
    present = _scan_order([name for name, kind in kinds.items() if kind])
    parsed = _parse_all(root, present, False)
    gone = set(cached) & set(changed)
    changes = gone | set(present)
    reused = [name for name in cached if name not in changes]
    files = _scan_order(reused + parsed.readable)
    old, previous = cache.cached_rows(changes)
    order = pd.Index(files)
    fresh = {name: _in_file_order(old[name], parsed.frames[name], order) for name in TABLE_NAMES}
    return Corpus(
        Tables(**fresh),
        files,
        cache.findings_of(reused) + parsed.findings,
        parsed.unreadable,
        len(reused),
        Change(changes, previous, state),
        state,
    )


SPLICE_AT_MOST = 1000  # changed files; more are merged by sorting every row


def _in_file_order(old: pd.DataFrame, new: pd.DataFrame, order: pd.Index) -> pd.DataFrame:
    """Cached and fresh rows together, ordered as a cold run orders them (by file, then as
    each record lists them). Both parts are in file order already, so a few fresh files are
    spliced in where they belong (found by bisection) instead of sorting every row."""
    if old.empty or new.empty:
        return (new if old.empty else old).reset_index(drop=True)
    fresh = new["record_file"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, fresh[1:] != fresh[:-1]])
    if len(starts) > SPLICE_AT_MOST:
        frame = pd.concat([old, new], ignore_index=True)
        position = order.get_indexer(frame["record_file"])
        return frame.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
    cached = old["record_file"].array
    pieces, done = [], 0
    for start, end in zip(starts, [*starts[1:], len(fresh)], strict=True):
        cut = bisect.bisect_left(cached, order.get_loc(fresh[start]), key=order.get_loc)
        pieces += [old.iloc[done:cut], new.iloc[start:end]]
        done = cut
    return pd.concat([*pieces, old.iloc[done:]], ignore_index=True)


def load_files(root: Path, names: list[str]) -> Corpus:
    """Tables of these record files of ``root`` only (read as a cold run reads them), and
    findings for those that cannot be read."""
    parsed = _parse_files(root, names, False)
    return Corpus(Tables(**parsed.frames), parsed.readable, parsed.findings, parsed.unreadable)
