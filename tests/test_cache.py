"""The incremental table cache: a warm run equals a cold run, re-reading only what changed."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
from conftest import ROOT, valid_record, write_records
from hypothesis import given
from hypothesis import strategies as st

from audit.corpus import blob_id, load_corpus
from audit.engine import findings_json, run_audit
from audit.record import arm, intervention, outcome, person, site
from audit.tables import Tables, build_tables, positions, without_rows

AS_OF = date(2026, 11, 22)


def corpus(folder: Path, count: int = 30) -> Path:
    records = {}
    for number in range(count):
        trial = f"NCT0{number:07d}"
        fields = {"overall_status": "UNKNOWN"} if number % 3 == 0 else {}
        records[f"{trial}.ctgov-api.json"] = valid_record(trial, **fields)
    records["NCT00000001.ctgov-api.json"]["trial_id"] = "NCT1"  # a schema finding
    return write_records(folder, records)


def audit_json(records: Path, cache: Path | None) -> dict:
    return json.loads(findings_json(run_audit(records, ROOT / "expectations", AS_OF, cache)))


def test_blob_ids_are_gits():
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_warm_run_equals_cold_run_after_changes(tmp_path):
    records = corpus(tmp_path / "records")
    cache = tmp_path / "cache"
    first = load_corpus(records, cache)
    assert first.reused == 0 and (cache / "studies.arrow").exists()

    changed = records / "NCT00000004.ctgov-api.json"
    changed.write_text(json.dumps(valid_record("NCT00000004", overall_status="Mystery")))
    (records / "NCT00000005.ctgov-api.json").unlink()
    write_records(records, {"NCT09999999.ctgov-api.json": valid_record("NCT09999999")})
    (records / "broken.json").write_text("{not json")

    warm = load_corpus(records, cache)
    cold = load_corpus(records, None)
    assert warm.reused == 28  # 30 files, one changed, one deleted
    assert warm.files == cold.files and warm.unreadable == cold.unreadable == ["broken.json"]
    for (name, frame), (_, expected) in zip(warm.tables.items(), cold.tables.items(), strict=True):
        assert frame.equals(expected), name
        assert list(frame.dtypes) == list(expected.dtypes), name
    assert audit_json(records, cache) == audit_json(records, None)


def test_touching_a_file_without_changing_it_reuses_its_rows(tmp_path):
    records = corpus(tmp_path / "records", 5)
    cache = tmp_path / "cache"
    load_corpus(records, cache)
    path = records / "NCT00000002.ctgov-api.json"
    os.utime(path, ns=(1, 1))
    assert load_corpus(records, cache).reused == 5


def test_a_cache_for_another_folder_is_not_used(tmp_path):
    first = corpus(tmp_path / "a", 5)
    second = corpus(tmp_path / "b", 5)
    cache = tmp_path / "cache"
    load_corpus(first, cache)
    assert load_corpus(second, cache).reused == 0
    assert load_corpus(second, cache).reused == 5


def test_a_corrupt_cache_index_means_a_cold_load(tmp_path):
    records = corpus(tmp_path / "records", 5)
    cache = tmp_path / "cache"
    load_corpus(records, cache)
    (cache / "index.json").write_text("{broken")
    warm = load_corpus(records, cache)
    assert warm.reused == 0 and len(warm.files) == 5


def test_loading_in_worker_processes_gives_the_same_tables(tmp_path, monkeypatch):
    import audit.corpus

    records = corpus(tmp_path / "records")
    (records / "broken.json").write_text("[1, 2")
    alone = load_corpus(records)
    monkeypatch.setattr(audit.corpus, "PARALLEL_FROM", 2)
    together = load_corpus(records)
    assert together.files == alone.files and together.unreadable == alone.unreadable
    for (name, frame), (_, expected) in zip(
        together.tables.items(), alone.tables.items(), strict=True
    ):
        assert frame.equals(expected), name
    assert sorted(map(repr, together.findings)) == sorted(map(repr, alone.findings))


@given(st.lists(st.booleans(), max_size=60), st.integers(0, 3))
def test_rows_left_out_of_a_kept_table_are_those_a_filter_leaves_out(flags, spread):
    """``without_rows`` keeps slices between the changed files' runs of rows; it equals a
    boolean filter for any runs, also when there are more runs than it slices (``spread``
    lowers the limit to make that happen). Its columns hold several chunks, as a kept table's
    do, and are of each kind the tables use (Arrow text, nullable and numpy numbers)."""
    frame = pd.DataFrame(
        {
            "record_file": [f"f{i}" for i in range(len(flags))],
            "item": range(len(flags)),
            "trial": pd.array([f"t{i % 7}" for i in range(len(flags))], pd.ArrowDtype(pa.string())),
            "size": np.arange(len(flags), dtype=float),
        }
    ).astype({"record_file": "string", "item": "Int64"})
    frame = pd.concat([frame.iloc[at : at + 7] for at in range(0, len(frame), 7)] or [frame])
    mask = np.array(flags, dtype=bool)
    with patch("audit.tables.MAX_RUNS", [1000, 3, 1, 0][spread]):
        kept = without_rows(frame, mask)
    pd.testing.assert_frame_equal(kept, frame[~mask])


def test_texts_are_found_among_the_known_whichever_is_larger():
    known = pa.array([f"t{n}" for n in range(100)])
    texts = pa.array(["t7", "nope", "t99"])
    assert positions(texts, known).tolist() == [7, -1, 99]  # few texts: they are hashed
    assert positions(known, texts).tolist() == [-1] * 7 + [0] + [-1] * 91 + [2]


def test_a_subset_holds_every_table_s_rows_of_the_files_asked_for_in_order():
    """Also in a table with rows of a file the studies do not hold (tables put together by
    hand)."""

    def full(n: int) -> dict:
        return valid_record(
            f"NCT0000000{n}",
            arms=[arm(f"Arm {n}"), arm("Placebo")],
            interventions=[intervention("Drug", f"Drug {n}")],
            people=[person(f"Ann Lee{n}", "contact"), person("Bo Wu", "principal_investigator")],
            sites=[site(f"Clinic {n}", "Town")],
            outcomes=[outcome("primary", f"Measure {n}")],
        )

    tables = build_tables((f"NCT0000000{n}.ctgov-api.json", full(n)) for n in range(5))
    wanted = {"NCT00000003.ctgov-api.json", "NCT00000001.ctgov-api.json", "absent.json"}

    def expected(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["record_file"].isin(wanted)].reset_index(drop=True)

    part = tables.subset(wanted)
    for (name, frame), (_, whole) in zip(part.items(), tables.items(), strict=True):
        assert len(whole) > len(frame) > 0, name
        pd.testing.assert_frame_equal(frame, expected(whole))
    stray = whole.assign(record_file="absent.json")  # identifiers of a file with no study
    odd = Tables(**dict(tables.items()) | {"identifiers": pd.concat([whole, stray])})
    pd.testing.assert_frame_equal(odd.subset(wanted).identifiers, expected(odd.identifiers))
    assert len(odd.subset(wanted).identifiers) > len(part.identifiers)
