"""The merge gate: audit the change against its base and fail on new findings.

Head and base are audited with the same ``--as-of``; findings are matched by fingerprint into
new, fixed and unchanged. The gate fails (exit 1) when a new, unwaived finding at or above the
threshold appears or a waiver has expired, and cannot decide (exit 2) when the head audit is
incomplete or the base cannot be read. It never passes on a failure of its own.

With ``--cache`` the gate starts from main's audit instead of auditing twice. ``audit run
--cache DIR`` on a clean git working tree leaves in ``DIR/gate-base.jsonl`` what it audited
(the git tree ids of ``records/`` and ``expectations/``, the code's id, ``--as-of``, the
state of the table cache) and its findings. When those match the base, the base's findings
are those; the head is the cached tables plus the record files ``git diff BASE`` and the
untracked files name (nothing else is listed or stat-ed), its checks re-run only where those
files reach (``audit.incremental``), and policy and waivers are applied afresh. Anything that
does not match runs the gate in full, and the verdict's ``mode`` says which and why.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from audit.config import Config
from audit.corpus import CacheMismatch, code_id
from audit.engine import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, AuditResult, run_audit
from audit.findings import SEVERITIES, Finding, plural
from audit.heap import without_cycle_collection
from audit.record import atomic_write


class BaseUnavailable(RuntimeError):
    """The base to compare with cannot be read; the gate cannot decide."""


@dataclass
class Verdict:
    passed: bool
    exit_code: int
    summary: str
    reasons: list[str]
    new: list[Finding] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    unchanged: int = 0
    threshold: str = "error"
    blocking: list[Finding] = field(default_factory=list)
    fixed_findings: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "full"  # "cached: …" or "full: …" with --cache: how the base was had

    @property
    def new_fingerprints(self) -> set[str]:
        return {f.fingerprint for f in self.new}

    def to_json(self) -> dict[str, Any]:
        """gate.json; ``blocking`` (the new findings that fail the gate) names each one's rule,
        trials, message and fingerprint for a banner; ``fixed_findings`` are the base's JSON of
        the fixed ones."""
        return {
            "passed": self.passed,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "reasons": self.reasons,
            "threshold": self.threshold,
            "blocking": [_blocking(f) for f in self.blocking],
            "new": [f.to_json() for f in self.new],
            "fixed": sorted(self.fixed),
            "fixed_findings": self.fixed_findings,
            "unchanged": self.unchanged,
            "mode": self.mode,
        }


def _blocking(item: Finding) -> dict[str, Any]:
    names = ("rule", "severity", "trial_ids", "message", "fingerprint", "field", "record_files")
    data = item.to_json()
    return {name: data[name] for name in names}


def _git(repo: Path, *args: str) -> bytes:
    [output] = _git_together(repo, list(args))
    return output


def _git_together(repo: Path, *commands: list[str]) -> list[bytes]:
    """The output of each git command, run side by side: those that read a registry's work
    tree take about a second each, mostly waiting on the file system."""
    runs = [
        subprocess.Popen(
            ["git", "-C", str(repo), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for args in commands
    ]
    outputs = [run.communicate() for run in runs]
    for args, run, (_, errors) in zip(commands, runs, outputs, strict=True):
        if run.returncode != 0:
            said = errors.decode(errors="replace").strip()
            raise BaseUnavailable(f"git {' '.join(args)}: {said}")
    return [output for output, _ in outputs]


def checkout_base(ref: str, paths: list[Path], into: Path) -> list[Path]:
    """Extract ``paths`` (folders of the working tree) as they are at ``ref`` into ``into``,
    without touching the working tree; returns where each folder landed."""
    top = repository_of(paths[0])
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except BaseUnavailable:
        raise BaseUnavailable(
            f"the base {ref!r} is not a commit of the git repository {top} "
            "(a branch, tag or commit; in CI, fetch it first, e.g. checkout with full history)"
        ) from None
    landed = []
    for path in paths:
        try:
            relative = path.resolve().relative_to(top.resolve()).as_posix()
        except ValueError:
            raise BaseUnavailable(f"{path} is not inside the git repository {top}") from None
        target = into / relative
        target.mkdir(parents=True, exist_ok=True)
        if _git(top, "ls-tree", "-d", commit, "--", relative).strip():
            archive = _git(top, "archive", "--format=tar", commit, "--", relative)
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(into, filter="data")
        landed.append(target)
    return landed


def baseline_findings(path: Path) -> dict[str, dict[str, Any]]:
    """A base findings.json's findings by fingerprint."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        findings = data["findings"]
        if data.get("complete") is False:
            raise BaseUnavailable(f"{path}: the baseline audit was incomplete")
        return {str(f["fingerprint"]): dict(f) for f in findings}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise BaseUnavailable(f"{path}: not a findings.json baseline ({error})") from error


