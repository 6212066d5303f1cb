"""duplicate-registration in an incremental run (``audit run --cache``) and the gate: a change
re-checks only the clusters it can alter, followed through links from the changed trials,
and the findings equal a cold run's, byte for byte."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, edit, valid_record, write_records

from audit.engine import AuditResult, findings_json, run_audit
from audit.record import site
from audit.rules.duplicate_registration import MAX_BLOCK
from audit.synth import write_corpus

AS_OF = date(2026, 11, 22)
RULE = "rule:duplicate-registration"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """400 synthetic trials, 11 duplicate registrations injected among them."""
    folder = tmp_path_factory.mktemp("synth")
    write_corpus(folder, 400, seed=11, rate=0.05)
    return folder / "records"


def audit(records: Path, cache: Path | None) -> AuditResult:
    return run_audit(records, ROOT / "expectations", AS_OF, cache)


def clusters(result: AuditResult) -> list[tuple[str, ...]]:
    return [f.record_files for f in result.findings if f.rule == "duplicate-registration"]


def assert_warm_equals_cold(records: Path, cache: Path) -> AuditResult:
    warm = audit(records, cache)
    assert not warm.problems
    assert findings_json(warm) == findings_json(audit(records, None))
    return warm


def test_cluster_edits_recheck_the_clusters_and_equal_a_cold_run(records, tmp_path):
    """The synthetic duplicates are declared: one record names the other's id."""
    cache = tmp_path / "cache"
    found = clusters(audit(records, cache))
    assert len(found) >= 4
    files = len(list(records.glob("*.json")))
    # A link no longer declared; a member gone; a record copied under a new id naming its
    # original.
    for name in found[0]:
        edit(records / name, lambda r: r.update(secondary_ids=[]))
    (records / found[1][-1]).unlink()
    original = records / found[2][0]
    copy = records / "NCT09999991.ctgov-api.json"
    shutil.copy(original, copy)
    edit(
        copy,
        lambda r: r.update(
            trial_id="NCT09999991",
            nct_id="NCT09999991",
            secondary_ids=[original.name[:11]],
        ),
    )
    warm = assert_warm_equals_cold(records, cache)
    assert 0 < warm.rechecked[RULE] < files // 4
    assert found[0] not in clusters(warm)
    assert any(copy.name in c and original.name in c for c in clusters(warm))
    # A lone record names a clustered trial; another is re-identified as a clustered one.
    lone = sorted({p.name for p in records.glob("*.json")} - {f for c in found for f in c})
    target = records / found[3][0]
    edit(
        records / lone[0],
        lambda r: r["secondary_ids"].append(target.name[:11]),
    )
    edit(records / lone[1], lambda r: r.update(trial_id=target.name[:11], nct_id=target.name[:11]))
    warm = assert_warm_equals_cold(records, cache)
    assert 0 < warm.rechecked[RULE] < files // 4
    assert any(lone[0] in c and target.name in c for c in clusters(warm))


def _same_title(n: int, country: str, sponsor: str) -> dict:
    return valid_record(
        f"NCT{n:08d}",
        title="Zinc supplementation and recovery from seasonal influenza in older adults",
        sponsor=sponsor,
        sites=[site(f"Clinic {n}", "Town", None, None, country)],
    )


