"""The current ClinicalTrials.gov website's CSV download (``ctg-studies.csv``): one row per
study, one column per field the user chose to export.

Columns, any subset in any order ("NCT Number" is required): those of ``COLUMNS``. The file is
quoted CSV (a quoted cell may hold commas and newlines); list cells are "|"-joined; values are
the API v2 words (RECRUITING, PHASE2, "DRUG: Name", "Masking: DOUBLE (PARTICIPANT, ...)") and
dates are YYYY-MM or YYYY-MM-DD, so they map exactly as in ``ctgov_api``.

The source is ``ctgov-csv``, not ``ctgov-api``: the same folder often holds the JSON export of
the same studies, and one (trial, source) pair must give one record file, so each export of a
trial makes its own record (which ``source-conflict`` then compares).

What the CSV does not carry stays empty: enrollment and date types (ACTUAL or ESTIMATED), the
official title, arms, people, site statuses, eligibility criteria, healthy volunteers, the
participant flow. ``captured`` is the newest "Last Update Posted" (the download was made on
or after it, see ``audit.sources.stamp_newest_update``). Acronym,
Study URL, Study Results, Funder Type, Results First Posted and Study Documents have no place
in the record. "Age" is the age groups alone ("ADULT, OLDER_ADULT"), which give no ages; a
cell such as "18 Years to 65 Years (ADULT)" would.

Two cells cannot be split back into the fields they were joined from, both joined with ", "
from parts that may themselves hold ", ":

* an outcome is "measure, description, time frame": its whole text is the outcome's
  ``measure`` and ``time_frame`` stays null (as ICTRP and MedPath outcomes without a
  confident split);
* a location is "Facility, City[, State][, Zip], Country": see ``ctgov_export.location``.
"""

from __future__ import annotations

from pathlib import Path

from audit.record import new_record, outcome
from audit.registries import is_nct_id
from audit.sources import (
    SourceError,
    csv_header,
    csv_rows,
    header_names,
    stamp_newest_update,
    whole_number,
)
from audit.sources.ctgov_export import (
    ages,
    designs,
    interventions,
    location,
    masking,
    source_lines,
)
from audit.vocab import (
    ALLOCATIONS,
    INTERVENTION_MODELS,
    OVERALL_STATUSES,
    PHASES,
    PRIMARY_PURPOSES,
    SEXES,
    STUDY_TYPES,
    to_enum,
    to_enums,
    to_iso_date,
)

NAME = "ctgov-csv"
#: See the module docstring: "Age" holds age groups, an outcome's time frame is in its text.
CANNOT_CARRY = frozenset(
    {
        "official_title",
        "status_verified",
        "last_known_status",
        "stated_arm_count",
        "enrollment.type",
        "start_date.type",
        "primary_completion_date.type",
        "completion_date.type",
        "interventions.description",
        "arms",
        "people",
        "sites.status",
        "outcomes.time_frame",
        "eligibility.min_age_years",
        "eligibility.max_age_years",
        "eligibility.healthy_volunteers",
        "eligibility.inclusion",
        "eligibility.exclusion",
        "descriptions.detailed_description",
        "participant_flow",
    }
)

COLUMNS = (
    "NCT Number",
    "Study Title",
    "Study URL",
    "Acronym",
    "Study Status",
    "Brief Summary",
    "Study Results",
    "Conditions",
    "Interventions",
    "Primary Outcome Measures",
    "Secondary Outcome Measures",
    "Other Outcome Measures",
    "Sponsor",
    "Collaborators",
    "Sex",
    "Age",
    "Phases",
    "Enrollment",
    "Funder Type",
    "Study Type",
    "Study Design",
    "Other IDs",
    "Start Date",
    "Primary Completion Date",
    "Completion Date",
    "First Posted",
    "Results First Posted",
    "Last Update Posted",
    "Locations",
    "Study Documents",
)
_OUTCOME_COLUMNS = {
    "primary": "Primary Outcome Measures",
    "secondary": "Secondary Outcome Measures",
    "other": "Other Outcome Measures",
}
_NOT_FROM_ROW = ("source", "source_file", "captured")

Row = dict[str, str]


def sniff(path: Path, head: str) -> bool:
    """A comma-separated header naming "NCT Number" and at least two more of the download's
    columns (or, in a two-column download, one more)."""
    names = set(csv_header(head))
    known = names.intersection(COLUMNS)
    return "NCT Number" in names and len(names) >= 2 and len(known) >= min(3, len(names))