def decide(head: AuditResult, base: Mapping[str, dict[str, Any]], threshold: str) -> Verdict:
    """Compare the head with the base's findings (JSON, by fingerprint)."""
    limit = SEVERITIES.index(threshold)
    head_prints = {f.fingerprint for f in head.findings}
    new = [f for f in head.findings if f.fingerprint not in base]
    blocking = [f for f in new if not f.waived and SEVERITIES.index(f.severity) <= limit]
    fixed = sorted(base.keys() - head_prints)
    reasons = []
    if not head.complete:
        reasons += [f"audit incomplete: {p}" for p in head.problems]
    if blocking:
        reasons.append(f"{plural(len(blocking), 'new finding')} at {threshold} severity or above")
    reasons += [
        f"waiver expired on {w.expires}: {w.label()} ({w.reason})" for w in head.expired_waivers
    ]
    notes = [f"waiver matches no finding: {w.label()}" for w in head.unmatched_waivers]
    if not head.complete:
        code = EXIT_INCOMPLETE
    elif blocking or head.expired_waivers:
        code = EXIT_FINDINGS
    else:
        code = EXIT_CLEAN
    summary = (
        f"{len(new)} new ({len(blocking)} blocking), {len(fixed)} fixed, "
        f"{len(head_prints & base.keys())} unchanged; "
        f"{sum(1 for f in head.findings if f.waived)} waived"
    )
    return Verdict(
        code == EXIT_CLEAN,
        code,
        summary,
        reasons + notes,
        new,
        fixed,
        len(head_prints & base.keys()),
        threshold,
        blocking,
        [base[fingerprint] for fingerprint in fixed],
    )


def run_gate(
    records: Path,
    config: Config,
    as_of: date,
    *,
    base_ref: str | None = None,
    baseline: Path | None = None,
    threshold: str = "error",
    cache: Path | None = None,
) -> tuple[AuditResult, Verdict]:
    """Audit the head, then the base: ``baseline``'s findings, or ``records`` and the
    configuration as they are at ``base_ref`` (a configuration from outside the repository,
    such as the package's defaults, is the same for both). With ``cache`` (and ``base_ref``)
    the base's findings and the head's unchanged part come from main's cache when it is the
    base's (see the module's doc); the verdict's ``mode`` says whether it was."""
    if cache is not None and base_ref is not None:
        try:
            with without_cycle_collection():  # main's findings: many acyclic objects
                plan = cached_base(records, config, as_of, base_ref, cache)
            head = run_audit(records, config, as_of, cache, changes=(plan.changes, plan.state))
            verdict = decide(head, plan.findings, threshold)
        except CacheUnusable as error:
            mode = f"full: {error}"
        except CacheMismatch as error:
            mode = f"full: {error}"
        else:
            verdict.mode = (
                f"cached: base {plan.commit[:12]} from main's audit cache in {cache}; "
                f"{plural(len(plan.changes), 'changed record file')} re-checked with what "
                "they reach"
            )
            return head, verdict
    elif cache is not None:
        mode = "full: --baseline given, the cache is not used"
    else:
        mode = "full"
    head, verdict = _full_gate(records, config, as_of, base_ref, baseline, threshold)
    verdict.mode = mode
    return head, verdict


def _full_gate(
    records: Path,
    config: Config,
    as_of: date,
    base_ref: str | None,
    baseline: Path | None,
    threshold: str,
) -> tuple[AuditResult, Verdict]:
    head = run_audit(records, config, as_of)
    if baseline is not None:
        base = baseline_findings(baseline)
    else:
        with tempfile.TemporaryDirectory(prefix="audit-base-") as folder:
            top = repository_of(records).resolve()
            versioned = config.expectations.resolve().is_relative_to(top)
            landed = checkout_base(
                str(base_ref),
                [records, *([config.expectations] if versioned else [])],
                Path(folder),
            )
            base_config = Config(landed[1], f"at {base_ref}") if versioned else config
            base_result = run_audit(landed[0], base_config, as_of)
            base = {f.fingerprint: f.to_json() for f in base_result.findings}
    return head, decide(head, base, threshold)


