"""nox sessions: what CI and curators run. ``nox -s audit`` is the main job, ``nox -s tests``
the test suite (it installs Debian's chromium for the browser tests when it is missing)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"
PYTHON = "3.11"
SEEDS = Path("../shared/seeds")


def _install(session: nox.Session, extras: str = "") -> None:
    session.install("-e", f".{extras}")


def _ensure_chromium(session: nox.Session) -> None:
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    if os.geteuid() != 0:
        session.error("browser tests need Debian's chromium: sudo apt-get install -y chromium")
    session.run("apt-get", "update", "-qq", external=True)
    session.run("apt-get", "install", "-y", "-qq", "chromium", external=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest arguments after --)."""
    _install(session, "[test]")
    _ensure_chromium(session)
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session(python=PYTHON)
def realdata(session: nox.Session) -> None:
    """End to end on every real corpus in ../shared/data, as users run it: `audit normalize`
    and `audit run` in a subprocess from the repository root, then the report in Chromium;
    ends with a table of each corpus's records, findings, exit codes and seconds."""
    _install(session, "[test]")
    _ensure_chromium(session)
    session.run("pytest", "tests/realdata", *(session.posargs or ["-q"]))


@nox.session(python=PYTHON)
def evaluate(session: nox.Session) -> None:
    """How right the rules are on ../shared/data, measured against references this project did
    not make (duplicate-registration against DIRECCT's cross-registrations); fails when a
    figure falls below tests/evaluation/figures.json."""
    _install(session)
    check = ["--check", "tests/evaluation/figures.json"]
    session.run("python", "-m", "audit.evaluate", "--data", "../shared/data", *check)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the package, the tests and this file; zizmor over the workflows and the
    reusable action (pinned actions, least privilege, no template injection)."""
    session.install("ruff>=0.5", "zizmor>=1.20")
    session.run("ruff", "check", "audit", "tests", "noxfile.py")
    session.run("zizmor", "--offline", "--min-severity", "low", ".github/workflows", "action.yml")


@nox.session(python=PYTHON)
def normalize(session: nox.Session) -> None:
    """Rebuild records/ from the seed pages in ../shared/seeds."""
    _install(session)
    session.run("audit", "normalize", str(SEEDS), "--out", "records", *session.posargs)


@nox.session(python=PYTHON)
def audit(session: nox.Session) -> None:
    """The main job: audit records/ and write reports/ (exit 0 or 1 both mean a report)."""
    _install(session)
    args = ["--records", "records", "--out", "reports", "--cache", ".audit-cache/tables"]
    session.run("audit", "run", *args, *session.posargs, success_codes=[0, 1])


def gate_arguments(posargs: list[str], environ: dict[str, str]) -> list[str]:
    """``audit gate`` arguments: the default base (``AUDIT_BASE_REF``, else origin/main) unless
    the extra arguments name a base themselves; any other extra argument adds to it."""
    named = {argument.split("=", 1)[0] for argument in posargs}
    if named & {"--base", "--baseline"}:
        return list(posargs)
    return ["--base", environ.get("AUDIT_BASE_REF", "origin/main"), *posargs]


@nox.session(python=PYTHON)
def gate(session: nox.Session) -> None:
    """What CI runs on a pull request: fail when the change adds error findings to its base.

    The base defaults to origin/main; ``nox -s gate -- --base REF`` replaces it and other
    arguments (``-- --fail-on warning``) add to it. It starts from main's audit cache
    (``nox -s audit`` on main) when that is the base's, else runs in full and says so."""
    _install(session)
    args = ["--records", "records", "--out", "reports", "--cache", ".audit-cache/tables"]
    session.run("audit", "gate", *args, *gate_arguments(session.posargs, dict(os.environ)))


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks at 10k, 100k and 500k synthetic trials (pass other scales after --), the
    browser benchmark of a 100,000-finding report (Playwright driving Debian's chromium), and
    the merge gate with main's cache on a 10-record pull request at 100,000 trials (beside a
    cold audit of the same head; ``AUDIT_BENCH_GATE`` sets the scale, 0 skips it)."""
    _install(session, "[test]")
    _ensure_chromium(session)
    scales = session.posargs or ["10000", "100000", "500000"]
    session.run("python", "-m", "audit.bench", "--scales", *scales, "--out", "reports/bench")
    gate_trials = os.environ.get("AUDIT_BENCH_GATE", "100000")
    if gate_trials != "0":
        session.run("python", "-m", "audit.bench", "--gate", gate_trials, "--out", "reports/bench")
