"""The normalized record: one JSON object per (trial, source), in ``records/<id>.<source>.json``.

Its contract is ``audit/record.schema.json`` (JSON Schema 2020-12). Files are written with
sorted keys, 2-space indent and a final newline so that pull-request diffs stay readable.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("record.schema.json")

_EMPTY_RECORD: dict[str, Any] = {
    "trial_id": None,
    "nct_id": None,
    "secondary_ids": [],
    "source": None,
    "source_file": None,
    "source_lines": {},
    "captured": None,
    "title": None,
    "official_title": None,
    "overall_status": None,
    "status_text": None,
    "status_family": None,
    "last_known_status": None,
    "status_verified": None,
    "phases": [],
    "study_type": None,
    "allocation": None,
    "intervention_model": None,
    "masking": None,
    "who_masked": [],
    "primary_purpose": None,
    "stated_arm_count": None,
    "enrollment": {"count": None, "type": None},
    "start_date": {"date": None, "type": None},
    "primary_completion_date": {"date": None, "type": None},
    "completion_date": {"date": None, "type": None},
    "first_posted": None,
    "last_update_posted": None,
    "sponsor": None,
    "collaborators": [],
    "conditions": [],
    "interventions": [],
    "arms": [],
    "people": [],
    "sites": [],
    "outcomes": [],
    "eligibility": {
        "sex": None,
        "min_age_years": None,
        "max_age_years": None,
        "healthy_volunteers": None,
        "inclusion": [],
        "exclusion": [],
    },
    "descriptions": {"brief_summary": None, "detailed_description": None},
    "participant_flow": [],
}


def new_record(**fields: Any) -> dict[str, Any]:
    """A record with every field present (null or empty), updated with ``fields``."""
    record = copy.deepcopy(_EMPTY_RECORD)
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
    name: str,
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


def atomic_write(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and rename, so readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