def repository_of(path: Path) -> Path:
    """The top of the git work tree holding ``path`` (the working directory's if it is gone)."""
    start = path if path.is_dir() else Path.cwd()
    return Path(_git(start, "rev-parse", "--show-toplevel").decode().strip())


# --- main's audit cache as the gate's base --------------------------------------------------

# In the cache folder, beside the tables and checks.json: a line of JSON saying what was
# audited, with every finding's fingerprint and where its line starts, then a line of JSON per
# finding. The gate reads only the first line and the lines of the findings the change fixed:
# parsing all of a registry's findings (112 MB at 500,000 trials) was seconds of each gate.
BASE_STATE = "gate-base.jsonl"
BASE_FORMAT = 2


class CacheUnusable(RuntimeError):
    """Main's cache does not describe the base: the gate runs in full (the message says why)."""


@dataclass
class CachedBase:
    commit: str
    state: str  # the table cache's state id
    changes: set[str]  # record files (relative to the records folder) changed since the base
    findings: Mapping[str, dict[str, Any]]  # the base's findings by fingerprint


class StoredFindings(Mapping[str, dict[str, Any]]):
    """The base's findings by fingerprint, each read from its line when asked for."""

    def __init__(self, path: Path, start: int, fingerprints: list[str], offsets: list[int]):
        self.path, self.start, self.offsets = path, start, offsets
        self.position = {fingerprint: at for at, fingerprint in enumerate(fingerprints)}

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.position

    def __iter__(self) -> Iterator[str]:
        return iter(self.position)

    def __len__(self) -> int:
        return len(self.position)

    def __getitem__(self, fingerprint: str) -> dict[str, Any]:
        at = self.position[fingerprint]
        try:
            with self.path.open("rb") as stream:
                stream.seek(self.start + self.offsets[at])
                line = stream.read(self.offsets[at + 1] - self.offsets[at])
        except OSError as error:
            raise CacheUnusable(f"{self.path} cannot be read ({error})") from None
        try:
            found = orjson.loads(line)
        except orjson.JSONDecodeError:
            found = None
        if not isinstance(found, dict) or found.get("fingerprint") != fingerprint:
            raise CacheUnusable(f"{self.path} is damaged (finding {fingerprint} is not in place)")
        return found


def _tree(top: Path, commit: str, relative: str) -> str | None:
    """The git tree id of a folder at a commit (None when it has none)."""
    run = subprocess.run(
        ["git", "-C", str(top), "rev-parse", "--verify", "--quiet", f"{commit}:{relative}"],
        capture_output=True,
        check=False,
    )
    return run.stdout.decode().strip() or None if run.returncode == 0 else None


def _relative(path: Path, top: Path) -> str | None:
    try:
        relative = path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    return "" if relative == "." else relative


def _folders(records: Path, config: Config) -> tuple[Path, str, str | None]:
    """The repository's top, and the records and expectations folders relative to it (None:
    the expectations are not in the repository, e.g. the package's defaults)."""
    top = repository_of(records)
    relative = _relative(records, top)
    if relative is None:
        raise CacheUnusable(f"{records} is not inside the git repository {top}")
    return top, relative, _relative(config.expectations, top)


