"""ctrdata's exports: trial records of several registers, one JSON object per NDJSON line.

ctrdata (the R package) stores each register's records in its own model and names the
register in every record's ``ctrname``: CTGOV2 (ClinicalTrials.gov API v2), CTGOV (the legacy
XML converted to JSON), EUCTR, CTIS and ISRCTN. One export may mix registers, so every line is
sent to the importer of its own register; a line without ``ctrname`` is recognized by the keys
its register's model uses (``protocolSection``, ``id_info``, ``a2_eudract_number``,
``ctNumber``, ``isrctn``). The ``meta-info`` document (the queries behind the export) is not a
trial and is skipped when it appears as a line; as a file of its own (``meta-info.json``) it
is refused with a clear message.

``captured`` is the day ctrdata loaded the record (``record_last_import``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from audit.sources import NotTrialData, SourceError, ctgov_xml, jsondoc
from audit.vocab import to_iso_date

#: ctrname -> the importer module of that register's model.
REGISTERS = {
    "CTGOV2": "ctgov_api",
    "CTGOV": "ctgov_json",
    "EUCTR": "euctr",
    "CTIS": "ctis",
    "ISRCTN": "isrctn",
}
#: Top-level keys that only one register's model has, for records without ``ctrname``.
MARKERS = {
    "CTGOV2": ("protocolSection",),
    "CTGOV": ("id_info", "required_header"),
    "EUCTR": ("a2_eudract_number", "x5_trial_status", "eudractNumber"),
    "CTIS": ("ctNumber",),
    "ISRCTN": ("isrctn",),
}
META_INFO = "a ctrdata meta-info file (the queries behind an export), not trial records"

_CTRNAME = re.compile(r'"ctrname"\s*:\s*"([A-Z0-9]+)"')
_MARKER = re.compile(r'"(' + "|".join(key for keys in MARKERS.values() for key in keys) + r')"\s*:')
_REGISTER_OF_KEY = {key: register for register, keys in MARKERS.items() for key in keys}


# --- recognizing an export -------------------------------------------------------------------


def head_register(head: str) -> str | None:
    """The register of the first record in ``head`` (the start of a file): its ``ctrname``
    when the head shows it, else the register whose marker key comes first. Records often
    outgrow the head and ctrdata writes ``ctrname`` near their end, hence the markers."""
    text = head.lstrip("\ufeff \t\r\n")
    if text[:1] not in ("{", "["):
        return None
    named = _CTRNAME.search(text)
    if named and named.group(1) in REGISTERS:
        return named.group(1)
    marker = _MARKER.search(text)
    return _REGISTER_OF_KEY[marker.group(1)] if marker else None


def sniff(head: str, register: str) -> bool:
    return head_register(head) == register


def is_meta_info(head: str) -> bool:
    """ctrdata's meta-info document: ``{"queries": [{"query-timestamp": ...}]}``."""
    text = head.lstrip("\ufeff \t\r\n")
    return text[:1] == "{" and '"queries"' in text and '"query-register"' in text


def is_export_line(value: Any) -> bool:
    """A JSON value that is a ctrdata record (it names its register in ``ctrname``)."""
    return isinstance(value, dict) and isinstance(value.get("ctrname"), str)


def register_of(value: dict) -> str | None:
    name = value.get("ctrname")
    if isinstance(name, str):
        return name if name in REGISTERS else None
    found = {_REGISTER_OF_KEY[key] for key in value if key in _REGISTER_OF_KEY}
    return found.pop() if len(found) == 1 else None


# --- reading an export -----------------------------------------------------------------------


def parse(path: Path, text: str, source: str) -> list[dict]:
    """The records of every line; the importer of ``source`` chose the file, so at least one
    of them must be of its register."""
    return records(path, entries(path, text), source)


def entries(path: Path, text: str) -> list[tuple[str, Any]]:
    """Each JSON value of the file (NDJSON lines, an array's items or the one object) with a
    label for error messages ("line 3")."""
    data = jsondoc.document(path, text.lstrip("\ufeff"))
    if isinstance(data, jsondoc.Lines):
        return data.items
    if isinstance(data, list):
        return [(f"record [{i}]", value) for i, value in enumerate(data)]
    return [("the record", data)]


