"""The merge gate from main's audit cache (``audit gate --cache``): on every kind of change its
verdict and findings equal a full gate's exactly, and a cache that is not the base's makes
it run in full and say so on its first line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, edit

from audit.cli import main
from audit.synth import write_corpus

AS_OF = "2026-11-22"
CACHE = ".audit-cache/tables"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def main_repo(tmp_path_factory) -> Path:
    """A git repository of 200 synthetic trials (every rule's defect injected, so every rule
    has findings) whose main branch was audited with the cache, as CI does on main."""
    repo = tmp_path_factory.mktemp("gate") / "curation"
    write_corpus(repo, 200, seed=11, rate=0.2)
    (repo / "ground_truth.json").unlink()
    shutil.copytree(ROOT / "expectations", repo / "expectations")
    (repo / ".gitignore").write_text(".audit-cache/\nreports*/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "curator@example.org")
    git(repo, "config", "user.name", "Curator")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


@pytest.fixture
def repo(main_repo, monkeypatch, capsys) -> Path:
    """The main repository on a fresh branch ``change``, main's cache in place."""
    monkeypatch.chdir(main_repo)
    git(main_repo, "checkout", "-q", "-B", "change", "main")
    git(main_repo, "reset", "-q", "--hard", "main")
    git(main_repo, "clean", "-q", "-fdx", "-e", ".audit-cache")
    if not (main_repo / CACHE / "gate-base.jsonl").exists():
        args = ["run", "--as-of", AS_OF, "--out", "reports-main", "--cache", CACHE]
        assert main(args) in (0, 1)
        assert "gate base: kept for commit" in capsys.readouterr().out
    capsys.readouterr()
    return main_repo


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def records(repo: Path) -> list[Path]:
    return sorted((repo / "records").glob("*.json"))


REPORTS = ("index.html", "findings.sarif", "junit.xml", "summary.md")


def both_gates(repo: Path, capsys, *extra: str) -> tuple[dict, dict]:
    """The cached gate and the full gate on the same change, each writing to ``reports-gate``
    (so the reports name the same folder): exit code, first output line, gate.json,
    findings.json and the text of every other report of each."""
    outcome = {}
    out = repo / "reports-gate"
    for mode, more in (("cached", ["--cache", CACHE]), ("full", [])):
        shutil.rmtree(out, ignore_errors=True)
        args = ["gate", "--base", "main", "--as-of", AS_OF, "--out", out.name, *more, *extra]
        code = main(args)
        first = capsys.readouterr().out.splitlines()[0]
        verdict = json.loads((out / "gate.json").read_text())
        findings = json.loads((out / "findings.json").read_text())
        reports = {name: (out / name).read_text() for name in REPORTS if (out / name).exists()}
        outcome[mode] = {
            "code": code,
            "first": first,
            "verdict": verdict,
            "findings": findings,
            "reports": reports,
        }
    return outcome["cached"], outcome["full"]


def assert_same(cached: dict, full: dict) -> None:
    assert cached["first"].startswith("gate: cached: base "), cached["first"]
    assert cached["verdict"].pop("mode").startswith("cached:")
    assert full["verdict"].pop("mode") == "full"
    assert cached["code"] == full["code"]
    assert cached["verdict"] == full["verdict"]
    cached_config = cached["findings"].pop("config")
    full_config = full["findings"].pop("config")
    assert cached_config["sha256"] == full_config["sha256"]
    assert cached["findings"] == full["findings"]
    assert set(cached["reports"]) == set(REPORTS)
    for name in REPORTS:  # byte for byte
        assert cached["reports"][name] == full["reports"][name], name


def _edit(repo: Path) -> None:
    files = records(repo)
    edit(files[3], lambda r: r.update(title=r["title"] + " (edited)"))
    edit(files[10], lambda r: r["enrollment"].update(count=-5))  # a new error
    edit(files[20], lambda r: r.update(overall_status="UNKNOWN", status_verified="2015-01"))


def _addition(repo: Path) -> None:
    source = records(repo)[40]
    target = repo / "records" / "NCT99999999.ctgov-api.json"
    shutil.copy(source, target)
    edit(target, lambda r: r.update(trial_id="NCT99999999", nct_id="NCT99999999"))


