"""`audit synth`: a small synthetic corpus from the command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from audit.record import schema_errors


def synth(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", "synth", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}


def test_synth_writes_records_and_ground_truth_reproducibly(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    done = synth("--trials", "40", "--seed", "7", "--out", str(first))
    assert done.returncode == 0, done.stderr
    truth = json.loads((first / "ground_truth.json").read_text(encoding="utf-8"))
    assert (truth["trials"], truth["seed"], truth["as_of"], truth["rate"]) == (
        40,
        7,
        "2026-11-22",
        0.02,
    )
    records = sorted((first / "records").glob("*.json"))
    assert len(records) == truth["records"] >= 40
    assert f"synth: 40 trials ({truth['records']} records" in done.stdout
    assert all(schema_errors(json.loads(p.read_text(encoding="utf-8"))) == [] for p in records)

    rated = synth(
        "--trials", "40", "--seed", "7", "--out", str(tmp_path / "rated"), "--defect-rate", "0.5"
    )
    assert rated.returncode == 0, rated.stderr
    defects = json.loads((tmp_path / "rated" / "ground_truth.json").read_text())["defects"]
    assert len(defects) > len(truth["defects"])
    assert synth("--trials", "40", "--seed", "7", "--out", str(second)).returncode == 0
    assert contents(second) == contents(first)  # same seed, same bytes


def test_synth_refuses_a_folder_with_records_and_bad_numbers(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "mine.json").write_text("{}\n", encoding="utf-8")
    refused = synth("--trials", "5", "--out", str(tmp_path))
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["mine.json", "records"]
    bad = synth("--trials", "0", "--out", str(tmp_path / "new"))
    assert bad.returncode == 2 and "not a positive whole number" in bad.stderr
    assert not (tmp_path / "new").exists()


def test_synth_help_names_the_defaults() -> None:
    shown = synth("--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    for default in ("(default: 1000)", "(default: 1)", "(default: 2026-11-22)", "(default: 0.02)"):
        assert default in text


def test_the_synthetic_corpus_holds_only_the_defects_it_injects(tmp_path: Path) -> None:
    """The benchmark's check that rules find injected textbook defects at scale means
    something only if the generator writes no other defect: every rule's findings name an
    injected trial (a NOT_YET_RECRUITING trial with an ACTUAL start once made 4% of all
    trials a status-date-conflict nobody injected), and nearly every injected one is found."""
    from audit.bench import score
    from audit.config import PACKAGE_DEFAULTS, Config
    from audit.engine import run_audit
    from audit.synth import AS_OF, write_corpus

    truth = write_corpus(tmp_path, 1000, 7)
    result = run_audit(tmp_path / "records", Config(PACKAGE_DEFAULTS, "defaults"), AS_OF)
    scores = score([f.to_json() for f in result.findings], truth["defects"])
    assert scores
    wrong = {
        rule: numbers
        for rule, numbers in scores.items()
        if numbers["precision"] not in (None, 1.0) or (numbers["recall"] or 1.0) < 0.95
    }
    assert wrong == {}