def records(path: Path, values: list[tuple[str, Any]], source: str) -> list[dict]:
    """The record of each value, the meta-info document skipped."""
    made = [record(path, value, where) for where, value in values if not _is_meta(value)]
    if not made:
        if values:
            raise NotTrialData(path, META_INFO)
        raise SourceError(path, "contains no records")
    if all(r["source"] != source for r in made):
        found = ", ".join(sorted({r["source"] for r in made}))
        raise SourceError(path, f"no {source} record in this ctrdata export (found {found})")
    return made


def _is_meta(value: Any) -> bool:
    return isinstance(value, dict) and (value.get("_id") == "meta-info" or "queries" in value)


def _importer(register: str) -> ModuleType:
    # Imported when needed: the register modules import this one.
    return importlib.import_module(f"audit.sources.{REGISTERS[register]}")


def record(path: Path, value: Any, where: str) -> dict:
    """The record of one ctrdata line, made by its register's importer."""
    if not isinstance(value, dict):
        raise SourceError(path, f"{where}: a JSON {type(value).__name__}, not a trial record")
    register = register_of(value)
    if register is None:
        named = value.get("ctrname")
        reason = (
            f"ctrname {named!r} is not one of {', '.join(REGISTERS)}"
            if named is not None
            else "no ctrname, and its keys name no register this tool reads"
        )
        raise SourceError(path, f"{where}: {reason}")
    made = _importer(register).record(path, value, where)
    # The day ctrdata loaded the record is when this copy was made; a date the register's own
    # document carries (a CTGOV record's download date) is older.
    made["captured"] = captured(value) or made["captured"]
    return made


def captured(value: dict) -> str | None:
    """The day ctrdata loaded the record ("2024-06-17 20:10:58" -> 2024-06-17)."""
    return to_iso_date(line(value.get("record_last_import")))


# --- reading values ------------------------------------------------------------------------
# ctrdata's models come from XML (EUCTR, ISRCTN) or JSON (CTIS): one child is an object and
# several are a list; numbers and booleans are often strings; empty elements are "" or {}.


def obj(value: Any, *keys: str) -> dict:
    """The object at ``keys`` inside ``value``, or {} when any step is missing or not one."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def objs(value: Any, *keys: str) -> list[dict]:
    """The objects at ``keys``: a list's objects, or a single object as a list of one."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def line(value: Any) -> str | None:
    """A string or number as one line of text (whitespace collapsed); None when empty."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return " ".join(str(value).split()) or None


def lines(values: Any) -> list[str]:
    """The non-empty texts of a value or list of values, duplicates dropped, order kept."""
    items = values if isinstance(values, list) else [values]
    return unique(text for item in items if (text := line(item)))


def block(value: Any) -> str | None:
    """A multi-line text: spaces collapsed within lines, at most one blank line in a row."""
    if not isinstance(value, str):
        return line(value)
    kept: list[str] = []
    for raw in value.splitlines():
        text = " ".join(raw.split())
        if text or (kept and kept[-1]):
            kept.append(text)
    return "\n".join(kept).strip() or None


def day(value: Any) -> str | None:
    """An ISO date from a date or a timestamp: "2019-01-18T00:00:00+01:00" -> 2019-01-18 (the
    day as written; converting the zone would move it to the day before), "28/04/2021"."""
    text = line(value)
    if text and re.match(r"\d{4}-\d{2}-\d{2}T", text):
        text = text[:10]
    return to_iso_date(text)


def flag(value: Any) -> bool | None:
    """Yes/No, true/false (strings or booleans) as a bool; None for anything else."""
    if isinstance(value, bool):
        return value
    word = (line(value) or "").lower()
    return {"yes": True, "true": True, "no": False, "false": False}.get(word)


def items(value: Any) -> list[str]:
    """The items of a list written as text (bullets and numbered lines, paragraphs), split as
    legacy ClinicalTrials.gov criteria are; a text without them is one item."""
    inclusion, exclusion = ctgov_xml.criteria(block(value))
    return inclusion + exclusion


def unique(values: Iterable[Any]) -> list[Any]:
    kept: list[Any] = []
    for item in values:
        if item not in kept:
            kept.append(item)
    return kept
