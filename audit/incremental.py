"""Incremental checks for ``audit run --cache``: each check re-runs only where records changed.

The table cache (``audit.corpus``) says which record files were parsed again (new or edited)
or are gone since its last state, and what rows they had then. Beside it, ``checks.json``
keeps the findings each check gave on that state. A warm run takes those findings over,
drops the ones naming an *affected* record file and re-runs the check on the affected
records only:

* pandera models and ``record`` rules judge one record at a time: the changed files;
* ``trial`` rules: every record of a trial id a changed file names, before or after the change;
* ``corpus`` rules with a ``Focus`` (contact-name-mismatch): the groups of linked entries (its
  persons) that a changed file's entries belong to, before or after the change, whole; the
  check runs on their records, and of its findings only those about these groups replace the
  cached ones (``Scope``);
* ``corpus`` rules with a ``Linkage`` (duplicate-registration): the clusters a change can
  alter, followed through the rule's links by the rule itself (``Linkage.recheck``) with
  every record's blocking keys, kept in the cache per file so that only changed files are
  keyed again and a block's size is the whole corpus's;
* ``corpus`` rules with blocking keys: every record reached from a changed file's keys (old
  and new) through records sharing keys; the keys are cached per file (for one state of the
  tables), so only changed records are keyed again;
* the GX suites (``Incremental.run_kept``): row-by-row expectations on the changed files'
  rows, now and before, with each expectation's whole-table counts and unexpected rows kept
  (``audit.validate.expectations.update_suites``); other expectations on the whole tables;
* other ``corpus`` rules (old-capture) run in full unless no record changed.

A check whose cached findings cannot be trusted (another tool version, another ``--as-of``,
a state the tables no longer have, a finding that names no record file) runs in full. The
findings equal a cold run's (``tests/test_incremental.py``; ``python -m audit.bench
--incremental N`` checks it at scale). The merge gate uses the same machinery read-only, with
the change set from git instead of a scan (``audit.gate``, ``audit.corpus.load_changes``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from audit.corpus import Corpus, code_id
from audit.findings import Finding, as_dict, from_dict
from audit.kept import SUFFIX, read_frame, write_frame
from audit.people import PERSON_KEY_COLUMNS, known_keys, learn_keys
from audit.record import atomic_write
from audit.rules import Context, Delta, Focus, Linkage
from audit.tables import Tables, among, without_rows

PERSON_KEYS = "person-keys"  # the people's name keys, kept for the code that computed them
LINK_KEYS = "link-keys"  # every record's blocking keys for a rule with a Linkage

Check = Callable[[Tables], list[Finding]]


@dataclass(frozen=True)
class Scope:
    """What a warm run re-checks for a rule with a ``Focus`` or a ``Linkage``: the check runs
    on ``files`` (or the rule gave its ``findings`` there already); of its findings and of the
    cached ones, those the re-check decides (``owns``) come from the re-check, the others
    from the cache."""

    files: set[str]
    owns: Callable[[Finding], bool]
    findings: list[Finding] | None = None


Affected = Callable[[], "set[str] | Scope | None"]


class Incremental:
    """The cached findings of every check, and what a warm run must re-check."""

    def __init__(self, folder: Path | None, corpus: Corpus, *, readonly: bool = False):
        self.folder = folder
        self.corpus = corpus
        # Read-only (the merge gate over main's cache): cached findings and keys are used,
        # nothing is written, so the cache stays main's.
        self.readonly = readonly
        self.saved: dict[str, Any] = {}
        self.kept: dict[str, Any] = {}
        self._subset: tuple[frozenset[str], Tables] | None = None
        # Per check, how many record files it re-checked (None: it ran over all of them),
        # and its wall time.
        self.rechecked: dict[str, int | None] = {}
        self.seconds: dict[str, float] = {}
        self._learn_person_keys()
        change = corpus.change
        path = folder / "checks.json" if folder else None
        if change is None or path is None or not path.exists():
            return
        try:
            saved = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if saved.get("code") == code_id() and saved.get("generation") == change.since:
            self.saved = saved.get("checks") or {}

    def run(
        self,
        name: str,
        stamp: str,
        check: Check,
        affected: Affected | None,
        prime: Callable[[], object] | None = None,
    ) -> list[Finding]:
        """Findings of one check over the corpus's tables; ``affected`` gives the record
        files to re-check (or a ``Scope``), or None when the check had better run in full (no
        ``affected``: the check always runs in full). ``prime``, when the check ran in full,
        prepares the next run (keys its blocks)."""
        with self._timed(name):
            found = self._findings(name, stamp, check, affected, prime)
        # Kept only when the check completed: a crashed check runs in full next time.
        self.kept[name] = {"stamp": stamp, "findings": [as_dict(f) for f in found]}
        return found

    def run_kept(
        self,
        name: str,
        stamp: str,
        full: Callable[[Tables], tuple[list[Finding], Any]],
        update: Callable[[Any, Tables, Tables], Callable[[], tuple[list[Finding], Any] | None]],
    ) -> Callable[[], list[Finding]]:
        """Start a check that keeps a state between runs (the GX suites' counts); the function
        returned gives its findings, so other work can go on meanwhile. ``full(tables)``
        gives its findings and state; ``update(state, changed, previous)`` starts the update
        of the state kept for the tables before a change (``changed``: the changed files'
        rows now, ``previous``: before) and returns a function giving the findings and state
        after it, or None to run in full."""
        with self._timed(name):
            prior = self.saved.get(name)
            change = self.corpus.change
            pending: Callable[[], tuple[list[Finding], Any] | None] = lambda: None  # noqa: E731
            if prior and prior["stamp"] == stamp and change is not None and "state" in prior:
                if not change.files:
                    kept = [from_dict(item) for item in prior["findings"]], prior["state"]
                    pending = lambda: kept  # noqa: E731
                else:
                    pending = update(prior["state"], self.subset(change.files), change.previous)

        def collect() -> list[Finding]:
            with self._timed(name):
                done = pending()
                self.rechecked[name] = None if done is None else len(change.files)
                found, state = done if done is not None else full(self.corpus.tables)
            kept = {"stamp": stamp, "findings": [as_dict(f) for f in found], "state": state}
            self.kept[name] = kept
            return found

        return collect

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        """Add the time spent to ``name``'s (a check kept between runs is timed in two parts:
        starting it and collecting its findings)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = self.seconds.get(name, 0.0) + time.perf_counter() - started
            self.seconds[name] = round(spent, 3)

    def _findings(
        self,
        name: str,
        stamp: str,
        check: Check,
        affected: Affected | None,
        prime: Callable[[], object] | None,
    ) -> list[Finding]:
        tables = self.corpus.tables
        prior = self.saved.get(name)
        change = self.corpus.change
        unchanged = change is not None and not change.files
        if prior is not None and prior["stamp"] == stamp and unchanged:
            self.rechecked[name] = 0
            return [from_dict(item) for item in prior["findings"]]
        usable = (
            affected is not None
            and prior is not None
            and prior["stamp"] == stamp
            and all(item["record_files"] for item in prior["findings"])
        )
        if not usable:
            self.rechecked[name] = None
            found = check(tables)
            if prime is not None and self.folder is not None and not self.readonly:
                prime()  # keys blocks for the next run
        elif (files := affected()) is None:  # the change reaches most records
            self.rechecked[name] = None
            found = check(tables)
        elif isinstance(files, Scope):
            self.rechecked[name] = len(files.files)
            before = [from_dict(item) for item in prior["findings"]]
            fresh = files.findings
            if fresh is None:
                fresh = check(self.subset(files.files)) if files.files else []
            found = [f for f in before if not files.owns(f)] + [f for f in fresh if files.owns(f)]
        else:
            self.rechecked[name] = len(files)
            kept = [
                from_dict(item)
                for item in prior["findings"]
                if files.isdisjoint(item["record_files"])
            ]
            found = kept + (check(self.subset(files)) if files else [])
        return found

    def subset(self, files: set[str]) -> Tables:
        """The tables of these files (checks of one scope ask for the same files in turn)."""
        key = frozenset(files)
        if self._subset is None or self._subset[0] != key:
            self._subset = (key, self.corpus.tables.subset(files))
        return self._subset[1]

    def changed_files(self) -> set[str]:
        change = self.corpus.change
        return set(change.files) if change else set(self.corpus.files)

    def trial_files(self) -> set[str]:
        """The changed files and every record of a trial they name, now or before."""
        change = self.corpus.change
        studies = self.corpus.tables.studies
        files = self.changed_files()
        trials = set(studies["trial_id"][studies["record_file"].isin(list(files))].dropna())
        if change is not None:
            trials |= set(change.previous.studies["trial_id"].dropna())
        linked = studies["record_file"][studies["trial_id"].isin(list(trials))]
        return files | set(linked)

    def focus_scope(self, name: str, focus: Focus) -> Scope | None:
        """The entries a change reaches by the rule's links (``Focus``), and the records they
        are in; None when that is more than half of the records, or when a cached finding
        cannot be placed."""
        change = self.corpus.change
        prior = self.saved.get(name) or {"findings": []}
        if change is None or any(focus.anchor(from_dict(f)) is None for f in prior["findings"]):
            return None
        files = self.changed_files()
        reached = focus.reach(self.corpus.tables, files, change.previous)
        chosen = files | {file for file, _ in reached}
        if len(chosen) > len(self.corpus.files) // 2:
            return None

        def owns(found: Finding) -> bool:
            at = focus.anchor(found)
            return at is None or at[0] in files or at in reached

        return Scope(chosen, owns)

    def linkage_scope(self, name: str, linkage: Linkage, ctx: Context) -> Scope | None:
        """The clusters a change can alter, re-checked by the rule (``Linkage.recheck``) with
        every record's keys: main's, kept in ``link-keys-<check>-<state>.arrow``, with the
        changed files keyed again. None (the rule runs in full) without kept keys, with a
        cached finding that names no record file, or when the clusters are most of the
        corpus."""
        change = self.corpus.change
        prior = self.saved.get(name)
        cached = self._link_keys(name, change.since) if change is not None else None
        if change is None or prior is None or cached is None:
            self.save_link_keys(name, linkage)
            return None
        files = self.changed_files()
        touched = among(cached["record_file"], files)
        fresh = linkage.keys(self.subset(files)).astype(cached.dtypes.to_dict())
        keys = pd.concat([without_rows(cached, touched), fresh], ignore_index=True)
        self._replace(f"{LINK_KEYS}-{name}", self.corpus.generation, keys)
        clusters = [set(item["record_files"]) for item in prior["findings"]]
        delta = Delta(files, change.previous, keys, cached[touched], clusters)
        rechecked = linkage.recheck(self.corpus.tables, delta, ctx)
        if rechecked is None:
            return None
        reached, findings = rechecked
        return Scope(reached, lambda found: not reached.isdisjoint(found.record_files), findings)

    def save_link_keys(self, name: str, linkage: Linkage) -> None:
        """Key every record for the next run's ``linkage_scope`` (not in a read-only run)."""
        if self.folder is not None and self.corpus.generation and not self.readonly:
            keys = linkage.keys(self.corpus.tables)
            self._replace(f"{LINK_KEYS}-{name}", self.corpus.generation, keys)

    def _link_keys(self, name: str, state: str) -> pd.DataFrame | None:
        path = self.folder / f"{LINK_KEYS}-{name}-{state}{SUFFIX}" if self.folder else None
        if path is None or not path.exists():
            return None
        try:
            keys = read_frame(path, arrow_types=True)
        except (OSError, ValueError):  # Arrow's errors for a file that is not an Arrow file
            return None
        return keys if {"record_file", "key"} <= set(keys.columns) else None

    def block_files(self, name: str, blocks: Callable[[Tables], pd.DataFrame]) -> set[str] | None:
        """The changed files and every record linked to them through shared blocking keys,
        or None when that is more than half of the records (a check over a subset that large
        costs more than over all). Keys are cached per file, for one state of the tables, in
        ``blocks-<check>-<state>.arrow``."""
        tables = self.corpus.tables
        files = self.changed_files()
        change = self.corpus.change
        # Keys are kept per state of the tables, so keys of another state are never reused.
        cached = None
        if self.folder is not None and change is not None:
            path = self.folder / f"blocks-{name}-{change.since}{SUFFIX}"
            cached = read_frame(path) if path.exists() else None
        if cached is None:
            keys = blocks(tables)
            seeds = set(keys["block"][keys["record_file"].isin(list(files))])
        else:
            touched = cached["record_file"].isin(list(files)).to_numpy(dtype=bool)
            fresh = blocks(self.subset(files)) if files else cached.iloc[:0]
            seeds = set(cached["block"][touched]) | set(fresh["block"])
            keys = pd.concat([without_rows(cached, touched), fresh], ignore_index=True)
        self._save_blocks(name, keys)
        reached = files | _reached(keys, seeds)
        return reached if len(reached) <= len(self.corpus.files) // 2 else None

    def _save_blocks(self, name: str, keys: pd.DataFrame) -> None:
        if self.corpus.generation and self.folder is not None and not self.readonly:
            self._replace(f"blocks-{name}", self.corpus.generation, keys.astype("string"))

    def _replace(self, stem: str, version: str, frame: pd.DataFrame) -> None:
        """Keep ``frame`` as ``<stem>-<version>.arrow``, and no other version of it."""
        if self.folder is None or self.readonly:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{stem}-{version}{SUFFIX}"
        write_frame(path, frame)
        for old in self.folder.glob(f"{stem}-*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)

    def _learn_person_keys(self) -> None:
        """The people's name keys computed by this code in earlier runs (``people.learn_keys``):
        only the names and addresses not seen before are keyed again. A damaged file is
        ignored: everything is keyed."""
        path = self.folder / f"{PERSON_KEYS}-{code_id()}{SUFFIX}" if self.folder else None
        if path is None or not path.exists():
            return
        try:
            known = read_frame(path)
        except (OSError, ValueError):  # Arrow's errors for a file that is not an Arrow file
            return
        if set(PERSON_KEY_COLUMNS) <= set(known.columns):
            learn_keys(known)

    def save(self) -> None:
        """Keep this run's findings for the tables' current state."""
        self.corpus.saved()
        if self.folder is None or not self.corpus.generation or self.readonly:
            return
        change = self.corpus.change
        if change is None or change.files:
            self._replace(PERSON_KEYS, code_id(), known_keys(self.corpus.tables))
        self.folder.mkdir(parents=True, exist_ok=True)
        state = {"code": code_id(), "generation": self.corpus.generation, "checks": self.kept}
        atomic_write(self.folder / "checks.json", orjson.dumps(state))


def _reached(keys: pd.DataFrame, seeds: set[str]) -> set[str]:
    """Record files reached from ``seeds`` through records sharing blocking keys."""
    block_codes, blocks = pd.factorize(keys["block"])
    file_codes, files = pd.factorize(keys["record_file"])
    seeded = blocks.get_indexer(list(seeds))
    in_block = np.zeros(len(blocks), dtype=bool)
    in_block[seeded[seeded >= 0]] = True
    in_file = np.zeros(len(files), dtype=bool)
    while True:
        rows = in_block[block_codes] & ~in_file[file_codes]
        if not rows.any():
            return set(files[in_file])
        in_file[file_codes[rows]] = True
        in_block[block_codes[in_file[file_codes]]] = True
