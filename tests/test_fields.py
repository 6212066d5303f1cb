"""The field declaration (audit/fields.py) and what is derived from it."""

from __future__ import annotations

import pandas as pd
from conftest import valid_record

from audit import fields, record
from audit.record import SCHEMA_PATH, dumps, new_record, schema_errors
from audit.report.sarif import find_line, record_path
from audit.tables import KEY_COLUMNS, build_tables


def test_the_schema_file_is_generated_from_the_declaration() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == fields.schema_text(), (
        f"{SCHEMA_PATH.name} differs from audit/fields.py: edit the declaration, then "
        "regenerate the file with `python -m audit.fields --write-schema`"
    )
    assert fields.main([]) == 0


def test_the_empty_record_lacks_only_values() -> None:
    empty = new_record()
    assert set(empty) == set(fields.json_schema()["properties"])
    assert {e.split(":")[0] for e in schema_errors(empty)} == {"trial_id", "source"}
    assert schema_errors(valid_record()) == []


def test_the_item_helpers_build_declared_entries() -> None:
    made = {
        "arms": record.arm("A"),
        "interventions": record.intervention("DRUG", "x"),
        "people": record.person("Jane Doe", "OVERALL_OFFICIAL"),
        "sites": record.site("Hospital"),
        "outcomes": record.outcome("primary", "death"),
    }
    for table, entry in made.items():
        name, columns = fields.ITEM_TABLES[table]
        assert list(entry) == [c.name for c in columns]
        assert schema_errors(valid_record(**{name: [entry]})) == []


def test_each_column_name_has_one_dtype_and_tables_have_them() -> None:
    columns = [*fields.STUDY_COLUMNS]
    columns += [c for _, table in fields.ITEM_TABLES.values() for c in table]
    dtypes: dict[str, set[str]] = {}
    for column in columns:
        dtypes.setdefault(column.name, set()).add(column.dtype)
    assert {name: types for name, types in dtypes.items() if len(types) > 1} == {}
    studies = build_tables([("r.json", valid_record())]).studies
    assert set(studies.columns) == {*KEY_COLUMNS, *(c.name for c in fields.STUDY_COLUMNS)}
    for column in fields.STUDY_COLUMNS:
        assert studies[column.name].dtype == pd.api.types.pandas_dtype(column.dtype), column


def test_every_study_column_and_view_row_points_into_the_record() -> None:
    lines = dumps(new_record()).splitlines()
    for column in fields.STUDY_COLUMNS:
        path = record_path(column.name)
        assert path == list(column.path)
        assert lines[find_line(lines, path) - 1].strip().startswith(f'"{path[-1]}":'), column
    labels = [view.label for view, _ in fields.TRIAL_VIEW]
    assert len(labels) == len(set(labels))
    for view, path in fields.TRIAL_VIEW:
        assert lines[find_line(lines, path) - 1].strip().startswith(f'"{path[-1]}":'), view
