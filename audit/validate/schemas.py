"""pandera models: the structural contract of every table (types, enums, id formats, ranges).

A column's checks are declared with the record's fields (``audit/fields.py``); checks across
columns (date and age order, NCT ids of ClinicalTrials.gov records) are written here.

Each model is validated lazily, and every failure case becomes one finding that names the
record file, the field and the value. Rule ids say what kind of contract was broken:
``schema-required``, ``schema-enum``, ``schema-format``, ``schema-email``, ``schema-range``,
``schema-dtype``, ``schema-date-order``, ``schema-age-order`` and ``schema-ctgov-id``. Each is
reported at its catalogue severity: ``error``, except ``schema-email`` (``warning``: a
registry's own malformed address, which a curator cannot correct).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from audit.catalogue import declared
from audit.fields import ITEM_TABLES, STUDY_COLUMNS, Column
from audit.findings import Finding, finding, jsonable
from audit.registries import NCT_ID
from audit.tables import Tables

Text = Series[pd.StringDtype]
_DTYPES = {
    "string": pd.StringDtype,
    "Int64": pd.Int64Dtype,
    "Float64": pd.Float64Dtype,
    "boolean": pd.BooleanDtype,
}


def _earlier_or_equal(first: pd.Series, second: pd.Series) -> pd.Series:
    """Row-wise first <= second for ISO dates of any precision, compared at the coarser one."""
    width = pd.concat([first.str.len(), second.str.len()], axis=1).min(axis=1, skipna=False)
    result = pd.Series(True, index=first.index)
    for size in (4, 7, 10):
        rows = width.eq(size).fillna(False).astype(bool)
        if rows.any():
            earlier = first[rows].str.slice(0, size) <= second[rows].str.slice(0, size)
            result[rows] = earlier.fillna(True).astype(bool)
    return result


class Keyed(pa.DataFrameModel):
    """Rows of item tables; their keys are checked once, in ``Studies``."""

    record_file: Text = pa.Field(nullable=False)

    class Config:
        strict = False
        coerce = False


def _declared(name: str, columns: Iterable[Column]) -> type[Keyed]:
    """A model checking each declared column that has checks (``audit/fields.py``)."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for column in columns:
        if not column.has_checks:
            continue
        checks = {
            "isin": list(column.isin) if column.isin is not None else None,
            "str_matches": column.matches,
            "ge": column.ge,
        }
        annotations[column.name] = Series[_DTYPES[column.dtype]]
        namespace[column.name] = pa.Field(
            nullable=column.nullable, **{k: v for k, v in checks.items() if v is not None}
        )
    return type(name, (Keyed,), {"__annotations__": annotations, **namespace})


class Studies(_declared("StudyColumns", STUDY_COLUMNS)):
    """The declared columns' checks, and checks across columns."""

    @pa.dataframe_check(name="date_order")
    @classmethod
    def dates_in_order(cls, df: pd.DataFrame) -> pd.Series:
        return (
            _earlier_or_equal(df["start_date"], df["completion_date"])
            & _earlier_or_equal(df["start_date"], df["primary_completion_date"])
            & _earlier_or_equal(df["primary_completion_date"], df["completion_date"])
        )

    @pa.dataframe_check(name="age_order")
    @classmethod
    def ages_in_order(cls, df: pd.DataFrame) -> pd.Series:
        return (df["min_age_years"] <= df["max_age_years"]).fillna(True).astype(bool)

    @pa.dataframe_check(name="ctgov_id")
    @classmethod
    def ctgov_records_have_nct_ids(cls, df: pd.DataFrame) -> pd.Series:
        ctgov = df["source"].str.startswith("ctgov").fillna(False).astype(bool)
        nct = df["trial_id"].str.fullmatch(NCT_ID).fillna(False).astype(bool)
        return ~ctgov | nct


class People(_declared("PeopleColumns", ITEM_TABLES["people"][1])):
    """The declared columns' checks, and: a person without a name gives an email or phone."""

    @pa.dataframe_check(name="named_or_reachable")
    @classmethod
    def named_or_reachable(cls, df: pd.DataFrame) -> pd.Series:
        return df["name"].notna() | df["email"].notna() | df["phone"].notna()


