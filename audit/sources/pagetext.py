"""Helpers shared by the importers of captured study-page text (Veeva, classic ClinicalTrials.gov).

A captured page is plain text: one value per line or "Label : | value |" table rows. These
helpers split it into numbered lines and read the small values that both pages word alike:
names with degrees, contact cells, interventions, ages, counts and dates.
"""

from __future__ import annotations

import re

from audit import vocab
from audit.sources import whole_number

NCT_RE = re.compile(r"\bNCT\d{8}\b")
EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"\+?\(?\d[\d\s().\-/]{4,}\d(?:\s*(?:ext\.?|x)\s*\d+)?", re.IGNORECASE)
INTERVENTION_TYPE_WORDS = (
    "Behavioral",
    "Biological",
    "Combination Product",
    "Device",
    "Diagnostic Test",
    "Dietary Supplement",
    "Drug",
    "Genetic",
    "Procedure/Surgery",
    "Procedure",
    "Radiation",
    "Other",
)
_TYPE_ALTERNATION = "|".join(re.escape(word) for word in INTERVENTION_TYPE_WORDS)
INTERVENTION_RE = re.compile(rf"^\s*({_TYPE_ALTERNATION})\s*:\s*(\S.*?)\s*$", re.IGNORECASE)
# Where a new "Type: name" starts inside a run of several (never "Other Name:").
INTERVENTION_START_RE = re.compile(rf"(?<!\S)(?=(?:{_TYPE_ALTERNATION}):\s)", re.IGNORECASE)
_SUBJECTS = r"(?:patients|participants|subjects|volunteers|individuals|persons|people|cases)"
_PLANNED_RE = re.compile(
    rf"^\s*(?:(?:a\s+)?total\s+of\s+)?(\d{{1,6}})\s+(?:[^\s.]+\s+){{0,3}}?{_SUBJECTS}\b"
    r"[^.]*?\b(?:will|shall)\s+be\s+(?:enrolled|recruited|included|randomi[sz]ed|assigned|"
    r"allocated)",
    re.IGNORECASE,
)
_AGE_UNIT = r"(years?|yrs?|months?|weeks?|days?|hours?)"
_NUMBER = r"(\d+(?:\.\d+)?)"


def page_lines(text: str) -> list[str]:
    """The page's lines (line ``n`` at index ``n - 1``), without line endings or NBSP."""
    return [line.replace("\u00a0", " ").rstrip() for line in re.split(r"\r\n|\r|\n", text)]


def clean(text: str | None) -> str:
    """``text`` with runs of white space made one space and the ends stripped."""
    return re.sub(r"\s+", " ", text or "").strip()


def key(text: str) -> str:
    """A line as a comparable heading: lower case, single spaces, no trailing colon."""
    return clean(text).rstrip(":").strip().casefold()


def first_nct(text: str | None) -> str | None:
    match = NCT_RE.search(text or "")
    return match.group(0) if match else None


def split_name(text: str) -> tuple[str, list[str]]:
    """ "liu zhongmin, doctor" -> ("liu zhongmin", ["doctor"]); the name keeps its spelling."""
    parts = [clean(part) for part in text.split(",")]
    parts = [part for part in parts if part]
    if not parts:
        return "", []
    return parts[0], parts[1:]


def contact(text: str) -> dict[str, str | list[str] | None]:
    """Name, degrees, phone and email from one contact cell such as
    "Congrong Wang, MD | +86-021-38804518 | wcr601@163.com |"."""
    rest = clean(text.replace("|", " "))
    email_match = EMAIL_RE.search(rest)
    email = email_match.group(0) if email_match else None
    if email_match:
        rest = rest.replace(email_match.group(0), " ")
    phone_match = PHONE_RE.search(rest)
    phone = clean(phone_match.group(0)) if phone_match else None
    if phone_match:
        rest = rest[: phone_match.start()] + " " + rest[phone_match.end() :]
    name, degrees = split_name(clean(rest).strip(" ,;"))
    return {"name": name, "degrees": degrees, "phone": phone, "email": email}


def intervention_type(word: str | None) -> str | None:
    """The record's intervention type for "Drug", "Biological", "Procedure/Surgery" ..."""
    if word is None:
        return None
    if word.strip().casefold() == "procedure/surgery":
        return "PROCEDURE"
    return vocab.to_enum(word, vocab.INTERVENTION_TYPES)


