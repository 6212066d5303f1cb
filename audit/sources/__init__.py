"""Importers: one module per source format, each turning a file's text into records.

Each module defines ``NAME`` (the record's ``source``), ``sniff(path, head) -> bool`` (does
this file look like my format? ``head`` is the start of its text) and
``parse(path, text) -> list[dict]`` (records made with ``audit.record.new_record``) and
``CANNOT_CARRY``: the record fields its format has no place for, as paths ("outcomes.time_frame"
is every outcome's time frame, "arms" the whole list), so that completeness checks do not
report what a curator cannot fill from that source (see ``audit.capabilities``).
A file that cannot be read or understood raises ``SourceError`` naming the file and the reason.
An importer is registered by its entry in ``audit.vocab.IMPORTERS``, which every list of
sources derives from.
"""

from __future__ import annotations

import csv
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from audit.vocab import IMPORTERS, to_iso_date


class SourceError(Exception):
    """A source file that cannot be read or recognized; the message says which and why."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class NotTrialData(SourceError):
    """A file recognized as something kept beside trial data but holding no trials (a query
    log, a database to export first): in a folder, ``audit normalize`` skips it with a note."""


SQLITE_MAGIC = b"SQLite format 3\x00"


MAX_DIGITS = 15


def whole_number(digits: str | None) -> int | None:
    """A count from a run of digits ("1,200" -> 1200); None for anything else and for runs too
    long to be a count, so that hostile input never yields giant integers."""
    digits = (digits or "").strip().replace(",", "")
    return int(digits) if digits.isdecimal() and len(digits) <= MAX_DIGITS else None


# A whole date in a file name: 20200709 or 2020-07-09, not part of a longer run of digits.
_FILE_DATE = re.compile(r"(?<![0-9])(20[0-9]{2})(-?)([01][0-9])\2([0-3][0-9])(?![0-9])")


def file_date(path: Path) -> str | None:
    """The date a dated export's file name states (``..._20200709.tsv``,
    ``..._2020-07-07_4098trials.csv``): exactly one whole, valid date of this century, else
    None (``export.tsv``, two dates, ``2020-13-01`` or a date inside a longer number)."""
    found = _FILE_DATE.findall(path.name)
    if len(found) != 1:
        return None
    year, _, month, day = found[0]
    return to_iso_date(f"{year}-{month}-{day}")


def stamp_captured(records: list[dict], captured: str | None) -> list[dict]:
    """Set ``captured`` on records that have none, unless ``captured`` is before one of their
    last updates: a copy cannot predate what it holds, so such a date is not the capture."""
    updates = [r["last_update_posted"] for r in records if r.get("last_update_posted")]
    if captured is None or (updates and max(updates) > captured):
        return records
    for record in records:
        record["captured"] = record.get("captured") or captured
    return records


def stamp_newest_update(records: list[dict]) -> list[dict]:
    """A website download (the ClinicalTrials.gov JSON or CSV export) was made on or after the
    newest last update it holds: that date is its capture date, a lower bound, so time-based
    rules never blame the registry for time that passed after it."""
    updates = [r["last_update_posted"] for r in records if r.get("last_update_posted")]
    return stamp_captured(records, max(updates, default=None))


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SourceError(path, f"cannot read file ({error.strerror or error})") from error


def decode_text(path: Path, data: bytes) -> str:
    """The text of ``data`` (read from ``path``) as UTF-8 (a BOM is allowed); any other
    encoding is a clear error."""
    if not data.strip():
        raise SourceError(path, "file is empty")
    if data.startswith(SQLITE_MAGIC):
        raise NotTrialData(path, "an SQLite database, not read: export its records first")
    if b"\x00" in data[:4096]:
        raise SourceError(path, "binary data, not a text page or export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            path,
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save the page as UTF-8",
        ) from error


def csv_rows(path: Path, text: str, strict: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the row starts, cells) for each non-blank CSV row; a malformed
    row is a ``SourceError`` naming its line. ``strict`` also refuses a quote that is never
    closed (a truncated file) or is followed by more text (``"a"b``)."""
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        start = 0
        while start < len(text):
            end = text.find("\n", start)
            end = len(text) if end == -1 else end + 1
            consumed += 1
            yield text[start:end]
            start = end

    reader = csv.reader(lines(), strict=strict)
    while True:
        start_line = consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SourceError(
                path, f"CSV error in the row starting at line {start_line}: {error}"
            ) from error
        if cells:
            yield start_line, cells


def header_names(cells: list[str]) -> list[str]:
    """Header cells without surrounding white space or a byte-order mark."""
    return [cell.strip().lstrip("\ufeff").strip() for cell in cells]


def csv_header(head: str) -> list[str]:
    """The names in the first line of ``head`` read as a CSV header; [] if it is not CSV."""
    first_line = head.lstrip("\ufeff").split("\n", 1)[0]
    try:
        return header_names(next(csv.reader([first_line])))
    except (csv.Error, StopIteration):
        return []


def read_text(path: Path) -> str:
    """The file's text (see ``decode_text``)."""
    return decode_text(path, read_bytes(path))


def importers() -> list[ModuleType]:
    """The importers in the order they are tried (``vocab.IMPORTERS``)."""
    return [
        importlib.import_module(f"audit.sources.{module}")
        for modules in IMPORTERS.values()
        for module in modules
    ]


def cannot_carry(name: str) -> frozenset[str]:
    """The record fields that no format of source ``name`` can carry: a source with two
    formats (ctgov-classic: page and search export) carries what either of them carries. A
    name no importer writes carries everything."""
    declared = [frozenset(m.CANNOT_CARRY) for m in importers() if name == m.NAME]
    return frozenset.intersection(*declared) if declared else frozenset()


def by_name(name: str, path: Path, text: str) -> ModuleType:
    """The importer of source ``name``; of a source with two formats (ctgov-classic: page or
    search export; ctgov-xml: XML or ctrdata's JSON of it), the one that recognizes the file,
    else the last (the page format, the XML)."""
    named = [module for module in importers() if name == module.NAME]
    if not named:
        names = sorted({m.NAME for m in importers()})
        raise SourceError(name, f"unknown source {name!r}; choose from {', '.join(names)}")
    head = text[:65536]
    return next((module for module in named if module.sniff(path, head)), named[-1])


def detect(path: Path, text: str) -> ModuleType:
    from audit.sources import ctrdata

    head = text[:65536]
    for module in importers():
        if module.sniff(path, head):
            return module
    if ctrdata.is_meta_info(head):  # found next to ctrdata exports; say what it is
        raise NotTrialData(path, ctrdata.META_INFO)
    raise SourceError(
        path,
        "format not recognized (not a ClinicalTrials.gov API v2 JSON, legacy XML, ICTRP CSV, "
        "ClinicalTrials.gov website CSV download, classic ClinicalTrials.gov search export, "
        "ctrdata export (CTGOV, EUCTR, CTIS, ISRCTN), or a Veeva, classic ClinicalTrials.gov "
        "or MedPath page)",
    )


def import_data(path: Path, data: bytes, source: str | None = None) -> list[dict]:
    """Records from the bytes of one file, read from ``path`` (an archive member's ``path`` is
    the archive's joined with the member's name), with the importer named by ``source`` or
    detected from the text."""
    text = decode_text(path, data)
    module = by_name(source, path, text) if source else detect(path, text)
    return module.parse(path, text)


def import_file(path: Path, source: str | None = None) -> list[dict]:
    """Records from one file (see ``import_data``)."""
    return import_data(path, read_bytes(path), source)
