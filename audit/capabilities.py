"""What a record's source can carry, so that completeness checks leave out what it cannot.

Each importer declares ``CANNOT_CARRY``: the record fields its format has no place for, as
paths ("outcomes.time_frame", or "arms" for the whole list and everything in it); a source with
two formats carries what either carries (``audit.sources.cannot_carry``). A value missing there
is not something a curator can fill in from that source, so

* the GX runner leaves the rows of such sources out of completeness expectations
  (``expect_column_values_to_not_be_null``), and the ``mostly`` share counts the other rows;
* a rule that reports a missing value (``eligibility-conflict``'s missing structured age) asks
  ``carries`` first.

Nothing else changes: a value the source does give is checked like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from audit.sources import cannot_carry

ITEM_TABLES = ("arms", "interventions", "people", "sites", "outcomes")
_DATES = ("start_date", "primary_completion_date", "completion_date")
_ELIGIBILITY = (
    "sex",
    "min_age_years",
    "max_age_years",
    "healthy_volunteers",
    "inclusion",
    "exclusion",
)
#: Columns of the studies table not named like the record field they come from.
STUDY_PATHS = {
    "enrollment_count": "enrollment.count",
    "enrollment_type": "enrollment.type",
    **{name: f"eligibility.{name}" for name in _ELIGIBILITY},
    **{name: f"descriptions.{name}" for name in ("brief_summary", "detailed_description")},
    **{name: f"{name}.date" for name in _DATES},
    **{f"{name}_type": f"{name}.type" for name in _DATES},
    "arm_count": "arms",
    "intervention_count": "interventions",
    "flow_group_count": "participant_flow",
    "flow_started_total": "participant_flow",
    "flow_started_least": "participant_flow",
}


def record_path(table: str, column: str) -> str | None:
    """The record field a table column holds ("outcomes", "time_frame" -> "outcomes.time_frame");
    None for a column that is no one field (the identifiers table)."""
    if table == "studies":
        return STUDY_PATHS.get(column, column)
    if table in ITEM_TABLES:
        return table if column == "item" else f"{table}.{column}"
    return None


@cache
def carries(source: str, path: str) -> bool:
    """Can a record from ``source`` hold ``path``? Not when its importers declare the path or
    a field that contains it."""
    declared = cannot_carry(source)
    parts = path.split(".")
    return not any(".".join(parts[:end]) in declared for end in range(1, len(parts) + 1))


def sources_without(table: str, column: str, sources: Iterable[object]) -> list[str]:
    """The sources among ``sources`` whose records cannot hold ``table.column``, sorted."""
    path = record_path(table, column)
    if path is None:
        return []
    return sorted({s for s in sources if isinstance(s, str) and not carries(s, path)})
