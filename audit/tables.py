"""Records -> pandas tables: the one shape every schema, expectation and rule reads.

Seven tables, one row per item, each keyed by ``record_file``, ``trial_id`` and ``source``:
studies, arms, interventions, people, sites, outcomes, identifiers. Values of the wrong JSON
type (already reported by the loader) become nulls here, so a broken record never breaks a
check; the pandera layer then reports what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TABLE_NAMES = ("studies", "arms", "interventions", "people", "sites", "outcomes", "identifiers")
KEY_COLUMNS = ("record_file", "trial_id", "source")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _texts(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _joined(value: Any) -> str | None:
    items = _texts(value)
    return "|".join(items) if items else None


def _total(counts: list[int | None]) -> int | None:
    """The sum of the stated counts; None when none is stated or the sum is past int64."""
    total = sum(c for c in counts if c is not None)
    return total if counts and total < 2**63 else None


def _study_row(record: dict[str, Any]) -> dict[str, Any]:
    enrollment = _dict(record.get("enrollment"))
    eligibility = _dict(record.get("eligibility"))
    descriptions = _dict(record.get("descriptions"))
    flow = [_count(g.get("started")) for g in _items(record.get("participant_flow"))]
    row: dict[str, Any] = {
        "nct_id": _text(record.get("nct_id")),
        "captured": _text(record.get("captured")),
        "title": _text(record.get("title")),
        "official_title": _text(record.get("official_title")),
        "overall_status": _text(record.get("overall_status")),
        "status_text": _text(record.get("status_text")),
        "status_family": _text(record.get("status_family")),
        "last_known_status": _text(record.get("last_known_status")),
        "status_verified": _text(record.get("status_verified")),
        "phases": _joined(record.get("phases")),
        "study_type": _text(record.get("study_type")),
        "allocation": _text(record.get("allocation")),
        "intervention_model": _text(record.get("intervention_model")),
        "masking": _text(record.get("masking")),
        "who_masked": _joined(record.get("who_masked")),
        "primary_purpose": _text(record.get("primary_purpose")),
        "stated_arm_count": _count(record.get("stated_arm_count")),
        "enrollment_count": _count(enrollment.get("count")),
        "enrollment_type": _text(enrollment.get("type")),
    }
    for name in ("start_date", "primary_completion_date", "completion_date"):
        dated = _dict(record.get(name))
        row[name] = _text(dated.get("date"))
        row[f"{name}_type"] = _text(dated.get("type"))
    row.update(
        {
            "first_posted": _text(record.get("first_posted")),
            "last_update_posted": _text(record.get("last_update_posted")),
            "sponsor": _text(record.get("sponsor")),
            "collaborators": _joined(record.get("collaborators")),
            "conditions": _joined(record.get("conditions")),
            "sex": _text(eligibility.get("sex")),
            "min_age_years": _number(eligibility.get("min_age_years")),
            "max_age_years": _number(eligibility.get("max_age_years")),
            "healthy_volunteers": _flag(eligibility.get("healthy_volunteers")),
            "inclusion": "\n".join(_texts(eligibility.get("inclusion"))) or None,
            "exclusion": "\n".join(_texts(eligibility.get("exclusion"))) or None,
            "brief_summary": _text(descriptions.get("brief_summary")),
            "detailed_description": _text(descriptions.get("detailed_description")),
            "arm_count": len(_items(record.get("arms"))),
            "intervention_count": len(_items(record.get("interventions"))),
            "flow_group_count": len(flow),
            "flow_started_total": _total(flow),
        }
    )
    return row


def _arm_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": _text(item.get("label")),
        "type": _text(item.get("type")),
        "description": _text(item.get("description")),
        "interventions": _joined(item.get("interventions")),
        "planned_size": _count(item.get("planned_size")),
    }


def _intervention_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": _text(item.get("type")),
        "name": _text(item.get("name")),
        "description": _text(item.get("description")),
    }


def _person_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(item.get("name")),
        "role": _text(item.get("role")),
        "degrees": _joined(item.get("degrees")),
        "email": _text(item.get("email")),
        "phone": _text(item.get("phone")),
        "affiliation": _text(item.get("affiliation")),
    }


def _site_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _text(item.get(name))
        for name in ("facility", "city", "state", "zip", "country", "status")
    }


def _outcome_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": _text(item.get("kind")),
        "measure": _text(item.get("measure")),
        "time_frame": _text(item.get("time_frame")),
    }


def _identifier_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    if _text(record.get("trial_id")):
        rows.append({"identifier": record["trial_id"], "kind": "trial_id"})
    if _text(record.get("nct_id")):
        rows.append({"identifier": record["nct_id"], "kind": "nct_id"})
    rows += [{"identifier": i, "kind": "secondary"} for i in _texts(record.get("secondary_ids"))]
    return rows


_ITEM_TABLES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "arms": ("arms", _arm_row),
    "interventions": ("interventions", _intervention_row),
    "people": ("people", _person_row),
    "sites": ("sites", _site_row),
    "outcomes": ("outcomes", _outcome_row),
}

_COLUMN_TYPES = {
    "stated_arm_count": "Int64",
    "enrollment_count": "Int64",
    "arm_count": "Int64",
    "intervention_count": "Int64",
    "flow_group_count": "Int64",
    "flow_started_total": "Int64",
    "planned_size": "Int64",
    "item": "Int64",
    "min_age_years": "Float64",
    "max_age_years": "Float64",
    "healthy_volunteers": "boolean",
}


@dataclass
class Tables:
    studies: pd.DataFrame
    arms: pd.DataFrame
    interventions: pd.DataFrame
    people: pd.DataFrame
    sites: pd.DataFrame
    outcomes: pd.DataFrame
    identifiers: pd.DataFrame

    def items(self) -> Iterable[tuple[str, pd.DataFrame]]:
        for spec in fields(self):
            yield spec.name, getattr(self, spec.name)

    def subset(self, record_files: Iterable[str]) -> Tables:
        """The rows of these record files only, in the same order."""
        keep = pa.array(list(record_files), type=pa.string())
        return Tables(
            **{
                name: frame[among(frame["record_file"], keep)].reset_index(drop=True)
                for name, frame in self.items()
            }
        )


def among(column: pd.Series, values: pa.Array) -> np.ndarray:
    """Which cells of a string column are among ``values`` (Arrow's hash lookup: several times
    faster than ``Series.isin`` on hundreds of thousands of values)."""
    found = pc.is_in(pa.array(column, type=pa.string()), value_set=values)
    return found.to_numpy(zero_copy_only=False).astype(bool)


def _frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: pd.array(values, dtype=_COLUMN_TYPES.get(name, "string"))
            for name, values in columns.items()
        }
    )


_EMPTY_COLUMNS = {
    "studies": list(_study_row({})),
    "arms": ["item", *_arm_row({})],
    "interventions": ["item", *_intervention_row({})],
    "people": ["item", *_person_row({})],
    "sites": ["item", *_site_row({})],
    "outcomes": ["item", *_outcome_row({})],
    "identifiers": ["identifier", "kind"],
}


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with the tables' column types (after a round trip through Parquet, say)."""
    return frame.astype({name: _COLUMN_TYPES.get(name, "string") for name in frame.columns})


