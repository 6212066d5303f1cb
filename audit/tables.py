"""Records -> pandas tables: the one shape every schema, expectation and rule reads.

Seven tables, one row per item, each keyed by ``record_file``, ``trial_id`` and ``source``:
studies, arms, interventions, people, sites, outcomes, identifiers. Their columns and how each
is read are declared with the record's fields (``audit/fields.py``), but for identifiers.
Values of the wrong JSON type (already reported by the loader) become nulls here, so a broken
record never breaks a check; the pandera layer then reports what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowExtensionArray

from audit.fields import ITEM_TABLES, STUDY_COLUMNS, Column

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


def _least(counts: list[int | None]) -> int | None:
    """The smallest stated count; None when none is stated."""
    stated = [c for c in counts if c is not None]
    return min(stated) if stated else None


def _lines(value: Any) -> str | None:
    return "\n".join(_texts(value)) or None


def _length(value: Any) -> int:
    return len(_items(value))


_CELLS: dict[str, Callable[[Any], Any]] = {"joined": _joined, "lines": _lines, "length": _length}
_VALUES: dict[str, Callable[[Any], Any]] = {
    "string": _text,
    "Int64": _count,
    "Float64": _number,
    "boolean": _flag,
}


def _cell(column: Column) -> Callable[[Any], Any]:
    """How ``column``'s cell is made from its field's value (see ``fields.Cell``)."""
    if column.cell == "value":
        return _VALUES[column.dtype]
    if column.cell == "total":
        of = str(column.of)
        return lambda value: _total([_count(item.get(of)) for item in _items(value)])
    if column.cell == "least":
        of = str(column.of)
        return lambda value: _least([_count(item.get(of)) for item in _items(value)])
    return _CELLS[column.cell]


def _reader(column: Column) -> Callable[[dict[str, Any]], Any]:
    """Reads ``column``'s cell from a record (or from an entry, for item tables)."""
    cell = _cell(column)
    *parents, key = column.path
    if not parents:
        return lambda record: cell(record.get(key))

    def read(record: dict[str, Any]) -> Any:
        value: Any = record
        for name in parents:
            value = _dict(value).get(name)
        return cell(_dict(value).get(key))

    return read


def _row_builder(columns: Iterable[Column]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    readers = [_reader(column) for column in columns]
    return lambda record: tuple([read(record) for read in readers])


# Study columns but the keys, which every table's rows start with.
_STUDY_COLUMNS = tuple(c for c in STUDY_COLUMNS if c.name not in KEY_COLUMNS)
_study_row = _row_builder(_STUDY_COLUMNS)


def _identifier_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    if _text(record.get("trial_id")):
        rows.append({"identifier": record["trial_id"], "kind": "trial_id"})
    if _text(record.get("nct_id")):
        rows.append({"identifier": record["nct_id"], "kind": "nct_id"})
    rows += [{"identifier": i, "kind": "secondary"} for i in _texts(record.get("secondary_ids"))]
    return rows


# Item table -> (the record's list field, the row of one entry).
_ITEM_TABLES = {
    table: (field_name, _row_builder(columns))
    for table, (field_name, columns) in ITEM_TABLES.items()
}
#: Record keys holding lists of entries (an ``item`` column counts them from 0).
ENTRY_LISTS = frozenset(field_name for field_name, _ in _ITEM_TABLES.values())

_COLUMN_TYPES = {
    "item": "Int64",
    **{c.name: c.dtype for c in STUDY_COLUMNS},
    **{c.name: c.dtype for _, columns in ITEM_TABLES.values() for c in columns},
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
                name: only_rows(frame, among(frame["record_file"], keep)).reset_index(drop=True)
                for name, frame in self.items()
            }
        )


def among(column: pd.Series, values: pa.Array | Iterable[str]) -> np.ndarray:
    """Which cells of a string column are among ``values`` (Arrow's hash lookup: several times
    faster than ``Series.isin`` on hundreds of thousands of values); ``values`` converted to
    Arrow once may be passed to many calls."""
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    found = pc.is_in(pa.array(column, type=pa.string()), value_set=values)
    return found.to_numpy(zero_copy_only=False).astype(bool)


