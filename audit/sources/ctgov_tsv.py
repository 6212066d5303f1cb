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
location of four or more parts is split by a facility-word heuristic (see ``_site``).
``captured`` is the date in the file name (``..._20200709.tsv`` -> 2020-07-09) when it has one.
"""

from __future__ import annotations

import re
from pathlib import Path

from audit.record import intervention, new_record, site
from audit.sources import SourceError, whole_number
from audit.vocab import (
    ALLOCATIONS,
    INTERVENTION_MODELS,
    INTERVENTION_TYPES,
    MASKINGS,
    OVERALL_STATUSES,
    PRIMARY_PURPOSES,
    SEXES,
    STUDY_TYPES,
    WHO_MASKED,
    to_enum,
    to_iso_date,
    to_phases,
    to_years,
)

NAME = "ctgov-classic"

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
_FILE_DATE = re.compile(r"(?<!\d)(20\d{2})-?([01]\d)-?([0-3]\d)(?!\d)")
_AGE = re.compile(
    r"^(?:(?P<min>.+?) and older|(?P<low>.+?) to (?P<high>.+?)|up to (?P<max>.+?))"
    r"\s*(?:\(.*\))?$"
)
_COMMA_COUNTRY = re.compile(
    r"^(?:The |Islamic |Democratic |Bolivarian |Plurinational |"
    r"Former |Federated |United )?.*\b(?:Republic|State|States|Province)"
    r" of(?: the)?$"
)
_FACILITY_WORDS = re.compile(
    r"\b(?:hospital\w*|h[oô]pita\w*|ospedal\w*|presidio|universit\w*|univ|clinic\w*|"
    r"cl[ií]nica|centre|center|centro|institut\w*|inc|llc|ltd|gmbh|s\.?a|s\.?p\.?a|site|unit|"
    r"department|dept|division|faculty|school|college|laboratory|research|medical|health|"
    r"trust|foundation|fondazione|fundaci[oó]n|irccs|chu|ch|aphp|ap-hp|service|ward|"
    r"building|bldg|suite|room|road|street|blvd|campus|\d+)\b",
    re.IGNORECASE,
)

_NOT_FROM_ROW = ("source", "source_file", "captured")


def sniff(path: Path, head: str) -> bool:
    """The header row names the "NCT Number" and "Study Designs" columns, tab-separated."""
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    cells = first.rstrip("\r").split("\t")
    return "NCT Number" in cells and "Study Designs" in cells


def _cell(text: str | None) -> str | None:
    value = " ".join((text or "").split())
    return value or None


def _list(text: str | None) -> list[str]:
    """The non-empty "|"-separated items of a cell, duplicates dropped, order kept."""
    return list(dict.fromkeys(v for part in (text or "").split("|") if (v := _cell(part))))


def _captured(path: Path) -> str | None:
    match = _FILE_DATE.search(path.name)
    return to_iso_date("-".join(match.groups())) if match else None


def _designs(text: str | None) -> dict[str, str]:
    """ "Allocation: Randomized|Masking: None (Open Label)|…" -> {"Allocation": "Randomized", …}."""
    found = {}
    for part in _list(text):
        label, _, value = part.partition(":")
        if value.strip():
            found[label.strip()] = value.strip()
    return found


def _masking(text: str | None) -> tuple[str | None, list[str]]:
    """ "Triple (Participant, Care Provider, Investigator)" -> TRIPLE and who was masked."""
    if not text:
        return None, []
    level, _, who = text.partition("(")
    masked = (to_enum(w, WHO_MASKED) for w in who.rstrip(")").split(","))
    return to_enum(level, MASKINGS), list(dict.fromkeys(w for w in masked if w))


def _ages(text: str | None) -> tuple[float | None, float | None]:
    """ "18 Years and older (Adult, Older Adult)", "18 Years to 80 Years (…)", "up to 28 Days
    (Child)"; age groups alone ("Child, Adult, Older Adult") give no ages."""
    match = _AGE.match(_cell(text) or "")
    if not match:
        return None, None
    return to_years(match["min"] or match["low"]), to_years(match["high"] or match["max"])


