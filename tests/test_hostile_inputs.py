"""Hostile and broken input (issue 8), on both paths: ``audit normalize`` on source files and
``audit run`` / ``audit gate`` on records/.

Every broken file gives a clear error naming the file and what is wrong (the messages are
asserted), becomes an error line (normalize) or a finding (records/), and the rest of the run
completes: every good file is still written or audited, so no record is lost. The corpus is in
``tests/fixtures/hostile/``; binary junk, giant inputs and symbolic links are made here.

README.md ("Hostile input") counts the cases: normalize = SOURCE_ERRORS + the hostile files of
SOURCE_WRITTEN + 2 (shared file name, importer crash); records = RECORD_UNREADABLE +
RECORD_FINDINGS + RECORD_CLEAN + 2 (gate, missing folder); PATH_LIKE_IDS + 1 file names;
3 interrupted writes; test_report_xss.py: PAYLOADS + 7 placements.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import random
import shutil
import string
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, valid_record, write_records

from audit.cli import main
from audit.record import record_filename, safe_name, write_record

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
AS_OF = "2026-11-22"
TEN_MB = 10 * 1024 * 1024

# ---- the corpus ------------------------------------------------------------------------------

# normalize: source file -> what its error line must say
SOURCE_ERRORS = {
    "truncated_study.json": "invalid JSON: Unterminated string starting at at line 7",
    "malformed_study.json": "invalid JSON: Expecting property name enclosed in double quotes",
    "duplicate_keys_study.json": "invalid JSON: duplicate key 'nctId' in one JSON object",
    "nan_study.json": "invalid JSON: NaN is not valid JSON",
    "infinity_study.json": "invalid JSON: -Infinity is not valid JSON",
    "bad_line.ndjson": "invalid JSON on line 2: Expecting ',' delimiter",
    "gbk_page.txt": "not UTF-8 text (byte 0xd5 at offset 9); save the page as UTF-8",
    "latin1_page.txt": "not UTF-8 text (byte 0xc9 at offset 28); save the page as UTF-8",
    "empty.txt": "file is empty",
    "blank.txt": "file is empty",
    "unknown_site.txt": "format not recognized (not a ClinicalTrials.gov API v2 JSON",
    "doctype.xml": "XML with a DOCTYPE or ENTITY declaration is refused",
    "same_trial_b.json": "NCT09100008 (ctgov-api) was already written from",  # other content
    # made by the ``sources`` fixture
    "junk.bin": "binary data, not a text page or export",
    "junk_no_nul.dat": "not UTF-8 text (byte 0x",
    "deep_study.json": "invalid JSON: nested too deeply",
    "giant_number_study.json": "invalid JSON: number 999999999999... has 5000 digits",
    "link_to_study.json": "is a symbolic link; links inside folders are not followed",
    "dangling_link.json": "is a symbolic link; links inside folders are not followed",
    "linked_folder": "is a symbolic link; links inside folders are not followed",
}
# normalize: source file -> the record file it must write
SOURCE_WRITTEN = {
    "good_study.json": "NCT09100001.ctgov-api.json",
    "bom_study.json": "NCT09100009.ctgov-api.json",
    "several_million_study.json": "NCT09100006.ctgov-api.json",
    "placeholder_2099_study.json": "NCT09100007.ctgov-api.json",
    "path_id_study.json": "etc_passwd.ctgov-api.json",
    "same_trial_a.json": "NCT09100008.ctgov-api.json",
    # made by the ``sources`` fixture
    "ten_mb_field_study.json": "NCT09100014.ctgov-api.json",
    "giant_age_page.txt": "NCT09000002.veeva.json",
    "giant_entity_export.csv": "ChiCTR2000099901.ictrp.json",
}

# records/: file -> what its record-unreadable finding must say
RECORD_UNREADABLE = {
    "truncated.json": "invalid JSON at line 33 column 12: Expecting value",
    "malformed.json": "invalid JSON at line 61 column 32: Expecting property name enclosed",
    "duplicate_keys.json": "duplicate key 'trial_id' in one JSON object",
    "nan.json": "NaN is not valid JSON (use null or a number)",
    "infinity.json": "Infinity is not valid JSON (use null or a number)",
    "overflow_float.json": "number 1e400 is out of range (not a finite number)",
    "overflow_int.json": "integer 123456789012... (30 digits) is out of range",
    "beyond_2_53.json": "integer 9223372036854775808 is out of range (at most 2**53 in size)",
    "latin1.json": "not UTF-8 (byte 0xf4 at offset 1044)",
    "gbk.json": "not UTF-8 (byte 0xb1 at offset 1034)",
    "utf16.json": "not UTF-8 (byte 0xff at offset 0)",
    "empty.json": "file is empty",
    "blank.json": "file is empty",
    "array.json": "top level is a JSON list, not an object (one record per file)",
    # made by the ``records`` fixture
    "junk.json": "not UTF-8 (byte 0x",
    "deep.json": "JSON nested too deeply",
    "deep_shallow_enough_for_json.json": "JSON nested more than 32 levels deep",
    "giant_int.json": "(5000 digits) is out of range",
    "link.json": "is a symbolic link; records must be regular files",
    "linked_folder": "is a symbolic link; records must be regular files",
    "folder.json": "cannot read file (Is a directory)",
}
# records/: readable hostile file -> (rule, field) of the finding it must give
RECORD_FINDINGS = {
    "several_million.json": ("record-structure", "enrollment.count"),
    "placeholder_2099.json": ("stale-estimated-date", "completion_date"),
    "path_id.json": ("schema-format", "trial_id"),
    "same_trial_a.json": ("duplicate-record", "studies.trial_id,source"),
    "same_trial_b.json": ("duplicate-record", "studies.trial_id,source"),
}
# records/: readable files that must load without any finding of their own
RECORD_CLEAN = ("bom.json", "UPPER_CASE.JSON", "ten_mb_field.json")
GOOD_RECORDS = {f"good_{i}.json": valid_record(f"NCT0950000{i}") for i in range(3)}


def junk(size: int, seed: int, nul: bool = True) -> bytes:
    """Deterministic binary junk: a PNG signature, then random bytes (with or without NUL)."""
    rng = random.Random(seed)
    low = 0 if nul else 0x80
    return b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(low, 256) for _ in range(size))


def study(nct_id: str, **design: object) -> dict:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": f"Study {nct_id}"},
            "designModule": design,
        }
    }


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed source corpus plus generated junk, giants and symbolic links."""
    folder = tmp_path_factory.mktemp("hostile") / "sources"
    shutil.copytree(HOSTILE / "sources", folder)
    (folder / "junk.bin").write_bytes(junk(4096, 1))
    (folder / "junk_no_nul.dat").write_bytes(junk(4096, 2, nul=False))
    (folder / "deep_study.json").write_text(
        '{"protocolSection": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8"
    )
    (folder / "giant_number_study.json").write_text(
        json.dumps(study("NCT09100015", enrollmentInfo={"count": 1})).replace(
            '"count": 1', '"count": ' + "9" * 5000
        ),
        encoding="utf-8",
    )
    big = study("NCT09100014")
    big["protocolSection"]["descriptionModule"] = {"briefSummary": "x" * TEN_MB}
    (folder / "ten_mb_field_study.json").write_text(json.dumps(big), encoding="utf-8")
    veeva = (ROOT / "tests/fixtures/veeva/reordered_crlf_minimal.txt").read_text(encoding="utf-8")
    assert "Up to 65 years old" in veeva
    (folder / "giant_age_page.txt").write_text(
        veeva.replace("Up to 65 years old", "Up to " + "9" * 400 + " years old"), encoding="utf-8"
    )
    export = (ROOT / "tests/fixtures/ictrp/export_small.csv").read_text(encoding="utf-8-sig")
    (folder / "giant_entity_export.csv").write_text(
        export.replace("2020,Herbal", "2020,&#" + "9" * 5000 + ";Herbal", 1),
        encoding="utf-8",
    )
    outside = folder.parent / "outside"
    outside.mkdir()
    shutil.copy(HOSTILE / "sources" / "good_study.json", outside / "study.json")
    (folder / "link_to_study.json").symlink_to(outside / "study.json")
    (folder / "dangling_link.json").symlink_to(outside / "missing.json")
    (folder / "linked_folder").symlink_to(outside, target_is_directory=True)
    return folder