def positions(texts: pa.Array, known: pa.Array) -> np.ndarray:
    """Each text's position among the ``known`` (-1 for none). Arrow hashes the value set:
    for a few texts (a change's rows) they are the set, not the million known."""
    if len(texts) * 8 >= len(known):
        return pc.index_in(texts, value_set=known).fill_null(-1).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(pc.is_in(known, value_set=texts).to_numpy(zero_copy_only=False))
    where = dict(zip(known.take(rows).to_pylist(), rows.tolist(), strict=True))
    return np.array([where.get(text, -1) for text in texts.to_pylist()], dtype=np.int64)


MAX_RUNS = 1000  # runs of rows left out; past that, one filter (`_filtered`) beats slices


def without_rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``frame`` without the rows ``mask`` marks. The rows of a few changed record files are a
    few runs: the rows between them are kept as slices, which copy nothing (a boolean filter
    copies every column of every row: 0.6 s of a 100,000-trial gate's 1.9 s load). So are the
    rows of a few record files, kept: Arrow takes rows out of a column of several chunks (a
    kept table's record batches) by joining the chunks first, a copy of the whole column."""
    if np.count_nonzero(mask[1:] != mask[:-1]) > 2 * MAX_RUNS:  # counting is cheaper than listing
        return _filtered(frame, ~mask)
    edges = np.flatnonzero(np.diff(mask.astype(np.int8), prepend=0, append=0))
    starts, ends = edges[::2], edges[1::2]  # the masked runs [start, end)
    keep = zip([0, *ends], [*starts, len(frame)], strict=True)
    pieces = [frame.iloc[start:end] for start, end in keep if end > start]
    return pd.concat(pieces) if pieces else frame.iloc[:0]


def _filtered(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows ``keep`` marks, Arrow columns filtered chunk by chunk: pandas' boolean filter
    takes rows by position, and Arrow's take joins a column's chunks first (taking a registry
    change's 2,085 records out of the studies took 0.35 s, filtering them 0.02 s)."""
    rows = pa.array(keep, type=pa.bool_())
    columns = {}
    for name, column in frame.items():
        values = column.array
        if isinstance(values, ArrowExtensionArray):
            columns[name] = type(values)(values.__arrow_array__().filter(rows))
        else:
            columns[name] = values[keep]
    return pd.DataFrame(columns, index=frame.index[keep], columns=frame.columns, copy=False)


def only_rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of ``frame`` that ``mask`` marks (``without_rows`` the others)."""
    return without_rows(frame, ~mask)


def _frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: pd.array(values, dtype=_COLUMN_TYPES.get(name, "string"))
            for name, values in columns.items()
        }
    )


_EMPTY_COLUMNS = {
    "studies": [c.name for c in _STUDY_COLUMNS],
    **{table: ["item", *(c.name for c in columns)] for table, (_, columns) in ITEM_TABLES.items()},
    "identifiers": ["identifier", "kind"],
}


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with the tables' column types (after a round trip through an Arrow file, say)."""
    return frame.astype({name: _COLUMN_TYPES.get(name, "string") for name in frame.columns})


class TableBuilder:
    """Collects table rows one record at a time, so records need not stay in memory. Rows are
    tuples in the column order of ``_EMPTY_COLUMNS``, turned into columns once, in ``frames``."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLE_NAMES}

    def add(self, record_file: str, record: dict[str, Any]) -> None:
        keys = (record_file, _text(record.get("trial_id")), _text(record.get("source")))
        self.rows["studies"].append((*keys, *_study_row(record)))
        for table, (field_name, to_row) in _ITEM_TABLES.items():
            rows = self.rows[table]
            for index, item in enumerate(_items(record.get(field_name))):
                rows.append((*keys, index, *to_row(item)))
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
