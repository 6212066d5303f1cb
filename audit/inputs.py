"""What ``audit normalize`` reads: the files it is given, every file in the folders it is given,
and every file inside the archives among them.

* Inside a folder or an archive, hidden files and folders (a name starting with ".", such as
  ``.gitkeep`` or ``.git/``) are passed over silently, and symbolic links are reported, never
  followed.
* Documentation kept beside the data is skipped, with a notice: files ending in one of
  ``DOCUMENT_SUFFIXES`` (``.md``, ``.rst``, ``.pdf``, images ...), and files named one of
  ``DOCUMENT_NAMES`` (``README``, ``LICENSE``, ``SOURCE`` ...) with no suffix or ``.txt``.
  Pages are captured as ``.txt`` too, so other ``.txt`` files are always read. Names are
  compared ignoring case.
* Archives (``ARCHIVE_SUFFIXES``: tar, plain or compressed with gzip, bzip2 or xz, and zip)
  are read in place, member by member, each labelled ``ARCHIVE/MEMBER``; a member larger than
  ``MAX_MEMBER_BYTES`` unpacked is reported and not read. Archives inside archives are not
  opened.
* A file named on the command line is never skipped, and a symbolic link named there is
  followed.
"""

from __future__ import annotations

import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from audit.sources import SourceError, read_bytes

# fmt: off
DOCUMENT_SUFFIXES = frozenset({
    ".md", ".markdown", ".rst", ".adoc", ".pdf", ".doc", ".docx", ".odt", ".rtf", ".cff",
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".tif", ".tiff",
})
DOCUMENT_NAMES = frozenset({
    "readme", "license", "licence", "copying", "notice", "changelog", "authors", "contributing",
    "citation", "source",
})
# fmt: on
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")
MAX_MEMBER_BYTES = 256 * 1024 * 1024
_ARCHIVE_ERRORS = (
    OSError,  # gzip.BadGzipFile, bz2's errors, unreadable files
    EOFError,
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
)


@dataclass(frozen=True)
class Input:
    """A file to import, whose ``read()`` gives its bytes or raises ``SourceError``; or, when
    ``skipped`` says why, a file passed over with a notice."""

    path: Path
    read: Callable[[], bytes]
    skipped: str | None = None
    named: bool = False  # given on the command line, not found in a folder


def is_documentation(name: str) -> bool:
    """Is a file of this name documentation kept beside the data (see the module's doc)?"""
    lowered = name.lower()
    stem, dot, suffix = lowered.partition(".")
    if PurePosixPath(lowered).suffix in DOCUMENT_SUFFIXES:
        return True
    return stem in DOCUMENT_NAMES and (not dot or suffix == "txt")


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def inputs(paths: list[Path]) -> Iterator[Input]:
    """The named files, and every file in the named folders (sorted), archives opened."""
    for path in paths:
        if path.is_dir():
            for found in _folder_files(path):
                yield from _file(found, named=False)
        else:
            yield from _file(path, named=True)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") and part != ".." for part in parts)


def _folder_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink()) and not _hidden(p.relative_to(folder).parts)
    )


def _refusal(path: Path, reason: str) -> Callable[[], bytes]:
    def read() -> bytes:
        raise SourceError(path, reason)

    return read


def _documentation(path: Path) -> Input:
    return Input(path, _refusal(path, "documentation, not read"), "documentation")


def _file(path: Path, named: bool) -> Iterator[Input]:
    if not named and is_documentation(path.name):
        yield _documentation(path)
    elif not named and path.is_symlink():
        reason = "is a symbolic link; links inside folders are not followed"
        yield Input(path, _refusal(path, reason))
    elif is_archive(path):
        yield from _archive(path)
    else:
        yield Input(path, partial(read_bytes, path), named=named)


# --- archives ----------------------------------------------------------------------------

#: An archive member as both formats describe it: name, whether it is a regular file, its
#: size unpacked, and how to read it.
_Member = tuple[str, bool, int, Callable[[], bytes]]


def _archive(path: Path) -> Iterator[Input]:
    """Each member of an archive; a broken archive ends with an error naming it."""
    members = _zip_members if path.name.lower().endswith(".zip") else _tar_members
    try:
        for name, regular, size, read in members(path):
            found = _member(path, name, regular, size, read)
            if found is not None:
                yield found
    except _ARCHIVE_ERRORS as error:
        yield Input(path, _refusal(path, f"cannot read the archive ({error})"))


def _member(
    archive: Path, name: str, regular: bool, size: int, read: Callable[[], bytes]
) -> Input | None:
    parts = PurePosixPath(name).parts
    if not parts or _hidden(parts):
        return None
    path = archive.joinpath(*(part for part in parts if part != "/"))
    if is_documentation(parts[-1]):
        return _documentation(path)
    if not regular:
        return Input(path, _refusal(path, "is a link or special file in the archive; not read"))
    if size > MAX_MEMBER_BYTES:
        reason = f"is {size:,} bytes unpacked, over the limit of {MAX_MEMBER_BYTES:,}; not read"
        return Input(path, _refusal(path, reason))
    try:
        data = read()  # now, in archive order: a compressed tar cannot seek back cheaply
    except _ARCHIVE_ERRORS as error:
        return Input(path, _refusal(path, f"cannot unpack this member ({error})"))
    return Input(path, lambda: data)


def _tar_members(path: Path) -> Iterator[_Member]:
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if not member.isdir():
                yield member.name, member.isreg(), member.size, partial(_extract, archive, member)


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = archive.extractfile(member)
    return stream.read() if stream is not None else b""


def _zip_members(path: Path) -> Iterator[_Member]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                link = stat.S_ISLNK(info.external_attr >> 16)
                yield info.filename, not link, info.file_size, partial(archive.read, info)