def parse(path: Path, text: str) -> list[dict]:
    """One record per data row; a header without "NCT Number" (or naming a column twice), a
    row of another width than the header or without an NCT number is an error."""
    rows = csv_rows(path, text.lstrip("\ufeff"), strict=True)
    header = _header(path, next(rows, (1, []))[1])
    records = []
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise SourceError(
                path, f"row at line {line}: {len(cells)} cells, the header has {len(header)}"
            )
        records.append(_record(path, dict(zip(header, cells, strict=True)), line))
    if not records:
        raise SourceError(path, "a header but no study rows")
    return stamp_newest_update(records)


def _header(path: Path, cells: list[str]) -> list[str]:
    header = header_names(cells)
    if "NCT Number" not in header:
        raise SourceError(path, "no header row naming the 'NCT Number' column")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise SourceError(path, f"the header names {', '.join(map(repr, twice))} twice")
    return header


# --- cells ------------------------------------------------------------------------------------


def _text(row: Row, column: str) -> str | None:
    """The cell as written (newlines kept), without surrounding white space; None if blank
    or if the download lacks the column."""
    return row.get(column, "").strip() or None


def _items(row: Row, column: str) -> list[str]:
    """The non-empty "|"-separated items of a cell, as written (duplicates kept, as in the
    API's lists)."""
    return [item for part in row.get(column, "").split("|") if (item := part.strip())]


def _dated(row: Row, column: str) -> dict:
    return {"date": to_iso_date(_text(row, column)), "type": None}


# --- one study --------------------------------------------------------------------------------


def _record(path: Path, row: Row, line: int) -> dict:
    nct = row["NCT Number"].strip()
    if not is_nct_id(nct):
        raise SourceError(path, f"row at line {line}: no NCT number (found {nct[:40]!r})")
    status = _text(row, "Study Status")
    record = new_record(
        trial_id=nct,
        nct_id=nct,
        secondary_ids=list(dict.fromkeys(_items(row, "Other IDs"))),
        source=NAME,
        source_file=str(path),
        title=_text(row, "Study Title"),
        overall_status=to_enum(status, OVERALL_STATUSES),
        status_text=status,
        phases=to_enums(_items(row, "Phases"), PHASES),
        study_type=to_enum(_text(row, "Study Type"), STUDY_TYPES),
        **_design(row),
        enrollment={"count": whole_number(_text(row, "Enrollment")), "type": None},
        start_date=_dated(row, "Start Date"),
        primary_completion_date=_dated(row, "Primary Completion Date"),
        completion_date=_dated(row, "Completion Date"),
        first_posted=to_iso_date(_text(row, "First Posted")),
        last_update_posted=to_iso_date(_text(row, "Last Update Posted")),
        sponsor=_text(row, "Sponsor"),
        collaborators=_items(row, "Collaborators"),
        conditions=_items(row, "Conditions"),
        interventions=interventions(_items(row, "Interventions")),
        sites=[location(item, postcode=True) for item in _items(row, "Locations")],
        outcomes=[
            outcome(kind, item)
            for kind, column in _OUTCOME_COLUMNS.items()
            for item in _items(row, column)
        ],
        eligibility=_eligibility(row),
        descriptions={"brief_summary": _text(row, "Brief Summary"), "detailed_description": None},
    )
    record["source_lines"] = source_lines(record, line, _NOT_FROM_ROW)
    return record


def _design(row: Row) -> dict:
    """ "Allocation: RANDOMIZED|Intervention Model: PARALLEL|Masking: DOUBLE (PARTICIPANT,
    INVESTIGATOR)|Primary Purpose: TREATMENT"; an observational design ("Observational
    Model: …|Time Perspective: …") has nothing the record keeps."""
    design = designs(_text(row, "Study Design"))
    masked, who_masked = masking(design.get("Masking"))
    return {
        "allocation": to_enum(design.get("Allocation"), ALLOCATIONS),
        "intervention_model": to_enum(design.get("Intervention Model"), INTERVENTION_MODELS),
        "masking": masked,
        "who_masked": who_masked,
        "primary_purpose": to_enum(design.get("Primary Purpose"), PRIMARY_PURPOSES),
    }


def _eligibility(row: Row) -> dict:
    min_age, max_age = ages(_text(row, "Age"))
    return {
        "sex": to_enum(_text(row, "Sex"), SEXES),
        "min_age_years": min_age,
        "max_age_years": max_age,
        "healthy_volunteers": None,
        "inclusion": [],
        "exclusion": [],
    }