class Identifiers(Keyed):
    identifier: Text = pa.Field(nullable=False)


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "studies": Studies,
    **{table: _declared(table.title(), columns) for table, (_, columns) in ITEM_TABLES.items()},
    "people": People,
    "identifiers": Identifiers,
}

_RULE_BY_CHECK = {
    "not_nullable": "schema-required",
    "named_or_reachable": "schema-required",
    "isin": "schema-enum",
    "str_matches": "schema-format",
    "greater_than_or_equal_to": "schema-range",
    "date_order": "schema-date-order",
    "age_order": "schema-age-order",
    "ctgov_id": "schema-ctgov-id",
}

_EXPLANATION = {
    "schema-required": "is required but missing",
    "schema-enum": "is not an allowed value",
    "schema-format": "does not have the expected format",
    "schema-email": "is not one email address",
    "schema-range": "is out of range (must not be negative)",
    "schema-dtype": "has the wrong type",
    "schema-date-order": "are out of order (start <= primary completion <= completion)",
    "schema-age-order": "minimum age is above maximum age",
    "schema-ctgov-id": "a ClinicalTrials.gov record must have an NCT id as trial_id",
}

_DATE_FIELDS = ("start_date", "primary_completion_date", "completion_date")
#: The field a check of whole rows reports (only People's name check is "schema-required").
_ROW_CHECK_FIELD = {"schema-date-order": "dates", "schema-required": "name"}


def _explanation(rule: str, check: str) -> str:
    if check == "named_or_reachable":
        return "is required when there is no email or phone"
    return _EXPLANATION.get(rule, f"fails {check}")


def _rule_for(check: str, column: str) -> str:
    name = check.split("(", 1)[0]
    if name.startswith("dtype"):
        return "schema-dtype"
    if name == "str_matches" and column == "email":
        return "schema-email"
    return _RULE_BY_CHECK.get(name, "schema-check")


def validate_table(name: str, frame: pd.DataFrame) -> list[Finding]:
    """Findings for every pandera failure case of one table."""
    model = MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.validate(frame, lazy=True)
            return []
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
    results = []
    seen: set[tuple] = set()
    severities = {rule_id: entry.severity for rule_id, entry in declared().items()}
    for case in cases.itertuples(index=False):
        rule = _rule_for(str(case.check), str(case.column))
        index = case.index
        if index is None or pd.isna(index) or index not in frame.index:
            results.append(
                finding(
                    rule,
                    "schema",
                    severities[rule],
                    f"table {name}: {case.check} failed for column {case.column}",
                    field=f"{name}.{case.column}",
                    key=str(case.check),
                )
            )
            continue
        row = frame.loc[index]
        column = str(case.column)
        if case.schema_context == "DataFrameSchema":
            if (rule, index) in seen:
                continue
            seen.add((rule, index))
            column = _ROW_CHECK_FIELD.get(rule, column)
            value = _row_values(rule, row)
        else:
            value = jsonable(case.failure_case)
        item = f"[{row['item']}]" if "item" in row.index else ""
        field_name = f"{name}{item}.{column}" if name != "studies" else column
        trial = row["trial_id"] if isinstance(row["trial_id"], str) else None
        results.append(
            finding(
                rule,
                "schema",
                severities[rule],
                f"{row['record_file']}: {field_name} {_explanation(rule, str(case.check))}"
                + (
                    f": {value!r}"
                    if rule not in ("schema-date-order", "schema-age-order", "schema-required")
                    else ""
                ),
                trial_ids=[trial] if trial else [],
                record_files=[row["record_file"]],
                sources=[row["source"]] if isinstance(row["source"], str) else [],
                field=field_name,
                evidence={"value": value, "check": str(case.check).split("(")[0]},
                key=f"{row['record_file'] if not trial else ''}|{value}",
            )
        )
    return results


def _row_values(rule: str, row: pd.Series) -> dict:
    if rule == "schema-date-order":
        return {name: row[name] for name in _DATE_FIELDS}
    if rule == "schema-age-order":
        return {"min_age_years": row["min_age_years"], "max_age_years": row["max_age_years"]}
    return {"trial_id": row["trial_id"], "source": row["source"]}


def validate_tables(tables: Tables) -> list[Finding]:
    return [f for name, frame in tables.items() for f in validate_table(name, frame)]
