"""pandera models: the structural contract of every table (types, enums, id formats, ranges).

Each model is validated lazily, and every failure case becomes one finding that names the
record file, the field and the value. Rule ids say what kind of contract was broken:
``schema-required``, ``schema-enum``, ``schema-format``, ``schema-email``, ``schema-range``,
``schema-dtype``, ``schema-date-order``, ``schema-age-order`` and ``schema-ctgov-id``. Each is
reported at its catalogue severity: ``error``, except ``schema-email`` (``warning``: a
registry's own malformed address, which a curator cannot correct).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from audit import vocab
from audit.catalogue import declared
from audit.findings import Finding, finding, jsonable
from audit.tables import Tables
from audit.validate.registries import NCT_ID, TRIAL_ID

ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
YEAR_MONTH = r"^\d{4}-\d{2}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Text = Series[pd.StringDtype]


def _optional(**checks) -> pa.Field:
    return pa.Field(nullable=True, **checks)


def _enum(values: tuple[str, ...]) -> pa.Field:
    return pa.Field(nullable=True, isin=list(values))


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


class Studies(Keyed):
    trial_id: Text = pa.Field(nullable=False, str_matches=TRIAL_ID)
    source: Text = pa.Field(nullable=False, isin=list(vocab.SOURCES))
    nct_id: Text = _optional(str_matches=f"^{NCT_ID}$")
    captured: Text = _optional(str_matches=ISO_DATE)
    overall_status: Text = _enum(vocab.OVERALL_STATUSES)
    last_known_status: Text = _enum(vocab.OVERALL_STATUSES)
    status_verified: Text = _optional(str_matches=YEAR_MONTH)
    phases: Text = _optional(
        str_matches=rf"^({'|'.join(vocab.PHASES)})(\|({'|'.join(vocab.PHASES)}))*$"
    )
    study_type: Text = _enum(vocab.STUDY_TYPES)
    allocation: Text = _enum(vocab.ALLOCATIONS)
    intervention_model: Text = _enum(vocab.INTERVENTION_MODELS)
    masking: Text = _enum(vocab.MASKINGS)
    primary_purpose: Text = _enum(vocab.PRIMARY_PURPOSES)
    stated_arm_count: Series[pd.Int64Dtype] = _optional(ge=0)
    enrollment_count: Series[pd.Int64Dtype] = _optional(ge=0)
    enrollment_type: Text = _enum(vocab.COUNT_TYPES)
    start_date: Text = _optional(str_matches=ISO_DATE)
    start_date_type: Text = _enum(vocab.COUNT_TYPES)
    primary_completion_date: Text = _optional(str_matches=ISO_DATE)
    primary_completion_date_type: Text = _enum(vocab.COUNT_TYPES)
    completion_date: Text = _optional(str_matches=ISO_DATE)
    completion_date_type: Text = _enum(vocab.COUNT_TYPES)
    first_posted: Text = _optional(str_matches=ISO_DATE)
    last_update_posted: Text = _optional(str_matches=ISO_DATE)
    sex: Text = _enum(vocab.SEXES)
    min_age_years: Series[pd.Float64Dtype] = _optional(ge=0)
    max_age_years: Series[pd.Float64Dtype] = _optional(ge=0)
    flow_started_total: Series[pd.Int64Dtype] = _optional(ge=0)

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


class Arms(Keyed):
    label: Text = pa.Field(nullable=False)
    type: Text = _enum(vocab.ARM_TYPES)
    planned_size: Series[pd.Int64Dtype] = _optional(ge=0)


class Interventions(Keyed):
    type: Text = _enum(vocab.INTERVENTION_TYPES)
    name: Text = pa.Field(nullable=False)


class People(Keyed):
    name: Text = _optional()  # a contact known only by an email or phone has none
    role: Text = pa.Field(nullable=False, isin=list(vocab.PEOPLE_ROLES))
    email: Text = _optional(str_matches=EMAIL)

    @pa.dataframe_check(name="named_or_reachable")
    @classmethod
    def named_or_reachable(cls, df: pd.DataFrame) -> pd.Series:
        return df["name"].notna() | df["email"].notna() | df["phone"].notna()


class Sites(Keyed):
    status: Text = _enum(vocab.OVERALL_STATUSES)


class Outcomes(Keyed):
    kind: Text = pa.Field(nullable=False, isin=list(vocab.OUTCOME_KINDS))
    measure: Text = pa.Field(nullable=False)


class Identifiers(Keyed):
    identifier: Text = pa.Field(nullable=False)


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "studies": Studies,
    "arms": Arms,
    "interventions": Interventions,
    "people": People,
    "sites": Sites,
    "outcomes": Outcomes,
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
