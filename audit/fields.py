"""The record's fields, declared once: ``RECORD`` below.

Each field states its JSON shape (type, nullability, vocabulary, format), the table columns read
from it (name, how a cell is made, pandera checks) and whether the report's trial view shows it.
Derived from it: the empty record (``record.new_record``), the JSON Schema
(``audit/record.schema.json``, written by ``python -m audit.fields --write-schema``), the tables'
columns, dtypes and rows (``tables``), the pandera models' columns (``validate.schemas``), the
trial view's rows and SARIF's column -> record paths (``report``), all in ``RECORD``'s order.
Adding a field is one entry here plus the importers that fill it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from audit import vocab
from audit.registries import NCT_ID, TRIAL_ID

ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
YEAR_MONTH = r"^\d{4}-\d{2}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# value: the field's value as its JSON type; joined / lines: a list's strings joined with "|" /
# newlines; length: how many entries a list has; total: the sum of the entries' ``of`` counts;
# least: the smallest of them.
Cell = Literal["value", "joined", "lines", "length", "total", "least"]
_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


@dataclass(frozen=True)
class Column:
    """A table column read from one field. Declared with ``name`` and the optional parts;
    ``path``, ``dtype``, ``nullable``, ``isin`` and ``matches`` are filled in from the field.
    pandera checks the column when it has any check."""

    name: str
    cell: Cell = "value"
    of: str | None = None
    ge: int | None = None
    matches: str | None = None
    checked: bool = True  # False: no check from the field's vocabulary or format
    path: tuple[str, ...] = ()
    dtype: str = "string"
    nullable: bool = True
    isin: tuple[str, ...] | None = None

    @property
    def has_checks(self) -> bool:
        return not self.nullable or any(c is not None for c in (self.isin, self.matches, self.ge))


@dataclass(frozen=True)
class View:
    """A row of the report's trial view."""

    label: str
    line: bool = False  # page importers remember the field's line (``source_lines``)
    compare: bool = True  # False for facts about the record, never a conflict between sources


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # JSON type: string, integer, number, boolean, object, array
    nullable: bool = True
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    min_length: int | None = None
    minimum: int | None = None
    description: str | None = None
    items: Field | None = None  # an array's entries
    members: tuple[Field, ...] = ()  # an object's keys
    values: Field | None = None  # an object's values, when its keys are free
    table: str | None = None  # the item table an array of objects fills
    columns: tuple[Column, ...] = ()
    view: View | None = None
    any_of: tuple[str, ...] = ()  # an object's keys of which at least one must be a string
    optional: bool = False  # may be absent: records written before it existed stay valid


# A field's column: True names it as the field, a string names it, None: no column.
ColumnName = str | bool | None


def _column(name: str, column: ColumnName, **spec: Any) -> tuple[Column, ...]:
    return (Column(name if column is True else str(column), **spec),) if column else ()


def value(
    name: str,
    type_: str = "string",
    *,
    column: ColumnName = True,
    ge: int | None = None,
    matches: str | None = None,
    **shape: Any,
) -> Field:
    """A string, integer, number or boolean (an enum given ``enum``), with its column."""
    return Field(name, type_, columns=_column(name, column, ge=ge, matches=matches), **shape)


def strings(
    name: str,
    enum: tuple[str, ...] | None = None,
    *,
    column: ColumnName = True,
    cell: Cell = "joined",
    checked: bool = True,
    view: View | None = None,
) -> Field:
    """A list of strings (of enum values given ``enum``); its column joins them."""
    items = Field("item", "string", nullable=False, enum=enum)
    columns = _column(name, column, cell=cell, checked=checked)
    return Field(name, "array", nullable=False, items=items, columns=columns, view=view)


def entries(
    name: str,
    members: tuple[Field, ...],
    *,
    any_of: tuple[str, ...] = (),
    item_description: str | None = None,
    **spec: Any,
) -> Field:
    """A list of objects: arms, people, sites ... (``any_of``: keys of which each object
    must give at least one)."""
    items = Field(
        "item",
        "object",
        nullable=False,
        members=members,
        any_of=any_of,
        description=item_description,
    )
    return Field(name, "array", nullable=False, items=items, **spec)


def group(name: str, members: tuple[Field, ...], **spec: Any) -> Field:
    """An object with fixed keys: enrollment, eligibility ..."""
    return Field(name, "object", nullable=False, members=members, **spec)


def dated(name: str, view: View) -> Field:
    return group(
        name,
        (
            value("date", pattern=ISO_DATE, column=name),
            value("type", enum=vocab.COUNT_TYPES, column=f"{name}_type"),
        ),
        view=view,
        description="A date as precise as the source gives it, and whether it is ACTUAL or "
        "ESTIMATED.",
    )


def text(name: str, **shape: Any) -> Field:
    """A string that is never null: the keys, an entry's name, label or measure."""
    return value(name, nullable=False, **shape)


