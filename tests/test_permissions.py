"""Written files get the usual permissions: 0o666 less the umask (0o644 under umask 022), never
the 0o600 of ``tempfile.mkstemp``; folders 0o777 less the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import valid_record, write_records

from audit.cli import main
from audit.record import atomic_write

FIXTURES = Path(__file__).parent / "fixtures"


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes(folder: Path) -> dict[str, int]:
    """Permission bits of every file and folder under ``folder``, by relative path."""
    return {
        path.relative_to(folder).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    ("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)], ids=["022", "027", "077"]
)
def test_atomic_write_respects_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    target = tmp_path / "new" / "findings.json"
    with umask(mask):
        atomic_write(target, "{}\n")
        atomic_write(target, "{}\n")  # replacing an existing file too
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert [p.name for p in target.parent.iterdir()] == ["findings.json"]


def test_records_reports_and_caches_are_0644_under_umask_022(tmp_path: Path, capsys) -> None:
    records, reports, cache = tmp_path / "records", tmp_path / "reports", tmp_path / "cache"
    with umask(0o022):
        source = str(FIXTURES / "ctgov_xml" / "minimal.xml")
        assert main(["normalize", source, "--out", str(records)]) == 0
        write_records(records, {"NCT07654321.ctgov-api.json": valid_record("NCT07654321")})
        for _ in range(2):  # the second run rewrites the cache from the first one
            args = ["--records", str(records), "--out", str(reports), "--cache", str(cache)]
            assert main(["run", *args, "--as-of", "2026-11-22"]) in (0, 1)
    capsys.readouterr()
    written = modes(tmp_path)
    names = {Path(name).name for name in written}
    assert {"index.html", "findings.json", "summary.md", "checks.json", "index.json"} <= names
    assert any(name.endswith(".arrow") for name in names)
    folders = {name for name in written if (tmp_path / name).is_dir()}
    assert {name: written[name] for name in set(written) - folders} == dict.fromkeys(
        set(written) - folders, 0o644
    )
    assert {written[name] for name in folders} == {0o755}