class TableBuilder:
    """Collects table rows one record at a time, so records need not stay in memory. Rows are
    tuples in the column order of ``_EMPTY_COLUMNS`` (the row functions build their dicts in
    that order), turned into columns once, in ``frames``."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLE_NAMES}

    def add(self, record_file: str, record: dict[str, Any]) -> None:
        keys = (record_file, _text(record.get("trial_id")), _text(record.get("source")))
        self.rows["studies"].append((*keys, *_study_row(record).values()))
        for table, (field_name, to_row) in _ITEM_TABLES.items():
            rows = self.rows[table]
            for index, item in enumerate(_items(record.get(field_name))):
                rows.append((*keys, index, *to_row(item).values()))
        self.rows["identifiers"] += [
            (*keys, row["identifier"], row["kind"]) for row in _identifier_rows(record)
        ]

    def frames(self) -> dict[str, pd.DataFrame]:
        frames = {}
        for name in TABLE_NAMES:
            names = (*KEY_COLUMNS, *_EMPTY_COLUMNS[name])
            rows = self.rows[name]
            values = zip(*rows, strict=True) if rows else ([] for _ in names)
            frames[name] = _frame(dict(zip(names, values, strict=True)))
        return frames


def build_tables(records: Iterable[tuple[str, dict[str, Any]]]) -> Tables:
    """Tables from (record file, record) pairs; ``item`` is an entry's index within its record."""
    builder = TableBuilder()
    for record_file, record in records:
        builder.add(record_file, record)
    return Tables(**builder.frames())