ARM = (
    text("label"),
    value("type", enum=vocab.ARM_TYPES),
    value("description"),
    strings("interventions"),
    value("planned_size", "integer", ge=0),
)
INTERVENTION = (
    value("type", enum=vocab.INTERVENTION_TYPES),
    text("name"),
    value("description"),
)
PERSON = (
    value("name"),  # a contact known only by an email or phone has none
    text("role", enum=vocab.PEOPLE_ROLES),
    strings("degrees"),
    value("email", matches=EMAIL),
    value("phone"),
    value("affiliation"),
)
SITE = (
    value("facility"),
    value("city"),
    value("state"),
    value("zip"),
    value("country"),
    value("status", enum=vocab.OVERALL_STATUSES),
)
OUTCOME = (
    text("kind", enum=vocab.OUTCOME_KINDS),
    text("measure"),
    value("time_frame"),
)
FLOW_GROUP = (
    text("group"),
    value("started", "integer"),
)
# In the order of the trial view's rows (and of the schema's properties and tables' columns).
RECORD: tuple[Field, ...] = (
    text(
        "trial_id",
        min_length=1,
        matches=TRIAL_ID,
        description="Registry id: NCT04441658, ChiCTR2000029308, EUCTR2020-001246-18 ...",
    ),
    value(
        "nct_id",
        matches=f"^{NCT_ID}$",
        description="The ClinicalTrials.gov id when the trial has one.",
    ),
    strings("secondary_ids", column=None),  # read into the identifiers table
    text("source", enum=vocab.SOURCES),
    value("title", view=View("title", line=True)),
    value("official_title"),
    value("overall_status", enum=vocab.OVERALL_STATUSES, view=View("overall status", line=True)),
    value(
        "status_text",
        description="The status as the source words it, kept when it maps to no API v2 status.",
    ),
    value(
        "status_family",
        enum=vocab.STATUS_FAMILIES,
        optional=True,
        description="Recruiting or not, as a source that states no more than that words it "
        '(ICTRP\'s "Recruiting" / "Not recruiting"); null where the source gives a full status. '
        "Optional: records written before it existed are valid.",
    ),
    value("last_known_status", enum=vocab.OVERALL_STATUSES, view=View("last known status")),
    value("status_verified", pattern=YEAR_MONTH, view=View("status verified", line=True)),
    strings("phases", vocab.PHASES, view=View("phases", line=True)),
    value("study_type", enum=vocab.STUDY_TYPES, view=View("study type")),
    value("allocation", enum=vocab.ALLOCATIONS, view=View("allocation", line=True)),
    value("intervention_model", enum=vocab.INTERVENTION_MODELS, view=View("intervention model")),
    value("masking", enum=vocab.MASKINGS, view=View("masking", line=True)),
    # pandera does not check it, so a wrong value goes unreported (the loader leaves enums to
    # pandera); checking it would add schema-format findings.
    strings("who_masked", vocab.WHO_MASKED, checked=False, view=View("who masked")),
    value("primary_purpose", enum=vocab.PRIMARY_PURPOSES),
    value(
        "stated_arm_count",
        "integer",
        ge=0,
        description="Number of groups the source states in words "
        '("30 participants in 2 patient groups").',
    ),
    group(
        "enrollment",
        (
            value("count", "integer", column="enrollment_count", ge=0),
            value("type", enum=vocab.COUNT_TYPES, column="enrollment_type"),
        ),
        view=View("enrollment", line=True),
    ),
    dated("start_date", View("start date", line=True)),
    dated("primary_completion_date", View("primary completion")),
    dated("completion_date", View("completion date", line=True)),
    value("first_posted", pattern=ISO_DATE, view=View("first posted")),
    value("last_update_posted", pattern=ISO_DATE, view=View("last update posted")),
    value("sponsor", view=View("sponsor")),
    strings("collaborators"),
    strings("conditions"),
    entries("arms", ARM, table="arms", columns=(Column("arm_count", "length"),), view=View("arms")),
    entries(
        "interventions",
        INTERVENTION,
        table="interventions",
        columns=(Column("intervention_count", "length"),),
        view=View("interventions"),
    ),
    entries(
        "people",
        PERSON,
        table="people",
        any_of=("name", "email", "phone"),
        item_description="A person without a name (null) must give an email or phone.",
    ),
    group(
        "eligibility",
        (
            value("sex", enum=vocab.SEXES, view=View("sex")),
            value("min_age_years", "number", ge=0, view=View("min age (years)")),
            value("max_age_years", "number", ge=0, view=View("max age (years)")),
            value("healthy_volunteers", "boolean"),
            strings("inclusion", cell="lines"),
            strings("exclusion", cell="lines"),
        ),
    ),
    entries("sites", SITE, table="sites", view=View("sites")),
    entries("outcomes", OUTCOME, table="outcomes"),
    group("descriptions", (value("brief_summary"), value("detailed_description"))),
    entries(
        "participant_flow",
        FLOW_GROUP,
        columns=(
            Column("flow_group_count", "length"),
            Column("flow_started_total", "total", of="started", ge=0),
            Column("flow_started_least", "least", of="started", ge=0),
        ),
        description="Results section: participants STARTED per group, where results are posted.",
    ),
    value(
        "flow_details",
        optional=True,
        description="Results section: the participant flow's recruitment and pre-assignment "
        "details (screen failures, a run-in, participants not assigned), where results are "
        "posted. Optional: records written before it existed are valid.",
    ),
    value(
        "baseline_population",
        optional=True,
        description="Results section: the baseline characteristics' population description "
        '(who was analysed at baseline, e.g. "71 subjects were in baseline. But only 31 '
        'subjects enrolled into the study intervention portion"), where results are posted. '
        "Optional: records written before it existed are valid.",
    ),
    # Where and when the record was read: last in the trial view.
    value(
        "captured",
        pattern=ISO_DATE,
        description="When the source was captured.",
        view=View("captured", compare=False),
    ),
    value(
        "source_file",
        column=None,
        description="The file the record was normalized from.",
        view=View("source file", compare=False),
    ),
    Field(
        "source_lines",
        "object",
        nullable=False,
        values=Field("line", "integer", nullable=False, minimum=1),
        description="Field name -> line of source_file the value was read from, where known.",
    ),
)