def _deletion(repo: Path) -> None:
    for path in records(repo)[5:60:11]:  # some with findings in the base: they are fixed
        path.unlink()


def _rename(repo: Path) -> None:
    source = records(repo)[7]
    git(repo, "mv", str(source), str(source.with_name("renamed-" + source.name)))


def _reidentified(repo: Path) -> None:
    target = next(p for p in records(repo) if p.name.endswith(".ictrp.json"))
    edit(target, lambda r: r.update(trial_id="NCT99999998", nct_id="NCT99999998"))


def _people(repo: Path) -> None:
    """A person renamed to a one-letter variant of someone in another record: a finding that
    names an unchanged record, reached through blocking keys."""
    with_people = [p for p in records(repo) if json.loads(p.read_text())["people"]]
    first, second = with_people[:2]
    person = json.loads(first.read_text())["people"][0]
    last = "e" if person["name"].endswith("a") else "a"
    edit(second, lambda r: r["people"].append(dict(person, name=person["name"][:-1] + last)))


def _suite(repo: Path) -> None:
    path = repo / "expectations" / "studies.json"
    suite = json.loads(path.read_text())
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_not_match_regex",
            "kwargs": {"column": "title", "regex": "(?i)cancer"},
            "meta": {"rule": "title-says-cancer", "severity": "error", "notes": "test"},
        }
    )
    path.write_text(json.dumps(suite, indent=2) + "\n")


def _policy(repo: Path) -> None:
    (repo / "expectations" / "rules.yaml").write_text(
        "rules:\n"
        "  stale-unknown-status: {severity: error}\n"
        "  placeholder-contact: {enabled: false}\n"
    )


def _waiver(repo: Path) -> None:
    lines = (repo / CACHE / "gate-base.jsonl").read_text().splitlines()
    findings = [json.loads(line) for line in lines[1:]]
    first = next(f for f in findings if f["severity"] == "warning")
    (repo / "expectations" / "waivers.yaml").write_text(
        "waivers:\n"
        f"  - fingerprint: {first['fingerprint']}\n"
        "    reason: confirmed with the sponsor\n"
        "    approved_by: reviewer\n"
        "    expires: 2027-01-31\n"
        "  - rule: stale-unknown-status\n"
        "    trial: NCT00000001\n"
        "    reason: registry contacted\n"
        "    approved_by: reviewer\n"
        "    expires: 2026-01-31\n"  # expired: fails the gate
    )


def _folders_and_other_files(repo: Path) -> None:
    """A record in a subfolder (the scan then sorts by path parts), a hidden file and a
    non-JSON file (neither is a record), and a symbolic link (reported, never followed)."""
    source = records(repo)[12]
    (repo / "records" / "sub").mkdir()
    shutil.copy(source, repo / "records" / "sub" / "NCT99999996.ctgov-api.json")
    edit(
        repo / "records" / "sub" / "NCT99999996.ctgov-api.json",
        lambda r: r.update(trial_id="NCT99999996", nct_id="NCT99999996"),
    )
    (repo / "records" / ".partial.json").write_text("{")
    (repo / "records" / "notes.txt").write_text("not a record")
    (repo / "records" / "linked.json").symlink_to(source.name)