def test_a_block_growing_past_max_block_unlinks_trials_that_did_not_change(tmp_path):
    """MAX_BLOCK trials of one title, two of them one trial (same country, size and start):
    a new trial of that title makes the title's keys too common, so the two are no longer
    compared. Only the new record changed; the warm run must still drop their finding, and
    find it again when the new record goes. Sixty other trials keep the block under half the
    corpus, past which the rule runs in full."""
    countries = [f"Country {n}" for n in range(MAX_BLOCK + 1)]
    trials = {
        f"NCT{n:08d}.ctgov-api.json": _same_title(n, countries[max(n, 1)], f"Sponsor {n}")
        for n in range(MAX_BLOCK)
    }
    others = {f"NCT{n:08d}.ctgov-api.json": valid_record(f"NCT{n:08d}") for n in range(100, 160)}
    records = write_records(tmp_path / "records", trials | others)
    cache = tmp_path / "cache"
    assert clusters(audit(records, cache)) == [
        ("NCT00000000.ctgov-api.json", "NCT00000001.ctgov-api.json")
    ]
    extra = records / f"NCT{MAX_BLOCK:08d}.ctgov-api.json"
    write_records(records, {extra.name: _same_title(MAX_BLOCK, countries[-1], "Sponsor x")})
    warm = assert_warm_equals_cold(records, cache)
    assert clusters(warm) == []
    assert warm.rechecked[RULE] == MAX_BLOCK + 1
    extra.unlink()
    warm = assert_warm_equals_cold(records, cache)
    assert len(clusters(warm)) == 1
    # A found link undone and redone by one of its trials: only the pair is re-checked.
    second = records / "NCT00000001.ctgov-api.json"
    edit(second, lambda r: r["enrollment"].update(count=400))
    warm = assert_warm_equals_cold(records, cache)
    assert clusters(warm) == [] and warm.rechecked[RULE] == 2
    edit(second, lambda r: r["enrollment"].update(count=40))
    warm = assert_warm_equals_cold(records, cache)
    assert len(clusters(warm)) == 1 and warm.rechecked[RULE] == 2


@pytest.mark.parametrize("damage", [b"not an Arrow file", None])
def test_without_usable_kept_keys_the_rule_runs_in_full(records, tmp_path, damage):
    cache = tmp_path / "cache"
    audit(records, cache)
    [kept] = cache.glob("link-keys-*.arrow")
    if damage is None:
        kept.unlink()
    else:
        kept.write_bytes(damage)
    first = sorted(records.glob("*.json"))[5]
    edit(first, lambda r: r.update(title=r["title"] + " (edited)"))
    warm = assert_warm_equals_cold(records, cache)
    assert warm.rechecked[RULE] is None
    # That run kept the keys again: the next change is re-checked in part.
    edit(first, lambda r: r.update(title=r["title"] + " again"))
    assert assert_warm_equals_cold(records, cache).rechecked[RULE] is not None


def test_real_clusters_edited_in_a_warm_run_equal_a_cold_run(data, tmp_path):
    """The ICTRP export of 2020-07-07 (4,098 trials, cross-registrations declared and found,
    WHO's SOLIDARITY in five registries): links undone and redone in a warm run."""
    from audit.record import record_filename
    from audit.sources import import_file

    export = data / "who_ictrp_covid19_2020" / "ictrp_covid19_export_2020-07-07_4098trials.csv"
    records = write_records(
        tmp_path / "records", {record_filename(r): r for r in import_file(export)}
    )
    cache = tmp_path / "cache"
    found = sorted(clusters(audit(records, cache)), key=len, reverse=True)
    assert len(found) > 50
    biggest, declared = found[0], next(c for c in found if len(c) == 2)
    # The largest cluster loses a member's titles; a declared pair loses its naming.
    edit(records / biggest[1], lambda r: r.update(title="Vitamin D in winter", official_title=None))
    for name in declared:
        edit(records / name, lambda r: r.update(secondary_ids=[]))
    warm = assert_warm_equals_cold(records, cache)
    assert 0 < warm.rechecked[RULE] < 100
    assert not [f for f in warm.findings if f.record_files == declared and " lists " in f.message]
    # A member of the largest cluster goes, another record comes under a new id.
    (records / biggest[0]).unlink()
    copy = json.loads((records / biggest[-1]).read_text(encoding="utf-8"))
    copy.update(trial_id="ISRCTN99999999")
    write_records(records, {"ISRCTN99999999.ictrp.json": copy})
    warm = assert_warm_equals_cold(records, cache)
    assert 0 < warm.rechecked[RULE] < 100