def test_every_source_case_is_in_the_corpus(sources: Path) -> None:
    named = set(SOURCE_ERRORS) | set(SOURCE_WRITTEN)
    present = {p.name for p in sources.iterdir()}
    assert named == present, f"unlisted: {present - named}, missing: {named - present}"


# ---- normalize, one hostile file at a time ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(SOURCE_ERRORS) - {"same_trial_b.json"}))
def test_normalize_names_the_file_and_the_problem(name, sources, tmp_path, capsys) -> None:
    path = sources / name
    folder = tmp_path / "in"
    folder.mkdir()
    # Links are refused only inside folders (a path named on the command line is the user's
    # choice), so every case is given inside a folder, next to a good file.
    target = folder / name
    if path.is_symlink():
        target.symlink_to(path.readlink(), target_is_directory=path.is_dir())
    else:
        shutil.copy(path, target)
    shutil.copy(sources / "good_study.json", folder / "good_study.json")
    code = main(["normalize", str(folder), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"error: {target}: {SOURCE_ERRORS[name]}" in err
    assert err.count("error: ") == 1
    assert "Traceback" not in err and "crashed" not in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["NCT09100001.ctgov-api.json"]


def test_normalize_refuses_a_second_file_for_the_same_trial_and_source(tmp_path, capsys) -> None:
    a, b = HOSTILE / "sources" / "same_trial_a.json", HOSTILE / "sources" / "same_trial_b.json"
    code = main(["normalize", str(a), str(b), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        f"error: {b}: NCT09100008 (ctgov-api) was already written from {a} in this run "
        "(NCT09100008.ctgov-api.json) with other content; not overwriting"
    ) in err
    written = json.loads((tmp_path / "NCT09100008.ctgov-api.json").read_text(encoding="utf-8"))
    assert written["title"] == "First copy"


def test_normalize_skips_a_second_copy_of_the_same_record(tmp_path, capsys) -> None:
    """One trial downloaded twice (AACT's fixtures hold NCT00081588 under two file names):
    the same content from another file is a second copy, skipped with a note, not a failure."""
    a = HOSTILE / "sources" / "same_trial_a.json"
    b = tmp_path / "downloaded_again.json"
    b.write_bytes(a.read_bytes())
    code = main(["normalize", str(a), str(b), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"skipped: {b}: NCT09100008 (ctgov-api) is the same record as the one read from" in (
        captured.err
    )
    assert "1 skipped" in captured.out
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["NCT09100008.ctgov-api.json"]


def test_normalize_reports_two_ids_that_share_a_file_name(tmp_path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, nct in (("a.json", "NCT/0910"), ("b.json", "NCT_0910")):
        (folder / name).write_text(json.dumps(study(nct)), encoding="utf-8")
    assert main(["normalize", str(folder), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "NCT_0910 (ctgov-api) has the file name of NCT/0910 (ctgov-api)" in err


# ---- normalize, the whole corpus at once -----------------------------------------------------


@pytest.fixture(scope="module")
def normalized(sources: Path, tmp_path_factory: pytest.TempPathFactory):
    """`audit normalize` over the whole source corpus: (exit code, stderr, output folder)."""
    out = tmp_path_factory.mktemp("normalized") / "records"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["normalize", str(sources), "--out", str(out), "--captured", "2026-11-20"])
    return code, err.getvalue(), out


def test_normalize_corpus_reports_every_bad_file_and_writes_every_good_one(
    normalized, sources
) -> None:
    code, err, out = normalized
    assert code == 1
    assert "Traceback" not in err and "crashed" not in err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == len(SOURCE_ERRORS)
    for name, reason in SOURCE_ERRORS.items():
        assert any(
            line.startswith(f"error: {sources / name}: ") and reason in line for line in lines
        )
    written = sorted(p.name for p in out.iterdir())
    expected = {"giant_entity_export.csv": 6}  # the ICTRP export holds six trials
    assert len(written) == sum(expected.get(name, 1) for name in SOURCE_WRITTEN)  # none lost
    assert set(SOURCE_WRITTEN.values()) <= set(written)
    assert all(p.resolve().parent == out.resolve() for p in out.iterdir())
    assert not list(out.glob(".*")), "temporary files left behind"


def test_normalized_values_from_hostile_sources(normalized) -> None:
    _, _, out = normalized

    def record(name: str) -> dict:
        return json.loads((out / name).read_text(encoding="utf-8"))

    assert record("etc_passwd.ctgov-api.json")["trial_id"] == "../../etc/passwd"
    assert record("NCT09100006.ctgov-api.json")["enrollment"] == {"count": None, "type": "ACTUAL"}
    assert record("NCT09100007.ctgov-api.json")["completion_date"]["date"] == "2099-12"
    assert len(record("NCT09100014.ctgov-api.json")["descriptions"]["brief_summary"]) == TEN_MB
    assert record("NCT09000002.veeva.json")["eligibility"]["max_age_years"] is None
    assert record("NCT09100009.ctgov-api.json")["title"] == "Saved with a UTF-8 BOM"
    assert record("ChiCTR2000099901.ictrp.json")["title"].startswith("\ufffdHerbal granules")


def test_normalized_hostile_records_audit_to_findings(normalized, tmp_path, capsys) -> None:
    """normalize -> run: every written record is read back, and the hostile values are
    findings (the 2099-12 placeholder, the path-like id)."""
    _, _, out = normalized
    code = main(["run", "--records", str(out), "--as-of", AS_OF, "--out", str(tmp_path)])
    capsys.readouterr()
    report = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert code == 1 and report["complete"], report["problems"]
    assert report["record_count"] == len(list(out.iterdir()))
    by_rule: dict[str, set[str]] = {}
    for item in report["findings"]:
        for trial in item["trial_ids"]:
            by_rule.setdefault(item["rule"], set()).add(trial)
    assert "NCT09100007" in by_rule["stale-estimated-date"]
    assert "../../etc/passwd" in by_rule["schema-format"]
    assert (tmp_path / "index.html").stat().st_size < 2_000_000  # the 10 MB field is cut


def test_an_importer_crash_is_reported_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    from audit.sources import ctgov_api

    def broken(path: Path, text: str) -> list[dict]:
        if "NCT09100001" in text:
            raise RuntimeError("importer bug")
        return original(path, text)

    original = ctgov_api.parse
    monkeypatch.setattr(ctgov_api, "parse", broken)
    good = HOSTILE / "sources" / "good_study.json"
    other = HOSTILE / "sources" / "bom_study.json"
    code = main(["normalize", str(good), str(other), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2  # a bug never passes as a clean run
    assert f"error: {good}: the importer crashed (RuntimeError: importer bug)" in err
    assert [p.name for p in tmp_path.iterdir()] == ["NCT09100009.ctgov-api.json"]


# ---- records/ -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed record corpus, generated hostile files and three good records."""
    folder = tmp_path_factory.mktemp("hostile") / "records"
    shutil.copytree(HOSTILE / "records", folder)
    write_records(folder, GOOD_RECORDS)
    good = (folder / "good_0.json").read_text(encoding="utf-8")
    (folder / "junk.json").write_bytes(junk(4096, 3, nul=False))
    (folder / "deep.json").write_text(
        good.replace('"arms": []', '"arms": ' + "[" * 5000 + "]" * 5000), encoding="utf-8"
    )
    (folder / "deep_shallow_enough_for_json.json").write_text(
        good.replace('"arms": []', '"arms": ' + "[" * 500 + "]" * 500), encoding="utf-8"
    )
    (folder / "giant_int.json").write_text(
        good.replace('"count": 40', '"count": ' + "9" * 5000), encoding="utf-8"
    )
    write_records(folder, {"ten_mb_field.json": valid_record("NCT09500010", title="y" * TEN_MB)})
    write_records(folder, {"UPPER_CASE.JSON": valid_record("NCT09500011")})
    (folder / "folder.json").mkdir()
    outside = folder.parent / "outside"
    write_records(outside, {"linked.json": valid_record("NCT09500012")})
    (folder / "link.json").symlink_to(outside / "linked.json")
    (folder / "linked_folder").symlink_to(outside, target_is_directory=True)
    return folder


@pytest.fixture(scope="module")
def audited(records: Path, tmp_path_factory: pytest.TempPathFactory):
    """`audit run` over the whole record corpus: (exit code, findings.json, output, stderr)."""
    out = tmp_path_factory.mktemp("reports")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", "--records", str(records), "--as-of", AS_OF, "--out", str(out)])
    report = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return code, report, out, err.getvalue()


def test_every_record_case_is_in_the_corpus(records: Path) -> None:
    named = {*RECORD_UNREADABLE, *RECORD_FINDINGS, *RECORD_CLEAN, *GOOD_RECORDS}
    present = {p.name for p in records.iterdir()}
    assert named == present, f"unlisted: {present - named}, missing: {named - present}"


def test_unreadable_records_fail_closed_and_nothing_is_lost(audited, records) -> None:
    code, report, out, err = audited
    assert code == 2 and not report["complete"]
    assert "Traceback" not in err and "crashed" not in err
    readable = len(RECORD_FINDINGS) + len(RECORD_CLEAN) + len(GOOD_RECORDS)
    assert report["record_count"] == readable  # every readable record is audited
    named = sorted(p.removeprefix("unreadable record file: ") for p in report["problems"])
    assert [p.split(": ", 1)[0] for p in named] == sorted(RECORD_UNREADABLE)
    assert all(len(p.split(": ", 1)[1]) > 5 for p in named)  # the reason, on the console too
    assert all(p in err for p in report["problems"])
    assert {"index.html", "findings.json"} <= {p.name for p in out.iterdir()}


@pytest.mark.parametrize("name", sorted(RECORD_UNREADABLE))
def test_unreadable_record_finding_names_file_and_problem(audited, name) -> None:
    _, report, _, err = audited
    found = [f for f in report["findings"] if f["rule"] == "record-unreadable"]
    matching = [f for f in found if f["record_files"] == [name]]
    assert len(matching) == 1
    assert matching[0]["severity"] == "error"
    assert matching[0]["message"].startswith(f"{name}: ")
    assert RECORD_UNREADABLE[name] in matching[0]["message"]
    assert f"error: unreadable record file: {name}" in err


@pytest.mark.parametrize("name", sorted(RECORD_FINDINGS))
def test_readable_hostile_record_becomes_a_finding(audited, name) -> None:
    _, report, _, _ = audited
    rule, field = RECORD_FINDINGS[name]
    assert any(
        f["rule"] == rule and f["field"] == field and name in f["record_files"]
        for f in report["findings"]
    ), [(f["rule"], f["field"]) for f in report["findings"] if name in f["record_files"]]


def test_clean_records_load_without_findings_of_their_own(audited) -> None:
    _, report, _, _ = audited
    for name in (*RECORD_CLEAN, *GOOD_RECORDS):
        own = [f["rule"] for f in report["findings"] if f["record_files"] == [name]]
        assert own == [], (name, own)


def test_the_ten_mb_field_does_not_break_the_report(audited) -> None:
    _, _, out, _ = audited
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "y" * 1000 in html and "y" * 10_000 not in html


def test_the_gate_fails_closed_on_an_unreadable_record(tmp_path, capsys) -> None:
    folder = write_records(tmp_path / "records", {"good.json": valid_record()})
    shutil.copy(HOSTILE / "records" / "truncated.json", folder)
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"complete": true, "findings": []}', encoding="utf-8")
    out = tmp_path / "out"
    args = ["gate", "--baseline", str(baseline), "--records", str(folder), "--out", str(out)]
    assert main([*args, "--as-of", AS_OF]) == 2
    assert "gate: FAIL" in capsys.readouterr().out
    verdict = json.loads((out / "gate.json").read_text(encoding="utf-8"))
    assert not verdict["passed"]
    assert any(
        r.startswith("audit incomplete: unreadable record file: truncated.json: invalid JSON")
        for r in verdict["reasons"]
    )


def test_a_record_without_a_source_is_a_finding_not_a_rule_crash(tmp_path) -> None:
    from audit.engine import run_audit

    missing = valid_record("NCT09700001", overall_status="RECRUITING")
    del missing["source"]
    other = valid_record("NCT09700001", "veeva", secondary_ids=["NCT09700002"])
    unknown_source = valid_record("NCT09700002", enrollment={"count": 5, "type": "ACTUAL"})
    del unknown_source["source"]
    records = {"missing.json": missing, "other.json": other, "third.json": unknown_source}
    result = run_audit(write_records(tmp_path, records), ROOT / "expectations", date(2026, 11, 22))
    assert any(f.rule == "record-structure" for f in result.findings)
    assert result.problems == []


def test_a_missing_records_folder_fails_closed(tmp_path, capsys) -> None:
    code = main(["run", "--records", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert f"records folder {tmp_path / 'nope'} does not exist" in capsys.readouterr().err
    report = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    messages = [f["message"] for f in report["findings"]]
    assert messages == [f"records folder {tmp_path / 'nope'} does not exist"]


# ---- file names built from ids ----------------------------------------------------------------

PATH_LIKE_IDS = [
    "../../etc/passwd",
    "..",
    ".",
    "/etc/passwd",
    "a/../../b",
    "..\\..\\windows\\system32",
    "C:\\Windows\\x",
    "NCT0\x00123",
    "",
    "   ",
    ".hidden",
    "<script>alert(1)</script>",
    "x" * 500,
    "试验/../../x",
    "~root",
    "$(rm -rf /)",
]


@pytest.mark.parametrize("trial_id", PATH_LIKE_IDS)
def test_record_file_names_stay_inside_out(trial_id: str, tmp_path: Path) -> None:
    out = tmp_path / "records"
    path = write_record(valid_record(trial_id, "ctgov-api"), out)
    assert path.resolve().parent == out.resolve()
    assert [p.name for p in out.iterdir()] == [path.name]
    assert not path.name.startswith(".") and len(path.name) <= 250
    assert set(safe_name(trial_id)) <= set(string.ascii_letters + string.digits + "_-")
    assert record_filename(valid_record(trial_id, "../x")) == f"{safe_name(trial_id)}.x.json"


def test_writing_over_a_symlink_replaces_the_link_not_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "records"
    out.mkdir()
    (out / "NCT01234567.ctgov-api.json").symlink_to(victim)
    path = write_record(valid_record(), out)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not path.is_symlink() and json.loads(path.read_text(encoding="utf-8"))["trial_id"]


# ---- atomic writes: an interrupted run leaves the previous report intact ---------------------


@pytest.fixture
def previous_run(tmp_path: Path, capsys):
    """A finished run's reports, then a records folder that has changed since."""
    folder = write_records(tmp_path / "records", GOOD_RECORDS)
    out = tmp_path / "reports"
    assert main(["run", "--records", str(folder), "--as-of", AS_OF, "--out", str(out)]) in (0, 1)
    write_records(folder, {"new.json": valid_record("NCT09500020", enrollment={"count": -1})})
    capsys.readouterr()
    return folder, out, {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_renderer_failure_leaves_no_stale_report(previous_run, monkeypatch, capsys) -> None:
    """A crash while rendering replaces the previous run's reports by an "incomplete" one, so
    nothing from before is left looking current."""
    import audit.report

    folder, out, before = previous_run
    assert {"findings.json", "index.html", "junit.xml", "summary.md"} <= set(before)

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(audit.report, "render_html", broken)
    assert main(["run", "--records", str(folder), "--as-of", AS_OF, "--out", str(out)]) == 2
    assert "audit crashed: exit 2" in capsys.readouterr().err
    now = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    assert set(now) == {"index.html", "junit.xml", "summary.md"}  # no temp files either
    assert all("renderer crashed" in text for text in now.values())


@pytest.mark.parametrize("full", ["for a moment", "for good"])
def test_a_full_disk_leaves_whole_files_and_nothing_stale(
    previous_run, monkeypatch, capsys, full
) -> None:
    """The disk fills up while the reports are replaced: the earlier reports are gone, what is
    left says the audit is incomplete, whole, and the temporary files are removed."""
    import audit.record

    folder, out, _ = previous_run
    replace, calls = os.replace, []

    def failing(source: str, target: str | Path) -> None:
        calls.append(target)
        if len(calls) == 2 or (full == "for good" and len(calls) > 2):
            raise OSError(28, "No space left on device")
        replace(source, target)

    monkeypatch.setattr(audit.record.os, "replace", failing)
    assert main(["run", "--records", str(folder), "--as-of", AS_OF, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err
    now = {p.name: p.read_bytes() for p in out.iterdir()}
    assert not any(name.startswith(".") for name in now)
    assert not set(now) & {"findings.json", "findings.sarif"}
    assert all(b"incomplete" in now[name] for name in now)
    if full == "for a moment":
        assert set(now) == {"index.html", "junit.xml", "summary.md"}


def test_atomic_write_interrupted_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    import audit.record

    target = tmp_path / "gate.json"
    target.write_text("old\n", encoding="utf-8")

    def interrupted(source: str, destination: str | Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(audit.record.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        audit.record.atomic_write(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["gate.json"]


def test_writing_several_files_replaces_none_when_one_fails_to_render(tmp_path: Path) -> None:
    """Reports are written one by one as they are rendered (to keep one in memory at a time)
    but renamed together: a later renderer's crash leaves the earlier files as they were."""
    import audit.record

    first, second = tmp_path / "index.html", tmp_path / "junit.xml"
    first.write_text("old page\n", encoding="utf-8")
    rendered = []

    def page() -> str:
        rendered.append("page")
        return "new page\n"

    def crashing() -> str:
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "page staged"
        raise RuntimeError("junit crashed")

    with pytest.raises(RuntimeError, match="junit crashed"):
        audit.record.atomic_write_all([(first, page), (second, crashing)])
    assert rendered == ["page"]
    assert first.read_text(encoding="utf-8") == "old page\n"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
    written = audit.record.atomic_write_all([(first, page), (second, lambda: "<x/>\n")])
    assert written == [first, second] and second.read_text(encoding="utf-8") == "<x/>\n"


# ---- the code base: atomic writers only, no unsafe loading ----------------------------------

PACKAGE = ROOT / "audit"
# Files that may write without atomic_write: bench.py writes its own timing file and
# /proc/self/clear_refs; synth.py generates a synthetic benchmark corpus, not the repository's
# records or reports.
NON_ATOMIC_WRITERS_ALLOWED = {"audit/bench.py", "audit/synth.py"}
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve"}
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__"}  # called by bare name
UNSAFE_METHODS = {"read_pickle", "from_string"}  # pandas, jinja2 (templates from data)
UNSAFE_YAML = {"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}


def _calls(tree: ast.AST) -> Iterator[tuple[ast.Call, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield node, name


def unsafe_uses(source: str) -> list[str]:
    """Unsafe loading in Python source: pickle-like modules, eval/exec, yaml.load and friends,
    templates built from strings, shell=True."""
    tree, found = ast.parse(source), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            found += [f"import {n}" for n in names if n.split(".")[0] in UNSAFE_MODULES]
    for call, name in _calls(tree):
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if name in UNSAFE_METHODS or (name in UNSAFE_BUILTINS and owner is None):
            found.append(f"{name}()")
        if name in UNSAFE_YAML and isinstance(owner, ast.Name) and owner.id == "yaml":
            found.append(f"yaml.{name}()")
        if any(k.arg == "Loader" for k in call.keywords):
            found.append(f"{name}(Loader=...)")
        if any(k.arg == "shell" for k in call.keywords):
            found.append(f"{name}(shell=...)")
        if name == "load" and any(k.arg == "allow_pickle" for k in call.keywords):
            found.append("load(allow_pickle=...)")
    return found


def direct_writes(source: str) -> list[str]:
    """Calls that write a file in place: write_text, write_bytes, open or fdopen for writing."""
    found = []
    for call, name in _calls(ast.parse(source)):
        if name in ("write_text", "write_bytes"):
            found.append(name)
        if name in ("open", "fdopen"):
            modes = [a.value for a in call.args[1:2] if isinstance(a, ast.Constant)]
            modes += [k.value.value for k in call.keywords if k.arg == "mode"]  # type: ignore[attr-defined]
            if any(set(str(m)) & set("wax+") for m in modes):
                found.append(f"{name}({modes[0]!r})")
    return found


def package_sources() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_the_scanners_find_what_they_look_for() -> None:
    bad = (
        "import pickle\nfrom marshal import loads\nimport yaml\nyaml.load(x)\n"
        "yaml.load(x, Loader=yaml.Loader)\neval(s)\nexec(s)\npd.read_pickle(p)\n"
        "env.from_string(t)\nsubprocess.run(c, shell=True)\nyaml.safe_load(x)\nre.compile(r)\n"
    )
    assert unsafe_uses(bad) == [
        "import pickle", "import marshal", "yaml.load()", "yaml.load()", "load(Loader=...)",
        "eval()", "exec()", "read_pickle()", "from_string()", "run(shell=...)",
    ]  # fmt: skip
    writes = "p.write_text(t)\nopen(p, 'w')\nopen(p)\nopen(p, mode='ab')\nos.fdopen(h, 'w')\n"
    assert direct_writes(writes) == ["write_text", "open('w')", "open('ab')", "fdopen('w')"]


def test_no_unsafe_loading_in_the_package() -> None:
    sources = package_sources()
    assert len(sources) > 20
    problems = {name: unsafe_uses(text) for name, text in sources.items()}
    assert {name: found for name, found in problems.items() if found} == {}
    assert all(
        "yaml.safe_load(" in sources[name] for name in ("audit/policy.py", "audit/waivers.py")
    )


def test_every_report_and_record_writer_is_atomic() -> None:
    sources = package_sources()
    writes = {name: direct_writes(text) for name, text in sources.items()}
    writes = {name: found for name, found in writes.items() if found}
    assert writes.pop("audit/record.py") == ["fdopen('wb')"]  # atomic_write itself
    assert set(writes) <= NON_ATOMIC_WRITERS_ALLOWED, writes
    record = sources["audit/record.py"]
    assert "_new_temporary(path)" in record and "os.replace(temporary, path)" in record
    for name in ("audit/engine.py", "audit/cli.py", "audit/report/__init__.py"):
        assert "atomic_write(" in sources[name], name
