"""The pre-commit hook (``.pre-commit-hooks.yaml``, ``audit check``), run as pre-commit runs it:
in a git repository of records, on the staged files its ``files`` pattern selects, from the
repository's root."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
[HOOK] = [hook for hook in HOOKS if hook["id"] == "trial-audit"]
BIN = Path(sys.executable).parent  # where pip put the `audit` command


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def run_hook(repo: Path) -> subprocess.CompletedProcess[str]:
    """What ``pre-commit run`` does for this hook: the staged files its pattern selects,
    appended to its entry, run from the repository's root."""
    staged = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR").split()
    files = [f for f in staged if re.search(HOOK["files"], f) and f.endswith(".json")]
    if not files:
        return subprocess.CompletedProcess([], 0, "", "")
    environment = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    command = shlex.split(HOOK["entry"]) + list(HOOK.get("args", [])) + files
    return subprocess.run(
        command, cwd=repo, capture_output=True, text=True, env=environment, check=False
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A record repository with the bundled records committed."""
    repo = tmp_path / "registry"
    shutil.copytree(ROOT / "records", repo / "records")
    git(repo, "init", "-q")
    git(repo, "add", "records")
    git(repo, "commit", "-q", "-m", "records")
    return repo


def change(path: Path, **fields) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    for name, value in fields.items():
        target = record
        *parents, last = name.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def test_the_hook_declares_a_python_hook_on_record_files():
    assert HOOK["language"] == "python"
    assert HOOK["entry"].split()[:2] == ["audit", "check"]
    assert re.search(HOOK["files"], "records/NCT04441658.veeva.json")
    assert not re.search(HOOK["files"], "docs/notes.json")
    assert not re.search(HOOK["files"], "records/README.md")


def test_a_clean_staged_record_passes_quickly(repo: Path):
    path = repo / "records" / "NCT04441658.veeva.json"
    change(path, title="A corrected title")
    git(repo, "add", str(path))
    started = time.perf_counter()
    done = run_hook(repo)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit check: 1 record file" in done.stdout
    assert "0 errors" in done.stdout
    # Only the staged file's findings: the other bundled records have warnings of their own.
    assert "NCT03943940" not in done.stdout
    assert seconds < 15  # about 2 s on an idle machine; generous for a shared one


def test_a_planted_error_fails_the_commit(repo: Path):
    path = repo / "records" / "NCT04441658.veeva.json"
    change(path, enrollment__count=-1)
    git(repo, "add", str(path))
    done = run_hook(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"NCT04441658\.veeva\.json: error \[schema-range\] .*-1", done.stdout)
    assert "1 error" in done.stdout


def test_an_unparsable_staged_record_fails(repo: Path):
    path = repo / "records" / "NCT04441658.veeva.json"
    path.write_text('{"trial_id": "NCT04441658",', encoding="utf-8")
    git(repo, "add", str(path))
    done = run_hook(repo)
    assert done.returncode == 1
    assert "[record-unreadable]" in done.stdout


def test_the_trials_other_records_are_read_from_the_folder(repo: Path):
    """A staged record whose trial has another, committed record: the trial rules compare
    the two (source-conflict names both) though only one is staged."""
    committed = repo / "records" / "NCT04216849.ctgov-classic.json"
    record = json.loads(committed.read_text(encoding="utf-8"))
    record.update(source="ctgov-api", overall_status="COMPLETED")
    record["enrollment"]["count"] = (record["enrollment"].get("count") or 10) * 3
    new = repo / "records" / "NCT04216849.ctgov-api.json"
    new.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    git(repo, "add", str(new))
    done = run_hook(repo)
    conflicts = [line for line in done.stdout.splitlines() if "[source-conflict]" in line]
    assert conflicts, done.stdout
    assert all("NCT04216849.ctgov-classic.json" in line for line in conflicts)
    # The committed record's own findings are not the commit's business.
    assert "NCT04216849.ctgov-classic.json: warning [stale-unknown-status]" not in done.stdout


def test_nothing_staged_under_records_runs_nothing(repo: Path):
    (repo / "notes.json").write_text("{}\n", encoding="utf-8")
    git(repo, "add", "notes.json")
    assert run_hook(repo).args == []
