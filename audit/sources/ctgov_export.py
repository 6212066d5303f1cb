"""Cells of the ClinicalTrials.gov website's search exports, shared by the classic site's TSV
(``ctgov_tsv``) and the current site's CSV (``ctgov_csv``): "|"-joined lists, "Label: value"
study designs, "18 Years to 65 Years (Adult)" ages, "Type: Name" interventions and
"Facility, City[, State][, Zip], Country" locations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from audit.record import intervention, new_record, site
from audit.vocab import INTERVENTION_TYPES, MASKINGS, WHO_MASKED, to_enum, to_enums, to_years

_AGE = re.compile(
    r"^(?:(?P<min>.+?) and older|(?P<low>.+?) to (?P<high>.+?)|up to (?P<max>.+?))"
    r"\s*(?:\(.*\))?$"
)
_COMMA_COUNTRY = re.compile(
    r"^(?:The |Islamic |Democratic |Bolivarian |Plurinational |"
    r"Former |Federated |United )?.*\b(?:Republic|State|States|Province)"
    r" of(?: the)?$"
)
# Words that mark a part of a location as (a piece of) the facility's name. The second line
# holds word stems that occur inside compounds (Rigshospitalet, Uniklinik, Kinderspital).
_FACILITY_WORDS = re.compile(
    r"\b(?:hospital\w*|h[oô]pita\w*|ospedal\w*|presidio|universit\w*|univ|clinic\w*|"
    r"cl[ií]nica|centre|center|centro|institut\w*|inc|llc|ltd|gmbh|s\.?a|s\.?p\.?a|site|unit|"
    r"department|dept|division|faculty|school|college|laboratory|research|medical|health|"
    r"trust|foundation|fondazione|fundaci[oó]n|irccs|chu|ch|aphp|ap-hp|service|ward|"
    r"building|bldg|suite|room|road|street|blvd|campus|\d+)\b"
    r"|\w*(?:hospital|spital|klinik|zentrum|abteilung|sektion|medizin|dipartimento|"
    r"departamento|servicio|infirmary|nhs|section|oncolog|onkolog|ematolog|neurolog|"
    r"pediatr|paediatr|pädiatr)\w*",
    re.IGNORECASE,
)
# A postal code: one short run of letters, digits, spaces, dots and dashes, with a digit.
_POSTCODE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9 .-]{0,14}$")


def cell(text: str | None) -> str | None:
    """The cell's text with runs of white space made one space; None when blank."""
    value = " ".join((text or "").split())
    return value or None


def unique_items(text: str | None) -> list[str]:
    """The non-empty "|"-separated items of a cell, duplicates dropped, order kept."""
    return list(dict.fromkeys(v for part in (text or "").split("|") if (v := cell(part))))


def designs(text: str | None) -> dict[str, str]:
    """ "Allocation: Randomized|Masking: None (Open Label)|…" -> {"Allocation": "Randomized", …}."""
    found = {}
    for part in unique_items(text):
        label, _, value = part.partition(":")
        if value.strip():
            found[label.strip()] = value.strip()
    return found


def masking(text: str | None) -> tuple[str | None, list[str]]:
    """ "Triple (Participant, Care Provider, Investigator)" -> TRIPLE and who was masked."""
    if not text:
        return None, []
    level, _, who = text.partition("(")
    return to_enum(level, MASKINGS), to_enums(who.rstrip(")").split(","), WHO_MASKED)


def ages(text: str | None) -> tuple[float | None, float | None]:
    """ "18 Years and older (Adult, Older Adult)", "18 Years to 80 Years (…)", "up to 28 Days
    (Child)"; age groups alone ("Child, Adult, Older Adult") give no ages."""
    match = _AGE.match(cell(text) or "")
    if not match:
        return None, None
    return to_years(match["min"] or match["low"]), to_years(match["high"] or match["max"])


def interventions(items: Iterable[str]) -> list[dict]:
    """ "Drug: Duvelisib", "PROCEDURE: Blood draw" -> typed interventions; an item whose
    prefix names no intervention type is kept whole, untyped."""
    found = []
    for item in items:
        kind, sep, name = item.partition(": ")
        typed = to_enum(kind, INTERVENTION_TYPES) if sep else None
        found.append(intervention(typed, name.strip() if typed else item))
    return found


def location(text: str, postcode: bool = False) -> dict:
    """ "Facility, City[, State], Country" (``postcode``: "…[, Zip], Country") as a site, with
    what the format allows to tell apart.

    Commas inside parentheses do not separate parts. The country is the last part ("Korea,
    Republic of" kept whole); then, with ``postcode``, a short part with a digit is the zip
    (only when a facility and a city precede it). In the United States the state is always
    given, so the parts before it are city and facility. Elsewhere two parts are facility and
    city; with more, the part before the city is taken for a state unless the part before that
    reads like a facility ("Hospital", "Klinik", a number ...), in which case the facility name
    held the extra comma and there is no state.
    """
    parts = _location_parts(text)
    if len(parts) >= 2 and _COMMA_COUNTRY.match(parts[-1]):
        parts[-2:] = [f"{parts[-2]}, {parts[-1]}"]
    country = parts.pop()
    zip_ = None
    if postcode and len(parts) >= 3 and _POSTCODE.match(parts[-1].strip()):
        zip_ = parts.pop()
    state = None
    if parts and (
        country == "United States" or (len(parts) >= 3 and not _FACILITY_WORDS.search(parts[-2]))
    ):
        state = parts.pop()
    city = parts.pop() if parts else None
    return site(_part(", ".join(parts)), _part(city), _part(state), _part(zip_), _part(country))


def _part(text: str | None) -> str | None:
    return (text or "").strip() or None


def _location_parts(text: str) -> list[str]:
    """The parts of a location: the export joins them with ", ", so a comma without a space
    ("Hospital,UHN") or inside balanced parentheses ("Site (Tel 1-877, 1-317)") is kept."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
        if depth == 0 and text.startswith(", ", index):
            parts.append(text[start:index])
            start = index + 2
    parts.append(text[start:])
    if depth != 0:  # unbalanced: parentheses tell nothing
        parts = text.split(", ")
    return parts


def source_lines(record: dict, line: int, not_from_row: Iterable[str]) -> dict[str, int]:
    """{field: ``line``} for every field the row filled (those of ``not_from_row`` aside)."""
    empty = new_record()
    return {
        name: line
        for name, value in record.items()
        if value != empty[name] and name not in not_from_row
    }