def _interventions(text: str | None) -> list[dict]:
    """ "Drug: Duvelisib|Procedure: Peripheral blood draw" -> typed interventions."""
    found = []
    for item in _list(text):
        kind, sep, name = item.partition(": ")
        typed = to_enum(kind, INTERVENTION_TYPES) if sep else None
        found.append(intervention(typed, name.strip() if typed else item))
    return found


def _site(text: str) -> dict:
    """ "Facility, City[, State], Country" with what the format allows to tell apart.

    The country is the last part ("Korea, Republic of" kept whole). In the United States the
    state is always given, so the parts before it are city and facility. Elsewhere three parts
    are facility, city, country; with more, the part before the country is a state unless the
    part before that reads like a facility ("Hospital", "University", a number ...), in which
    case the facility name held the extra comma and there is no state.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) >= 2 and _COMMA_COUNTRY.match(parts[-1]):
        parts[-2:] = [f"{parts[-2]}, {parts[-1]}"]
    country = parts.pop() or None
    state = None
    if parts and (
        country == "United States" or (len(parts) >= 3 and not _FACILITY_WORDS.search(parts[-2]))
    ):
        state = parts.pop()
    city = parts.pop() if parts else None
    return site(", ".join(parts) or None, city or None, state or None, None, country)


def _row_record(path: Path, row: dict[str, str], line: int, captured: str | None) -> dict:
    nct = _cell(row["NCT Number"])
    designs = _designs(row["Study Designs"])
    masking, who_masked = _masking(designs.get("Masking"))
    sponsors = _list(row["Sponsor/Collaborators"])
    status = _cell(row["Status"])
    min_age, max_age = _ages(row["Age"])
    enrollment = _cell(row["Enrollment"])
    study_type = (_cell(row["Study Type"]) or "").split(":")[0]
    record = new_record(
        trial_id=nct,
        nct_id=nct,
        secondary_ids=[i for i in _list(row["Other IDs"]) if i != nct],
        source=NAME,
        source_file=str(path),
        captured=captured,
        title=_cell(row["Title"]),
        overall_status=to_enum(status, OVERALL_STATUSES),
        status_text=status,
        phases=to_phases(row["Phases"].replace("|", "/")),
        study_type=to_enum(study_type, STUDY_TYPES) if study_type else None,
        allocation=to_enum(designs.get("Allocation"), ALLOCATIONS),
        intervention_model=to_enum(designs.get("Intervention Model"), INTERVENTION_MODELS),
        masking=masking,
        who_masked=who_masked,
        primary_purpose=to_enum(designs.get("Primary Purpose"), PRIMARY_PURPOSES),
        enrollment={"count": whole_number(enrollment), "type": None},
        start_date={"date": to_iso_date(_cell(row["Start Date"])), "type": None},
        primary_completion_date={
            "date": to_iso_date(_cell(row["Primary Completion Date"])),
            "type": None,
        },
        completion_date={"date": to_iso_date(_cell(row["Completion Date"])), "type": None},
        first_posted=to_iso_date(_cell(row["First Posted"])),
        last_update_posted=to_iso_date(_cell(row["Last Update Posted"])),
        sponsor=sponsors[0] if sponsors else None,
        collaborators=sponsors[1:],
        conditions=_list(row["Conditions"]),
        interventions=_interventions(row["Interventions"]),
        sites=[_site(item) for item in _list(row["Locations"])],
        eligibility={
            "sex": to_enum(_cell(row["Gender"]), SEXES),
            "min_age_years": min_age,
            "max_age_years": max_age,
            "healthy_volunteers": None,
            "inclusion": [],
            "exclusion": [],
        },
    )
    empty = new_record()
    record["source_lines"] = {
        name: line
        for name, value in record.items()
        if value != empty[name] and name not in _NOT_FROM_ROW
    }
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
    captured = _captured(path)
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
        nct = _cell(row["NCT Number"])
        if not nct or not re.fullmatch(r"NCT\d{8}", nct):
            raise SourceError(path, f"line {number}: no NCT number (found {nct!r})")
        records.append(_row_record(path, row, number, captured))
    return records
