"""The normalized record: one JSON object per (trial, source), in ``records/<id>.<source>.json``.

Its fields are declared in ``audit/fields.py``; its contract is ``audit/record.schema.json``
(JSON Schema 2020-12, generated from that declaration). Files are written with
sorted keys, 2-space indent and a final newline so that pull-request diffs stay readable.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from audit.fields import empty_record

SCHEMA_PATH = Path(__file__).with_name("record.schema.json")


def new_record(**fields: Any) -> dict[str, Any]:
    """A record with every field present (null or empty), updated with ``fields``."""
    record = empty_record()
    unknown = set(fields) - set(record)
    if unknown:
        raise KeyError(f"not record fields: {sorted(unknown)}")
    record.update(fields)
    return record


def intervention(type_: str | None, name: str, description: str | None = None) -> dict:
    return {"type": type_, "name": name, "description": description}


def arm(
    label: str,
    type_: str | None = None,
    description: str | None = None,
    interventions: list[str] | None = None,
    planned_size: int | None = None,
) -> dict:
    return {
        "label": label,
        "type": type_,
        "description": description,
        "interventions": interventions or [],
        "planned_size": planned_size,
    }


def person(
    name: str | None,
    role: str,
    degrees: list[str] | None = None,
    email: str | None = None,
    phone: str | None = None,
    affiliation: str | None = None,
) -> dict:
    return {
        "name": name,
        "role": role,
        "degrees": degrees or [],
        "email": email,
        "phone": phone,
        "affiliation": affiliation,
    }


def contact(
    name: str | None,
    role: str,
    degrees: list[str] | None = None,
    email: str | None = None,
    phone: str | None = None,
    affiliation: str | None = None,
) -> dict | None:
    """A person entry, which may have no name (None) when it gives an email or phone; None when
    it gives no name, email or phone (nobody to name or reach). A name of "" is kept: it is
    text the source wrote, such as a bare degree, and placeholder-contact reports it."""
    if name is None and not (email or phone):
        return None
    return person(name, role, degrees, email, phone, affiliation)


def site(
    facility: str | None,
    city: str | None = None,
    state: str | None = None,
    zip_: str | None = None,
    country: str | None = None,
    status: str | None = None,
) -> dict:
    return {
        "facility": facility,
        "city": city,
        "state": state,
        "zip": zip_,
        "country": country,
        "status": status,
    }


def outcome(kind: str, measure: str, time_frame: str | None = None) -> dict:
    return {"kind": kind, "measure": measure, "time_frame": time_frame}


def dumps(record: dict[str, Any]) -> str:
    """The canonical text of a record: sorted keys, 2-space indent, final newline."""
    return json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_name(text: str) -> str:
    """A file-name part made only of letters, digits, '-' and '_' (never '.', '/' or '..')."""
    cleaned = _UNSAFE.sub("_", text).strip("_")
    return cleaned[:120] or "unnamed"


def record_filename(record: dict[str, Any]) -> str:
    return f"{safe_name(str(record['trial_id']))}.{safe_name(str(record['source']))}.json"


def _new_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path``, open for writing. Unlike ``tempfile.mkstemp`` (always
    0o600) it is created 0o666 less the umask, as ``open`` would, so the renamed file gets the
    usual permissions."""
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write through a temporary file in the same folder and rename, so readers never see half."""
    atomic_write_all([(path, lambda: text)])


def atomic_write_all(outputs: Iterable[tuple[Path, Callable[[], str | bytes]]]) -> list[Path]:
    """Render each output (text, or UTF-8 bytes as orjson gives them: not decoded only to be
    encoded again) and write it to a temporary file beside its path, one at a time (so only
    one rendered text is in memory), then rename them all: a failure while rendering any
    leaves every file as it was."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, render in outputs:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = _new_temporary(path)
            staged.append((temporary, path))
            with os.fdopen(handle, "wb") as stream:
                text = render()
                stream.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        for temporary, path in staged:
            os.replace(temporary, path)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    return [path for _, path in staged]


def write_record(record: dict[str, Any], out_dir: Path) -> Path:
    path = out_dir / record_filename(record)
    atomic_write(path, dumps(record))
    return path


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema())


def schema_errors(record: Any) -> list[str]:
    """Every JSON Schema violation of ``record`` as "field.path: message", sorted."""
    messages = []
    for error in validator().iter_errors(record):
        where = ".".join(str(p) for p in error.instance_path) or "(record)"
        messages.append(f"{where}: {error.message}")
    return sorted(messages)