CHANGES = {
    "edit": _edit,
    "addition": _addition,
    "deletion": _deletion,
    "rename": _rename,
    "re-identified trial": _reidentified,
    "blocking keys": _people,
    "suite": _suite,
    "policy": _policy,
    "waiver": _waiver,
    "folders and other files": _folders_and_other_files,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_cached_gate_equals_full_gate(repo, capsys, change):
    CHANGES[change](repo)
    commit(repo, change)
    cached, full = both_gates(repo, capsys)
    assert_same(cached, full)
    if change == "edit":
        assert cached["code"] == 1 and cached["verdict"]["blocking"]
    if change == "deletion":
        assert cached["verdict"]["fixed"]
    if change == "folders and other files":
        assert cached["code"] == 2  # the symbolic link: the gate cannot decide


def test_uncommitted_and_untracked_changes_count(repo, capsys):
    """The gate audits the working tree: edits not committed and files git does not track
    are part of the change, as in a full gate."""
    _edit(repo)
    _addition(repo)
    (repo / "records" / "NCT99999997.ctgov-api.json").write_text("{not json")
    cached, full = both_gates(repo, capsys)
    assert_same(cached, full)
    assert cached["code"] == 2  # an unreadable record: the gate cannot decide


def test_many_changes_together(repo, capsys):
    for change in ("edit", "addition", "deletion", "rename", "re-identified trial", "policy"):
        CHANGES[change](repo)
    commit(repo, "all at once")
    cached, full = both_gates(repo, capsys, "--fail-on", "warning")
    assert_same(cached, full)


def test_no_change_passes_from_the_cache(repo, capsys):
    cached, full = both_gates(repo, capsys)
    assert_same(cached, full)
    assert cached["code"] == 0 and cached["verdict"]["new"] == []


def test_the_gate_leaves_mains_cache_as_it_was(repo, capsys):
    cache = repo / CACHE
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    _edit(repo)
    commit(repo, "edit")
    both_gates(repo, capsys)
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before


def test_a_cache_of_another_commit_runs_in_full_and_says_so(repo, capsys):
    _edit(repo)
    commit(repo, "edit")
    # The base is now the change itself: main's cache holds another tree.
    args = ["--as-of", AS_OF, "--out", "reports-x", "--cache", CACHE]
    code = main(["gate", "--base", "HEAD", *args])
    first = capsys.readouterr().out.splitlines()[0]
    assert code == 0
    assert first == "gate: full: the cache's records are not those of the base HEAD"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--as-of", "2026-11-23"], "the cache was audited as of 2026-11-22"),
        (["--as-of", AS_OF, "--cache", "nowhere"], "no audit of main in the cache"),
    ],
)
def test_another_as_of_or_no_cache_runs_in_full(repo, capsys, args, reason):
    extra = [] if "--cache" in args else ["--cache", CACHE]
    code = main(["gate", "--base", "main", "--out", "reports-x", *args, *extra])
    first = capsys.readouterr().out.splitlines()[0]
    assert code in (0, 1)
    assert first.startswith("gate: full: ") and reason in first


def test_main_with_uncommitted_records_keeps_no_gate_base(repo, capsys, tmp_path):
    _edit(repo)
    cache = tmp_path / "cache"
    assert main(["run", "--as-of", AS_OF, "--out", "reports-x", "--cache", str(cache)]) == 1
    assert "gate base: not kept (records or expectations differ" in capsys.readouterr().out
    assert not (cache / "gate-base.jsonl").exists()


@pytest.mark.parametrize("damage", ["truncated", "lines swapped"])
def test_a_damaged_gate_base_runs_in_full_and_says_so(repo, capsys, tmp_path, damage):
    """The gate reads main's findings line by line, and only the fixed ones: a file cut
    short, or one whose lines are not where its first line says, is never taken for them."""
    cache = tmp_path / "cache"
    shutil.copytree(repo / CACHE, cache)
    path = cache / "gate-base.jsonl"
    head, *lines = path.read_bytes().splitlines(keepends=True)
    if damage == "truncated":
        path.write_bytes(b"".join([head, *lines[:-1]]))
    else:  # same size, each line where another's should be
        path.write_bytes(b"".join([head, *reversed(lines)]))
    _deletion(repo)  # fixes base findings: the gate must read their lines
    commit(repo, damage)
    args = ["gate", "--base", "main", "--as-of", AS_OF, "--out", "reports-x"]
    code = main([*args, "--cache", str(cache)])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("gate: full: ") and "gate-base.jsonl is damaged" in first, first
    verdict = json.loads((repo / "reports-x" / "gate.json").read_text())
    assert code == main(args)
    capsys.readouterr()
    full = json.loads((repo / "reports-x" / "gate.json").read_text())
    assert verdict.pop("mode") != full.pop("mode") and verdict == full and verdict["fixed"]
