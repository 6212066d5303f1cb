"""The merge gate: audit the change against its base and fail on new findings.

Head and base are audited with the same ``--as-of``; findings are matched by fingerprint into
new, fixed and unchanged. The gate fails (exit 1) when a new, unwaived finding at or above the
threshold appears or a waiver has expired, and cannot decide (exit 2) when the head audit is
incomplete or the base cannot be read. It never passes on a failure of its own.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from audit.config import Config
from audit.engine import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, AuditResult, run_audit
from audit.findings import SEVERITIES, Finding


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

    @property
    def new_fingerprints(self) -> set[str]:
        return {f.fingerprint for f in self.new}

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "reasons": self.reasons,
            "threshold": self.threshold,
            "new": [f.to_json() for f in self.new],
            "fixed": sorted(self.fixed),
            "unchanged": self.unchanged,
        }


def _git(repo: Path, *args: str) -> bytes:
    run = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    if run.returncode != 0:
        raise BaseUnavailable(
            f"git {' '.join(args)}: {run.stderr.decode(errors='replace').strip()}"
        )
    return run.stdout


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


def baseline_fingerprints(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        findings = data["findings"]
        if data.get("complete") is False:
            raise BaseUnavailable(f"{path}: the baseline audit was incomplete")
        return {str(f["fingerprint"]) for f in findings}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise BaseUnavailable(f"{path}: not a findings.json baseline ({error})") from error


def decide(head: AuditResult, base: set[str], threshold: str) -> Verdict:
    limit = SEVERITIES.index(threshold)
    head_prints = {f.fingerprint for f in head.findings}
    new = [f for f in head.findings if f.fingerprint not in base]
    blocking = [f for f in new if not f.waived and SEVERITIES.index(f.severity) <= limit]
    fixed = sorted(base - head_prints)
    reasons = []
    if not head.complete:
        reasons += [f"audit incomplete: {p}" for p in head.problems]
    if blocking:
        word = "finding" if len(blocking) == 1 else "findings"
        reasons.append(f"{len(blocking)} new {word} at {threshold} severity or above")
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
        f"{len(head_prints & base)} unchanged; "
        f"{sum(1 for f in head.findings if f.waived)} waived"
    )
    return Verdict(
        code == EXIT_CLEAN,
        code,
        summary,
        reasons + notes,
        new,
        fixed,
        len(head_prints & base),
        threshold,
    )


def run_gate(
    records: Path,
    config: Config,
    as_of: date,
    *,
    base_ref: str | None = None,
    baseline: Path | None = None,
    threshold: str = "error",
) -> tuple[AuditResult, Verdict]:
    """Audit the head, then the base: ``baseline``'s findings, or ``records`` and the
    configuration as they are at ``base_ref`` (a configuration from outside the repository,
    such as the package's defaults, is the same for both)."""
    head = run_audit(records, config, as_of)
    if baseline is not None:
        base = baseline_fingerprints(baseline)
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
            base = {f.fingerprint for f in base_result.findings}
    return head, decide(head, base, threshold)


def repository_of(path: Path) -> Path:
    """The top of the git work tree holding ``path`` (the working directory's if it is gone)."""
    start = path if path.is_dir() else Path.cwd()
    return Path(_git(start, "rev-parse", "--show-toplevel").decode().strip())