def _empty(field: Field) -> Any:
    if field.type == "array":
        return []
    if field.type == "object":
        return {member.name: _empty(member) for member in field.members}
    return None


def empty_record() -> dict[str, Any]:
    """A record with every field null or empty."""
    return {field.name: _empty(field) for field in RECORD}


def _placed(field: Field, column: Column, path: tuple[str, ...]) -> Column:
    """``column`` with what it takes from ``field`` (found at ``path``)."""
    if column.cell in ("length", "total", "least"):
        return replace(column, path=path, dtype="Int64")
    if field.items is not None:  # a joined list: "A|B" is checked as a whole
        names = "|".join(field.items.enum or ()) if column.checked else ""
        pattern = rf"^({names})(\|({names}))*$" if names else None
        return replace(column, path=path, matches=column.matches or pattern)
    return replace(
        column,
        path=path,
        dtype=_DTYPES[field.type],
        nullable=field.nullable,
        isin=field.enum if column.checked else None,
        matches=column.matches or (field.pattern if column.checked else None),
    )


def _columns(fields: tuple[Field, ...], prefix: tuple[str, ...] = ()) -> Iterator[Column]:
    for field in fields:
        path = (*prefix, field.name)
        yield from (_placed(field, column, path) for column in field.columns)
        yield from _columns(field.members, path)


STUDY_COLUMNS: tuple[Column, ...] = tuple(_columns(RECORD))
# Item table -> (the record's list field, its columns read from each entry).
ITEM_TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    f.table: (f.name, tuple(_columns(f.items.members)))
    for f in RECORD
    if f.table is not None and f.items is not None
}


def _views(
    fields: tuple[Field, ...], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[View, tuple[str, ...]]]:
    for field in fields:
        path = (*prefix, field.name)
        if field.view is not None:
            yield field.view, path
        yield from _views(field.members, path)


# The trial view's rows in order: (view, the field's path in the record).
TRIAL_VIEW: tuple[tuple[View, tuple[str, ...]], ...] = tuple(_views(RECORD))


SCHEMA_HEAD = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://trial-audit.invalid/record.schema.json",
    "title": "trial-audit normalized trial record",
    "description": "One trial as one source states it. A value the source does not give is "
    "null or empty, never guessed.",
}


def _object(members: tuple[Field, ...]) -> dict[str, Any]:
    return {
        "additionalProperties": False,
        "properties": {member.name: _schema(member) for member in members},
        "required": [member.name for member in members if not member.optional],
    }


def _schema(field: Field) -> dict[str, Any]:
    node: dict[str, Any] = {}
    if field.enum is not None:
        node["enum"] = [*field.enum, *([None] if field.nullable else [])]
    else:
        node["type"] = [field.type, "null"] if field.nullable else field.type
    for keyword, given in (
        ("minLength", field.min_length),
        ("pattern", field.pattern),
        ("minimum", field.minimum),
    ):
        if given is not None:
            node[keyword] = given
    if field.items is not None:
        node["items"] = _schema(field.items)
    if field.values is not None:
        node["additionalProperties"] = _schema(field.values)
    if field.any_of:
        node["anyOf"] = [{"properties": {key: {"type": "string"}}} for key in field.any_of]
    if field.members:
        node |= _object(field.members)
    if field.description:
        node["description"] = field.description
    return node


def json_schema() -> dict[str, Any]:
    """The record's JSON Schema (draft 2020-12)."""
    return {**SCHEMA_HEAD, "type": "object", **_object(RECORD)}


def schema_text() -> str:
    """The text of ``audit/record.schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    from audit.record import SCHEMA_PATH, atomic_write  # record.py imports this module

    parser = argparse.ArgumentParser(
        prog="python -m audit.fields", description="The record schema from the field declaration."
    )
    parser.add_argument("--write-schema", action="store_true", help=f"rewrite {SCHEMA_PATH}")
    args = parser.parse_args(argv)
    if args.write_schema:
        atomic_write(SCHEMA_PATH, schema_text())
        print(f"wrote {SCHEMA_PATH}")
        return 0
    current = SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()
    print(f"{SCHEMA_PATH} is {'up to date' if current else 'out of date: --write-schema'}")
    return 0 if current else 1


if __name__ == "__main__":
    sys.exit(main())
