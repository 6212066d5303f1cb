"""The classic ClinicalTrials.gov website search export (TSV): one row per study, 27 columns.

Columns: Rank, NCT Number, Title, Acronym, Status, Study Results, Conditions, Interventions,
Outcome Measures, Sponsor/Collaborators, Gender, Age, Phases, Enrollment, Funded Bys, Study
Type, Study Designs, Other IDs, Start/Primary Completion/Completion Date, First Posted, Results
First Posted, Last Update Posted, Locations, Study Documents, URL. List cells are "|"-joined.
The export is not quoted (a cell may start with a literal '"'): a row is a line, cells are
tab-separated.

What the export does not say stays empty: enrollment and date types (actual or estimated),
outcome kinds (primary and secondary measures are mixed in one list, so outcomes are left
out), people. Locations are "Facility, City, State, Country": the state is always there for
the United States, optional elsewhere, and facility names may hold commas, so a non-US
location of four or more parts is split by a facility-word heuristic (see
``ctgov_export.location``).
``captured`` is the date in the file name (``..._20200709.tsv`` -> 2020-07-09) when it has one
(see ``audit.sources.file_date``) and no row was updated after it.
"""

from __future__ import annotations

import re
from pathlib import Path

from audit.record import new_record
from audit.sources import SourceError, file_date, stamp_captured, whole_number
from audit.sources.ctgov_export import (
    ages,
    cell,
    designs,
    interventions,
    location,
    masking,
    source_lines,
    unique_items,
)
from audit.vocab import (
    ALLOCATIONS,
    INTERVENTION_MODELS,
    OVERALL_STATUSES,
    PRIMARY_PURPOSES,
    SEXES,
    STUDY_TYPES,
    to_enum,
    to_iso_date,
    to_phases,
)

NAME = "ctgov-classic"
#: See the module docstring; outcomes are left out because the export mixes their kinds.
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
        "sites.zip",
        "outcomes",
        "eligibility.healthy_volunteers",
        "eligibility.inclusion",
        "eligibility.exclusion",
        "descriptions",
        "participant_flow",
    }
)

# The columns the importer reads; the others (Rank, Acronym, Study Results, Outcome Measures,
# Funded Bys, Results First Posted, Study Documents, URL) may be missing.
COLUMNS = (
    "NCT Number",
    "Title",
    "Status",
    "Conditions",
    "Interventions",
    "Sponsor/Collaborators",
    "Gender",
    "Age",
    "Phases",
    "Enrollment",
    "Study Type",
    "Study Designs",
    "Other IDs",
    "Start Date",
    "Primary Completion Date",
    "Completion Date",
    "First Posted",
    "Last Update Posted",
    "Locations",
)
_NOT_FROM_ROW = ("source", "source_file", "captured")


def sniff(path: Path, head: str) -> bool:
    """The header row names the "NCT Number" and "Study Designs" columns, tab-separated."""
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    cells = first.rstrip("\r").split("\t")
    return "NCT Number" in cells and "Study Designs" in cells


def _row_record(path: Path, row: dict[str, str], line: int) -> dict:
    nct = cell(row["NCT Number"])
    design = designs(row["Study Designs"])
    masked, who_masked = masking(design.get("Masking"))
    sponsors = unique_items(row["Sponsor/Collaborators"])
    status = cell(row["Status"])
    min_age, max_age = ages(row["Age"])
    enrollment = cell(row["Enrollment"])
    study_type = (cell(row["Study Type"]) or "").split(":")[0]
    record = new_record(
        trial_id=nct,
        nct_id=nct,
        secondary_ids=[i for i in unique_items(row["Other IDs"]) if i != nct],
        source=NAME,
        source_file=str(path),
        title=cell(row["Title"]),
        overall_status=to_enum(status, OVERALL_STATUSES),
        status_text=status,
        phases=to_phases(row["Phases"].replace("|", "/")),
        study_type=to_enum(study_type, STUDY_TYPES) if study_type else None,
        allocation=to_enum(design.get("Allocation"), ALLOCATIONS),
        intervention_model=to_enum(design.get("Intervention Model"), INTERVENTION_MODELS),
        masking=masked,
        who_masked=who_masked,
        primary_purpose=to_enum(design.get("Primary Purpose"), PRIMARY_PURPOSES),
        enrollment={"count": whole_number(enrollment), "type": None},
        start_date={"date": to_iso_date(cell(row["Start Date"])), "type": None},
        primary_completion_date={
            "date": to_iso_date(cell(row["Primary Completion Date"])),
            "type": None,
        },
        completion_date={"date": to_iso_date(cell(row["Completion Date"])), "type": None},
        first_posted=to_iso_date(cell(row["First Posted"])),
        last_update_posted=to_iso_date(cell(row["Last Update Posted"])),
        sponsor=sponsors[0] if sponsors else None,
        collaborators=sponsors[1:],
        conditions=unique_items(row["Conditions"]),
        interventions=interventions(unique_items(row["Interventions"])),
        sites=[location(item) for item in unique_items(row["Locations"])],
        eligibility={
            "sex": to_enum(cell(row["Gender"]), SEXES),
            "min_age_years": min_age,
            "max_age_years": max_age,
            "healthy_volunteers": None,
            "inclusion": [],
            "exclusion": [],
        },
    )
    record["source_lines"] = source_lines(record, line, _NOT_FROM_ROW)
    return record


def parse(path: Path, text: str) -> list[dict]:
    """One record per data row; a row without an NCT number or of the wrong width is an error.

    The export is not quoted, so a row is a line and a cell is what lies between two tabs.
    """
    lines = re.split(r"\r?\n", text.lstrip("\ufeff"))
    header = lines[0].split("\t")
    if "NCT Number" not in header:
        raise SourceError(path, "no header row naming the 'NCT Number' column")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise SourceError(path, f"search export without the columns {', '.join(missing)}")
    records = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(header):
            raise SourceError(
                path, f"line {number}: {len(cells)} cells, the header has {len(header)}"
            )
        row = dict(zip(header, cells, strict=True))
        nct = cell(row["NCT Number"])
        if not nct or not re.fullmatch(r"NCT\d{8}", nct):
            raise SourceError(path, f"line {number}: no NCT number (found {nct!r})")
        records.append(_row_record(path, row, number))
    return stamp_captured(records, file_date(path))