def parse_intervention(text: str) -> tuple[str | None, str]:
    """ "Biological: saline" -> ("BIOLOGICAL", "saline"); a line without a known type keeps
    the whole text as the name and no type."""
    match = INTERVENTION_RE.match(text)
    if not match:
        return None, clean(text)
    return intervention_type(match.group(1)), clean(match.group(2))


def split_interventions(text: str) -> list[str]:
    """ "Biological: X Other: saline" -> ["Biological: X", "Other: saline"]."""
    pieces = INTERVENTION_START_RE.split(text)
    return [clean(piece).rstrip(",;").strip() for piece in pieces if clean(piece).strip(",;")]


def planned_size(description: str | None) -> int | None:
    """The group size an arm description states itself: "30 patients ... will be enrolled"."""
    if not description:
        return None
    match = _PLANNED_RE.match(description)
    return int(match.group(1)) if match else None


def _years(number: str, unit: str | None) -> float | None:
    return vocab.to_years(f"{number} {unit or 'years'}")


def age_range(text: str | None) -> tuple[float | None, float | None]:
    """(min, max) years from "30 to 75 years old", "18+ years old", "Up to 65 years old",
    "30 Years to 70 Years (Adult, Older Adult)", "18 Years and older"."""
    value = re.sub(r"\(.*?\)|\bold\b", " ", clean(text).lower())
    both = re.search(rf"{_NUMBER}\s*{_AGE_UNIT}?\s*(?:to|-|–)\s*{_NUMBER}\s*{_AGE_UNIT}?", value)
    if both:
        low_unit = both.group(2) or both.group(4)
        high_unit = both.group(4) or both.group(2)
        return _years(both.group(1), low_unit), _years(both.group(3), high_unit)
    upper = re.search(rf"(?:up to|≤|<=)\s*{_NUMBER}\s*{_AGE_UNIT}?", value)
    if upper:
        return None, _years(upper.group(1), upper.group(2))
    lower = re.search(rf"{_NUMBER}\s*{_AGE_UNIT}?\s*(?:\+|and older|and over|or older)", value)
    if lower:
        return _years(lower.group(1), lower.group(2)), None
    younger = re.search(rf"{_NUMBER}\s*{_AGE_UNIT}?\s*(?:and younger|or younger)", value)
    if younger:
        return None, _years(younger.group(1), younger.group(2))
    return None, None


def count(text: str | None) -> int | None:
    """The first whole number in ``text`` ("1,200 participants" -> 1200)."""
    match = re.search(r"\d[\d,]*", text or "")
    return whole_number(match.group(0)) if match else None


def count_type(text: str | None) -> str | None:
    """ACTUAL or ESTIMATED from a word in ``text``: "Estimated Enrollment", "30 actual patients"."""
    for word in re.findall(r"[A-Za-z]+", text or ""):
        found = vocab.to_enum(word, vocab.COUNT_TYPES)
        if found:
            return found
    return None


_DATE_RE = re.compile(
    r"[A-Za-z]{3,9}\.? \d{1,2}, \d{4}|\d{1,2} [A-Za-z]{3,9}\.? \d{4}|[A-Za-z]{3,9}\.? \d{4}"
    r"|\d{4}-\d{2}(?:-\d{2})?"
)


def find_date(text: str | None) -> str | None:
    """The first date in ``text`` as ISO ("January 3, 2020 Key Record Dates" -> 2020-01-03)."""
    for match in _DATE_RE.finditer(text or ""):
        found = vocab.to_iso_date(match.group(0))
        if found:
            return found
    return None


_MARKER_RE = re.compile(r"^\s*(?:[-•*·▪◦]|\d{1,3}[.)]|[a-z][.)])\s+")


def is_item(line: str) -> bool:
    """Does the line start with a list marker ("1.", "•", "-")?"""
    return bool(_MARKER_RE.match(line))


def item_text(line: str) -> str:
    """A list item without its marker: "  1. Type 2 diabetes;" -> "Type 2 diabetes;"."""
    return clean(_MARKER_RE.sub("", line, count=1))


def status(text: str | None) -> str | None:
    """The API v2 overall status for "Recruiting", "Active, not recruiting", "Unknown" ..."""
    value = re.sub(r"\(.*?\)", " ", clean(text))
    return vocab.to_enum(value, vocab.OVERALL_STATUSES) if value else None
