"""`audit normalize` on folders as users have them: documentation beside the data is skipped
with a notice, archives are read in place, and a data file it cannot read is still an error."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

import audit.inputs
from audit.cli import main
from audit.inputs import is_documentation

FIXTURES = Path(__file__).parent / "fixtures"
VEEVA_PAGE = FIXTURES / "veeva" / "completed_three_arms.txt"
# What SOURCE.md files look like: they name the formats, so an importer would claim them.
SOURCE_MD = "# sample\n\n- legacy `<clinical_study>` XML, one study per file\n"


def study_xml(nct_id: str) -> str:
    text = (FIXTURES / "ctgov_xml" / "minimal.xml").read_text(encoding="utf-8")
    return text.replace("NCT09999901", nct_id)


def normalize(tmp_path: Path, capsys, *paths: Path) -> tuple[int, str, list[str]]:
    """(exit code, stderr, record files written) of `audit normalize PATHS`."""
    out = tmp_path / "out"
    code = main(["normalize", *map(str, paths), "--out", str(out)])
    err = capsys.readouterr().err
    return code, err, sorted(p.name for p in out.iterdir()) if out.exists() else []


@pytest.mark.parametrize(
    "name",
    [
        "README", "README.md", "readme.txt", "SOURCE.md", "Source.txt", "LICENSE", "LICENCE.txt",
        "COPYING", "NOTICE", "CHANGELOG.md", "AUTHORS", "CITATION.cff", "notes.rst",
        "protocol.PDF", "figure.png", "photo.jpeg", "guide.docx",
    ],
)  # fmt: skip
def test_documentation_names(name: str) -> None:
    assert is_documentation(name)


@pytest.mark.parametrize(
    "name",
    [
        "page.txt", "000_a5dd055d1905e3cc.txt", "NCT04441658.txt", "source_ictrp.csv",
        "SOURCE.csv", "readme.json", "license.xml", "export.tsv", "studies.ndjson", "notes",
    ],
)  # fmt: skip
def test_data_names_are_not_documentation(name: str) -> None:
    assert not is_documentation(name)


def test_folder_documentation_is_skipped_with_a_notice(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    (folder / "xml").mkdir(parents=True)
    (folder / "xml" / "NCT09999911.xml").write_text(study_xml("NCT09999911"), encoding="utf-8")
    (folder / "xml" / "SOURCE.md").write_text(SOURCE_MD, encoding="utf-8")
    shutil.copy(VEEVA_PAGE, folder / "page.txt")  # a captured page: read, never skipped
    (folder / "README").write_text("How these files were fetched.\n", encoding="utf-8")
    (folder / "LICENSE.txt").write_text("CC BY 4.0\n", encoding="utf-8")
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / ".gitkeep").write_text("", encoding="utf-8")  # hidden: passed over silently
    code, err, written = normalize(tmp_path, capsys, folder)
    assert code == 0, err
    assert err.splitlines() == [
        f"skipped: {folder / name} (documentation)"
        for name in ("LICENSE.txt", "README", "figure.png", "xml/SOURCE.md")
    ]
    assert "NCT09999911.ctgov-xml.json" in written and len(written) == 2


def test_unreadable_data_is_still_an_error_and_named_documentation_is_read(
    tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "NCT09999912.xml").write_text(study_xml("NCT09999912"), encoding="utf-8")
    (folder / "SOURCE.md").write_text(SOURCE_MD, encoding="utf-8")
    (folder / "broken.xml").write_text("<clinical_study><id_info>", encoding="utf-8")
    code, err, written = normalize(tmp_path, capsys, folder)
    assert code == 1
    assert f"error: {folder / 'broken.xml'}: malformed XML" in err
    assert f"skipped: {folder / 'SOURCE.md'} (documentation)" in err
    assert written == ["NCT09999912.ctgov-xml.json"]

    named = folder / "SOURCE.md"  # named on the command line: the user's choice, read
    code, err, _ = normalize(tmp_path, capsys, named)
    assert code == 1
    assert f"error: {named}: malformed XML" in err and "skipped" not in err


# --- archives ------------------------------------------------------------------------------


def _tar_file(name: str, data: bytes) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, io.BytesIO(data)


def write_tar(path: Path, members: dict[str, bytes], link: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            archive.addfile(*_tar_file(name, data))
        if link:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(info)
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def studies(*ids: str, folder: str = "NCT0999xxxx") -> dict[str, bytes]:
    return {f"{folder}/{nct}.xml": study_xml(nct).encode() for nct in ids}


def test_tar_and_zip_archives_are_read_member_by_member(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    tar = write_tar(
        folder / "NCT0999xxxx.tar.gz",
        {
            **studies("NCT09999921", "NCT09999922"),
            "NCT0999xxxx/README.md": SOURCE_MD.encode(),
            "NCT0999xxxx/._NCT09999921.xml": b"\x00\x05\x16\x07",  # macOS metadata: hidden
            "NCT0999xxxx/broken.xml": b"<clinical_study>",
        },
        link="NCT0999xxxx/link.xml",
    )
    zipped = write_zip(folder / "more.zip", studies("NCT09999923", folder="AllPublicXML"))
    code, err, written = normalize(tmp_path, capsys, folder)
    assert code == 1
    assert sorted(err.splitlines()) == sorted(
        [
            f"skipped: {tar}/NCT0999xxxx/README.md (documentation)",
            f"error: {tar}/NCT0999xxxx/broken.xml: malformed XML at line 1, column 17: "
            "no element found",
            f"error: {tar}/NCT0999xxxx/link.xml: is a link or special file in the archive; "
            "not read",
        ]
    )
    assert written == [f"NCT0999992{n}.ctgov-xml.json" for n in (1, 2, 3)]
    record = json.loads((tmp_path / "out" / written[2]).read_text(encoding="utf-8"))
    assert record["source_file"] == f"{zipped}/AllPublicXML/NCT09999923.xml"


def test_a_broken_archive_is_an_error_and_the_rest_is_written(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = write_tar(folder / "good.tgz", studies("NCT09999931"))
    (folder / "bad.tar.gz").write_bytes(good.read_bytes()[:40])  # cut off
    (folder / "bad.zip").write_bytes(b"PK\x03\x04 not really a zip")
    code, err, written = normalize(tmp_path, capsys, folder)
    assert code == 1
    errors = err.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {folder / 'bad.tar.gz'}: cannot read the archive (")
    assert errors[1].startswith(f"error: {folder / 'bad.zip'}: cannot read the archive (")
    assert written == ["NCT09999931.ctgov-xml.json"]


def test_a_member_too_large_unpacked_is_not_read(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(audit.inputs, "MAX_MEMBER_BYTES", 100)
    archive = write_zip(tmp_path / "bomb.zip", studies("NCT09999941"))
    code, err, written = normalize(tmp_path, capsys, archive)
    assert code == 1 and written == []
    size = len(study_xml("NCT09999941").encode())
    assert (
        f"error: {archive}/NCT0999xxxx/NCT09999941.xml: is {size:,} bytes unpacked, over the "
        "limit of 100; not read"
    ) in err


# --- the real data -------------------------------------------------------------------------


@pytest.mark.shared
def test_real_legacy_xml_folders_normalize_cleanly(data: Path, tmp_path: Path, capsys) -> None:
    """SOURCE.md beside the XML once failed as malformed XML, and the AllPublicXML tarball as
    binary data; SOURCE.md says 5,754 + 281 + 750 studies."""
    allpublic = data / "ctgov_legacy_xml_allpublicxml_2023-02"
    code, err, written = normalize(tmp_path, capsys, allpublic)
    assert code == 0, err
    assert err.splitlines() == [f"skipped: {allpublic / 'SOURCE.md'} (documentation)"]
    assert len(written) == 6785


@pytest.mark.shared
def test_real_website_exports_normalize_cleanly(data: Path, tmp_path: Path, capsys):
    """The JSON exports and the website's CSV download of the same 120 studies, beside a
    SOURCE.md: every data file imports (the CSV as its own source, ctgov-csv)."""
    folder = data / "ctgov_v2_website_exports"
    code, err, written = normalize(tmp_path, capsys, folder)
    assert code == 0, err
    assert err.splitlines() == [f"skipped: {folder / 'SOURCE.md'} (documentation)"]
    assert len(written) == 648 + 120
    assert sum(name.endswith(".ctgov-csv.json") for name in written) == 120


def test_files_kept_beside_trial_data_are_skipped_in_folders_only(tmp_path: Path, capsys):
    """A ctrdata query log and an SQLite database sit beside ctrdata's NDJSON exports: in a
    folder they are skipped with a note; named on the command line they are errors."""
    folder = tmp_path / "export"
    folder.mkdir()
    meta = folder / "meta-info.json"
    meta.write_text('{"queries": [{"query-register": "EUCTR", "query-term": "x"}]}\n')
    database = folder / "trials.sqlite"
    database.write_bytes(b"SQLite format 3\x00" + bytes(200))
    code, err, written = normalize(tmp_path, capsys, folder)
    assert code == 0, err
    assert f"skipped: {database} (an SQLite database, not read: export its records first)" in err
    assert f"skipped: {meta} (a ctrdata meta-info file" in err
    assert written == []
    code, err, _ = normalize(tmp_path, capsys, meta, database)
    assert code == 1 and err.count("error: ") == 2