def remember_base(result: AuditResult, cache: Path, config: Config) -> str:
    """After ``audit run --cache``: keep in the cache what the merge gate needs to start from
    this audit (see the module's doc), when its records and expectations are exactly a
    commit's; else remove any earlier such state. Says which, for the console."""
    path = cache / BASE_STATE
    path.unlink(missing_ok=True)
    records = result.records_dir
    if records is None or not result.cache_state:
        return "gate base: not kept (no table cache state)"
    if not result.complete:
        return "gate base: not kept (the audit is incomplete)"
    try:
        top, relative, expectations = _folders(records, config)
        paths = [relative or ".", *([expectations or "."] if expectations is not None else [])]
        dirty = _git(
            top, "status", "--porcelain", "-z", "--untracked-files=all", "--ignored", "--", *paths
        )
        if dirty.strip(b"\0"):
            return "gate base: not kept (records or expectations differ from the commit)"
        commit = _git(top, "rev-parse", "--verify", "HEAD^{commit}").decode().strip()
    except (BaseUnavailable, CacheUnusable) as error:
        return f"gate base: not kept ({error})"
    tree = _tree(top, commit, relative)
    expectations_tree = _tree(top, commit, expectations) if expectations is not None else None
    if tree is None or (expectations is not None and expectations_tree is None):
        return "gate base: not kept (records or expectations are not committed)"
    lines = [orjson.dumps(f.to_json(), option=orjson.OPT_APPEND_NEWLINE) for f in result.findings]
    state = {
        "format": BASE_FORMAT,
        "code": code_id(),
        "state": result.cache_state,
        "as_of": result.as_of.isoformat(),
        "commit": commit,
        "records": {"path": relative, "tree": tree},
        "expectations": {
            "path": expectations,
            "tree": expectations_tree,
            "sha256": config.digest(),
        },
        "fingerprints": [f.fingerprint for f in result.findings],
        "offsets": [0, *accumulate(len(line) for line in lines)],
    }
    atomic_write(path, b"".join([orjson.dumps(state, option=orjson.OPT_APPEND_NEWLINE), *lines]))
    return f"gate base: kept for commit {commit[:12]} in {path}"


def cached_base(
    records: Path, config: Config, as_of: date, base_ref: str, cache: Path
) -> CachedBase:
    """Main's cached audit as the base ``base_ref``, and the record files changed since, or
    ``CacheUnusable`` saying why not (``BaseUnavailable`` when the ref is no commit)."""
    path = cache / BASE_STATE
    try:
        with path.open("rb") as stream:
            state, start = orjson.loads(stream.readline()), stream.tell()
            size = stream.seek(0, 2)
    except FileNotFoundError:
        raise CacheUnusable(f"no audit of main in the cache ({path} is missing)") from None
    except (OSError, orjson.JSONDecodeError) as error:
        raise CacheUnusable(f"{path} cannot be read ({error})") from None
    if not isinstance(state, dict) or state.get("format") != BASE_FORMAT:
        raise CacheUnusable(f"{path} is of another format")
    if state.get("code") != code_id():
        raise CacheUnusable("the cache was written by another version of the tool")
    if state.get("as_of") != as_of.isoformat():
        raise CacheUnusable(
            f"the cache was audited as of {state.get('as_of')}, the gate runs as of {as_of}"
        )
    top, relative, expectations = _folders(records, config)
    commit = _commit(top, base_ref)
    if state["records"]["path"] != relative:
        raise CacheUnusable(f"the cache audited another records folder ({state['records']})")
    if _tree(top, commit, relative) != state["records"]["tree"]:
        raise CacheUnusable(f"the cache's records are not those of the base {base_ref}")
    saved = state["expectations"]
    if saved["path"] != expectations:
        raise CacheUnusable("the cache was audited with another expectations folder")
    if expectations is None:
        if saved["sha256"] != config.digest():
            raise CacheUnusable("the cache was audited with other expectations")
    elif _tree(top, commit, expectations) != saved["tree"]:
        raise CacheUnusable(f"the cache's expectations are not those of the base {base_ref}")
    pathspec = relative or "."
    names = b"".join(
        _git_together(
            top,
            ["diff", "--name-only", "--no-renames", "-z", commit, "--", pathspec],
            ["ls-files", "--others", "-z", "--", pathspec],
        )
    )
    prefix = f"{relative}/" if relative else ""
    changes = {
        name.removeprefix(prefix)
        for name in names.decode("utf-8", errors="surrogateescape").split("\0")
        if name
    }
    fingerprints, offsets = state["fingerprints"], state["offsets"]
    if len(offsets) != len(fingerprints) + 1 or start + offsets[-1] != size:
        raise CacheUnusable(f"{path} is damaged (its findings are not all there)")
    findings = StoredFindings(path, start, fingerprints, offsets)
    return CachedBase(commit, str(state["state"]), changes, findings)


def _commit(top: Path, ref: str) -> str:
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except BaseUnavailable:
        raise BaseUnavailable(
            f"the base {ref!r} is not a commit of the git repository {top} "
            "(a branch, tag or commit; in CI, fetch it first, e.g. checkout with full history)"
        ) from None
