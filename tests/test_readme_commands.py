"""The README's commands work as written: the two fresh-machine commands with a distribution's
own Python (PEP 668), getting the ``audit`` command, and the normalize example, which must
rebuild the committed seed records exactly as ``nox -s normalize`` does."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, require_path

README = (ROOT / "README.md").read_text(encoding="utf-8")
DEBIAN_PYTHON = Path("/usr/bin/python3")


def fresh_machine_commands() -> list[str]:
    section = README.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def readme_line(starting: str) -> str:
    return next(line for line in README.splitlines() if line.startswith(starting))


def test_the_two_commands_are_the_main_job_and_the_tests():
    main_job, tests = fresh_machine_commands()
    assert main_job.endswith("nox -s audit") and tests.endswith("nox -s tests")
    assert main_job.rsplit("nox", 1)[0] == tests.rsplit("nox", 1)[0]  # one way to get nox
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci, ".ci/run must run the README's test command"


def debian_python() -> Path:
    if DEBIAN_PYTHON.exists() and (DEBIAN_PYTHON.parent / "python3.11").exists():
        return DEBIAN_PYTHON
    return require_path(Path("/usr/bin/python3.11 (Debian's python3)"))


def test_readme_commands_with_debians_own_python(tmp_path):
    """Debian's python3 refuses ``pip install`` outside a venv; the README's commands must
    still work with it: the main job writes the report, the test command finds its session,
    and the ``audit`` command installs and runs."""
    debian_python()
    project = tmp_path / "project"
    project.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True)
    for name in archive.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file() and not (ROOT / name).is_symlink():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, project / name)
    (project / "audit" / "expectations").symlink_to("../expectations")
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    env.pop("VIRTUAL_ENV", None)

    def shell(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", command], cwd=project, env=env, capture_output=True, text=True
        )

    refused = shell("python3 -m pip install --dry-run nox")
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr

    main_job, tests = fresh_machine_commands()
    done = shell(main_job)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (project / "reports" / "index.html").exists()
    assert "Python 3.11.2" in shell(".nox/audit/bin/python --version").stdout  # Debian's
    listed = shell(tests.replace("-s tests", "--list"))
    assert listed.returncode == 0 and re.search(r"^\* tests\b", listed.stdout, re.M)

    install = readme_line("python3 -m venv .venv && .venv/bin/python -m pip install -e .")
    done = shell(install.split("#", 1)[0])
    assert done.returncode == 0, done.stderr[-2000:]
    for command in (".venv/bin/audit rules stale-unknown-status", ".venv/bin/python -m audit -h"):
        ran = shell(command)
        assert ran.returncode == 0 and ran.stdout, ran.stderr


def test_the_normalize_example_rebuilds_the_committed_seed_records(tmp_path, seeds):
    example = shlex.split(readme_line("audit normalize ../shared/seeds"))
    out = example.index("--out") + 1
    example[out] = str(tmp_path / "records")
    done = subprocess.run(
        [sys.executable, "-m", "audit", *example[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    committed = {p.name: p.read_bytes() for p in (ROOT / "records").glob("*.json")}
    rebuilt = {p.name: p.read_bytes() for p in (tmp_path / "records").glob("*.json")}
    assert rebuilt == committed
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert "--captured" not in noxfile  # nox -s normalize runs the same command
