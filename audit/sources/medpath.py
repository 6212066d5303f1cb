"""Importer of captured MedPath trial pages (plain text copied or scraped from the page).

A MedPath page is a sequence of labelled sections::

    MedPath                         (brand line; some captures lose it)
    <title>
    Phase 1                         (zero or more phase lines before "Conditions")
    Conditions / Interventions / Registration Number / Lead Sponsor
    Brief Summary / Detailed Description
    Recruitment & Eligibility: Status, Sex, Target Recruitment,
                               Inclusion Criteria, Exclusion Criteria
    Study & Design: Study Type, Study Design, Arm && Interventions,
                    Primary / Secondary Outcome Measures
    Trial Locations, Locations (N): facility, flag emoji, "City, State, Country"

Captures differ: labels and values may carry "- " list markers, headings may sit on their
own lines or not, the criteria headings may be lost (then inclusion items look like
"-" + paragraph blocks and exclusion items like "- text" lines), and the cells of the
tables run together. The parser therefore works in three steps:

1. ``_page_lines`` numbers the lines and strips list markers (remembering their style);
2. ``_split_sections`` cuts the page at every line that is exactly a known label;
3. small parsers read each section. Anything unknown is ignored; anything missing stays
   null or empty, never guessed.

The table heuristics (arm rows, outcome rows) are documented on ``parse_arm_table`` and
``split_outcome_row``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from audit import vocab
from audit.record import arm, intervention, new_record, outcome, site
from audit.sources import SourceError, whole_number

NAME = "medpath"
#: Sections a MedPath page does not have (dates, people, masking, site statuses).
CANNOT_CARRY = frozenset(
    {
        "status_verified",
        "last_known_status",
        "masking",
        "who_masked",
        "primary_purpose",
        "stated_arm_count",
        "enrollment.type",
        "start_date",
        "primary_completion_date",
        "completion_date",
        "first_posted",
        "last_update_posted",
        "people",
        "sites.status",
        "participant_flow",
    }
)

Note = Callable[[str, int | None], None]  # records the source line of a field

# --------------------------------------------------------------------------------------
# Lines and sections
# --------------------------------------------------------------------------------------

# Heading text (lower case, "&&" -> "&", " and " -> " & ", no trailing colon) -> section name.
_HEADINGS: dict[str, str] = {
    "conditions": "conditions",
    "interventions": "interventions",
    "registration number": "registration",
    "registration no": "registration",
    "registration no.": "registration",
    "registration id": "registration",
    "lead sponsor": "sponsor",
    "sponsor": "sponsor",
    "collaborators": "collaborators",
    "collaborator": "collaborators",
    "official title": "official_title",
    "phase": "phase",
    "phases": "phase",
    "brief summary": "brief_summary",
    "detailed description": "detailed_description",
    "recruitment & eligibility": "eligibility_group",
    "status": "status",
    "recruitment status": "status",
    "sex": "sex",
    "gender": "sex",
    "target recruitment": "enrollment",
    "target enrollment": "enrollment",
    "enrollment": "enrollment",
    "age": "age",
    "ages": "age",
    "age range": "age",
    "healthy volunteers": "healthy_volunteers",
    "accepts healthy volunteers": "healthy_volunteers",
    "inclusion criteria": "inclusion",
    "exclusion criteria": "exclusion",
    "key inclusion criteria": "inclusion",
    "key exclusion criteria": "exclusion",
    "study & design": "design_group",
    "study type": "study_type",
    "study design": "study_design",
    "allocation": "allocation",
    "arm & interventions": "arms",
    "arms & interventions": "arms",
    "primary outcome measures": "primary_outcomes",
    "primary outcome measure": "primary_outcomes",
    "secondary outcome measures": "secondary_outcomes",
    "secondary outcome measure": "secondary_outcomes",
    "other outcome measures": "other_outcomes",
    "trial locations": "locations",
    "locations": "locations",
    "related research topics": "ignored",
    "related trials": "ignored",
    "similar trials": "ignored",
    "related news": "ignored",
    "latest news": "ignored",
}
_LOCATIONS_COUNT_RE = re.compile(r"^(?:trial\s+)?locations?\s*\((\d+)\)$", re.IGNORECASE)
_UI_NOISE = {"show more", "show less", "read more", "see more", "view more", "load more"}
_FOOTER_RE = re.compile(
    r"^(?:©\s*(?:copyright\b|\d{4})|(?:©\s*)?copyright\b.*(?:all rights reserved|medpath))",
    re.IGNORECASE,
)
_BRAND_RE = re.compile(r"^medpath\b.{0,30}$", re.IGNORECASE)
_BULLET_RE = re.compile(r"^[•·▪◦○●■□*]\s*")
_DASH_RE = re.compile(r"^[-–—]\s+")
_PHASE_LINE_RE = re.compile(
    r"^(?:early\s+)?phase\s*(?:[0-4]|iv|iii|ii|i)\b(?:\s*[/&,-]\s*(?:phase\s*)?(?:[0-4]|iv|iii|ii|i)\b)*"
    r"$|^(?:not applicable|n/a|na)$",
    re.IGNORECASE,
)
_NCT_RE = re.compile(r"^NCT\d{8}$", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One page line: 1-based number, text without list marker, and the marker's style.

    ``marker`` is "" (none), "dash" ("- text"), "bare" (a line that is only "-": the text
    follows on the next lines) or "bullet" ("• text").
    """

    number: int
    text: str
    marker: str = ""


@dataclass
class Section:
    """A labelled section: its name, the heading line and the lines up to the next heading."""

    name: str
    heading: Line
    body: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """The body's non-empty lines."""
        return [line for line in self.body if line.text]


def _page_lines(text: str) -> list[Line]:
    """Numbered lines with list markers stripped; stops at the copyright footer."""
    lines: list[Line] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        stripped = raw.replace("\u00a0", " ").replace("\u200b", "").strip()
        if len(stripped) < 120 and _FOOTER_RE.match(stripped):
            break
        if stripped.casefold() in _UI_NOISE:
            continue
        if stripped in ("-", "–", "—"):
            lines.append(Line(number, "", "bare"))
        elif _DASH_RE.match(stripped):
            lines.append(Line(number, _DASH_RE.sub("", stripped), "dash"))
        elif _BULLET_RE.match(stripped):
            lines.append(Line(number, _BULLET_RE.sub("", stripped), "bullet"))
        else:
            lines.append(Line(number, stripped))
    return lines


def _heading_key(text: str) -> str:
    key = re.sub(r"\s+", " ", text).strip().rstrip(":").strip().casefold()
    key = key.replace("&&", "&").replace(" and ", " & ")
    return re.sub(r"\s*&\s*", " & ", key)


def _heading_name(text: str) -> str | None:
    """The section a line opens, or None when it is not exactly a known label."""
    if not text or len(text) > 40:
        return None
    if _LOCATIONS_COUNT_RE.match(text.strip()):
        return "locations"
    return _HEADINGS.get(_heading_key(text))


def _split_sections(lines: list[Line]) -> tuple[list[Line], list[Section]]:
    """The lines before the first label (brand, title, phases) and the labelled sections."""
    preamble: list[Line] = []
    sections: list[Section] = []
    for line in lines:
        name = _heading_name(line.text)
        if name is not None:
            sections.append(Section(name, line))
        elif sections:
            sections[-1].body.append(line)
        else:
            preamble.append(line)
    return preamble, sections


def _first(sections: list[Section], name: str) -> Section | None:
    return next((section for section in sections if section.name == name), None)


def _value(section: Section | None) -> tuple[str | None, int | None, list[Line]]:
    """A one-value section: the first non-empty line, its number and the lines after it."""
    if section is None:
        return None, None, []
    for index, line in enumerate(section.body):
        if line.text:
            return line.text, line.number, section.body[index + 1 :]
    return None, None, []


# --------------------------------------------------------------------------------------
# Lists and criteria
# --------------------------------------------------------------------------------------


@dataclass
class Item:
    """One list item: text (continuation lines joined by newlines), first line, style."""

    text: str
    number: int
    style: str


def _items(lines: Iterable[Line]) -> list[Item]:
    """List items. A marker ("-", "- ", "•") starts an item; when the list has markers,
    unmarked lines continue the current item, otherwise every line is an item."""
    lines = list(lines)
    has_markers = any(line.marker for line in lines)
    items: list[Item] = []
    current: Item | None = None
    for line in lines:
        if line.marker == "bare":
            current = Item("", line.number, "block")
            items.append(current)
        elif line.marker in ("dash", "bullet"):
            current = Item(line.text, line.number, "inline" if line.marker == "dash" else "bullet")
            items.append(current)
        elif not line.text:
            continue
        elif has_markers and current is not None:
            if not current.text:
                current.number = line.number
            current.text = f"{current.text}\n{line.text}" if current.text else line.text
        else:
            current = Item(line.text, line.number, "plain")
            items.append(current)
    return [item for item in items if item.text.strip()]


def _style_runs(items: list[Item]) -> list[list[Item]]:
    runs: list[list[Item]] = []
    for item in items:
        if runs and runs[-1][-1].style == item.style:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def split_headless_criteria(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """Inclusion and exclusion items of a criteria list whose headings were lost.

    A captured list keeps one rendering per source list ("-" + paragraph blocks for a loose
    list, "- text" lines for a tight one). Two runs of different style are therefore the
    inclusion list followed by the exclusion list. One run (or a mix that is not two clean
    runs) cannot be split: it is kept as inclusion, since MedPath lists inclusion first.
    """
    runs = _style_runs(items)
    if len(runs) == 2:
        return runs[0], runs[1]
    return items, []


# --------------------------------------------------------------------------------------
# Arm table
# --------------------------------------------------------------------------------------

_ARM_TYPE_WORDS = (
    "Active Comparator",
    "Placebo Comparator",
    "Sham Comparator",
    "No Intervention",
    "Experimental",
    "Comparator",
    "Other",
)
_ARM_TYPE_RE = re.compile(
    r"(?:(?<=\s)|^)(" + "|".join(re.escape(word) for word in _ARM_TYPE_WORDS) + r")(?=\s|:|$|[A-Z])"
)
_ARM_HEADER_RE = re.compile(r"^group(\s*)intervention(\s*)description\s*", re.IGNORECASE)


@dataclass
class ArmRow:
    """One row of the arm table and what could be read from it."""

    text: str
    number: int
    type_word: str | None = None  # the arm-type word the row starts with
    rest: str = ""  # text after the type word (the whole row when there is none)
    label: str | None = None
    intervention: str | None = None
    description: str | None = None
    resolved: bool = False


def _find_ci(text: str, needle: str, start: int = 0) -> int:
    return text.casefold().find(needle.casefold(), start)


def _starts_with_known(text: str, known: list[str], glued: bool) -> str | None:
    """The longest known name ``text`` starts with, ending at a plausible cell boundary."""
    for name in sorted(known, key=len, reverse=True):
        if not name or not text.casefold().startswith(name.casefold()):
            continue
        after = text[len(name) : len(name) + 1]
        if not after or after.isspace() or not after.islower() or glued:
            return text[: len(name)]
    return None


def _canonical(name: str, known: list[str]) -> str:
    """A name spelled as in the Interventions section when it is one of them."""
    return next((k for k in known if k.casefold() == name.casefold()), name)


def _split_label_first(row: ArmRow, known: list[str], glued: bool) -> None:
    """Group + Intervention + Description, where Group is an arm label (not a type word).

    The intervention cell is the earliest occurrence of a known intervention after a
    non-empty label (at a word start unless the cells are glued together). Without a known
    name, a label written twice in a row ("XX" + description) is label and intervention.
    """
    text = row.rest.strip()
    best: tuple[int, str] | None = None
    for name in known:
        position = _find_ci(text, name, 1) if name else -1
        while position > 0 and not (glued or text[position - 1].isspace()):
            position = _find_ci(text, name, position + 1)
        if position > 0 and (best is None or position < best[0]):
            best = (position, name)
    if best is not None:
        position, name = best
        row.label = text[:position].strip()
        row.intervention = _canonical(name, known)
        row.description = text[position + len(name) :].strip() or None
        row.resolved = True
        return
    for size in range(len(text) // 2, 2, -1):
        first, second = text[:size].strip(), text[size : 2 * size].strip()
        if first and first == second and (glued or text[size - 1 : size + 1].count(" ") == 1):
            row.label = row.intervention = first
            row.description = text[2 * size :].strip() or None
            row.resolved = True
            return


def _common_word_suffix(first: str, second: str) -> str:
    a, b = first.split(), second.split()
    count = 0
    while count < min(len(a), len(b)) - 1 and a[-1 - count] == b[-1 - count]:
        count += 1
    return " ".join(a[len(a) - count :]) if count else ""


def _resolve_typed_rows(rows: list[ArmRow], known: list[str], glued: bool) -> None:
    """Split "TYPE intervention description" rows; see ``parse_arm_table``."""
    known = list(known)
    descriptions: list[tuple[str | None, str]] = []  # (type word, description) read so far
    progress = True
    while progress:
        progress = False
        for row in rows:
            if row.resolved:
                continue
            name = _starts_with_known(row.rest, known, glued)
            if name is not None:
                row.intervention = _canonical(name, known)
                row.description = row.rest[len(name) :].strip() or None
            else:
                ordered = sorted(descriptions, key=lambda d: (d[0] != row.type_word, -len(d[1])))
                for _, description in ordered:
                    cut = len(row.rest) - len(description)
                    if (
                        cut > 0
                        and row.rest.casefold().endswith(description.casefold())
                        and (glued or row.rest[cut - 1].isspace())
                    ):
                        row.intervention = row.rest[:cut].strip()
                        row.description = row.rest[cut:].strip()
                        break
            if row.intervention:
                row.resolved = progress = True
                if row.description:
                    descriptions.append((row.type_word, row.description))
                if row.intervention not in known:
                    known.append(row.intervention)
        if progress:
            continue
        # Repetition: neighbouring rows of one arm share the description cell.
        for first, second in pairwise(rows):
            if first.resolved or second.resolved or first.type_word != second.type_word:
                continue
            suffix = _common_word_suffix(first.rest, second.rest)
            if len(suffix.split()) >= 2:
                for row in (first, second):
                    row.intervention = row.rest[: len(row.rest) - len(suffix)].strip()
                    row.description = suffix
                    row.resolved = True
                descriptions.append((first.type_word, suffix))
                for row in (first, second):
                    if row.intervention and row.intervention not in known:
                        known.append(row.intervention)
                progress = True
    for row in rows:
        if not row.resolved and vocab.to_enum(row.type_word, vocab.ARM_TYPES) == "NO_INTERVENTION":
            row.description = row.rest.strip() or None
            row.resolved = True


def _table_segments(lines: list[Line], header_re: re.Pattern[str]) -> tuple[list[Line], bool]:
    """The rows' text (a header's own line dropped, text after it kept) and whether the
    header's words were glued together ("GroupInterventionDescription")."""
    segments: list[Line] = []
    glued = False
    header_seen = False
    lines = [line for line in lines if line.text]
    words = [line.text for line in lines[:3]]
    if len(words) == 3 and header_re.fullmatch(" ".join(words)):
        lines, header_seen = lines[3:], True  # header cells captured one per line
    for line in lines:
        if not line.text:
            continue
        match = header_re.match(line.text) if not header_seen else None
        if match:
            header_seen = True
            glued = not any(group for group in match.groups())
            rest = line.text[match.end() :].strip()
            if rest:
                segments.append(Line(line.number, rest, line.marker))
        else:
            segments.append(line)
    return segments, glued


def parse_arm_table(lines: list[Line], known: list[str]) -> list[dict]:
    """Arms from the "Arm && Interventions" table, whose cells run together.

    The table has one row per (arm, intervention) pair: Group, Intervention, Description.
    Group is the arm type ("Experimental", "Comparator", ...) when the registry gives one,
    else the arm label. Rows sit one per line or all on one line.

    Heuristic:

    * Rows are cut where an arm-type word (capitalised, after white space) begins; a line
      that does not start with one is a single row whose Group is an arm label.
    * Typed rows ("TYPE rest"): the intervention is a known intervention name (from the
      Interventions section, without "Drug:" prefixes) that ``rest`` starts with; the rest
      is the description. A row that does not start with a known name but ends with a
      description already read from another row has the prefix as its intervention (this
      catches interventions the arm names but the Interventions section does not list).
      Two neighbouring rows of the same type that share a trailing run of two or more
      words share that run as description. Names and descriptions learnt this way are
      reused until nothing changes.
    * Label rows ("LABEL INTERVENTION DESCRIPTION"): the intervention is the earliest
      known name after a non-empty label; failing that, a label written twice in a row is
      label and intervention (old trials name the arm after its intervention). A typed row
      that cannot be split is tried this way too ("Experimental group Drug X ...").
    * Rows with the same type, label and description are one arm; its interventions are
      collected in order. A typed arm's label is its description (the page shows no other).
    * A row that cannot be split keeps its whole text as the label, with no description
      and no interventions: nothing is guessed.
    """
    segments, glued = _table_segments(lines, _ARM_HEADER_RE)
    rows: list[ArmRow] = []
    for segment in segments:
        starts = [match for match in _ARM_TYPE_RE.finditer(segment.text)]
        if starts and starts[0].start() == 0:
            for index, match in enumerate(starts):
                end = starts[index + 1].start() if index + 1 < len(starts) else len(segment.text)
                rest = segment.text[match.end() : end].strip().lstrip(":").strip()
                own_text = segment.text[match.start() : end].strip()
                rows.append(ArmRow(own_text, segment.number, match.group(1), rest))
        else:
            rows.append(ArmRow(segment.text, segment.number, None, segment.text))
    typed = [row for row in rows if row.type_word]
    _resolve_typed_rows(typed, known, glued)
    for index, row in enumerate(rows):
        if row.type_word and not row.resolved:
            # "Experimental group Drug X ..." may be a label that merely starts with a type word.
            candidate = ArmRow(row.text, row.number, None, row.text)
            _split_label_first(candidate, known, glued)
            if candidate.resolved:
                rows[index] = candidate
        elif not row.type_word:
            _split_label_first(row, known, glued)

    arms: list[dict] = []
    by_key: dict[tuple, dict] = {}
    for index, row in enumerate(rows):
        arm_type = vocab.to_enum(row.type_word, vocab.ARM_TYPES) if row.type_word else None
        if not row.resolved:
            label = row.rest.strip() or row.type_word or row.text
            arms.append(arm(label, arm_type, None, []))
            by_key[("unresolved", index)] = arms[-1]
            continue
        label = row.label if row.label else (row.description or row.type_word or row.text)
        key = (arm_type, label.casefold(), (row.description or "").casefold())
        entry = by_key.get(key)
        if entry is None:
            entry = arm(label, arm_type, row.description, [])
            by_key[key] = entry
            arms.append(entry)
        if row.intervention and row.intervention not in entry["interventions"]:
            entry["interventions"].append(row.intervention)
    return arms


# --------------------------------------------------------------------------------------
# Outcome tables
# --------------------------------------------------------------------------------------

_NUM = r"(?:\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)|\d+(?:\.\d+)?)"
_NUM_RANGE = rf"{_NUM}(?:\s*(?:-|–|to)\s*{_NUM})?"
_UNIT = r"(?:years?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?)"
_END = r"(?-i:(?![a-z]))"
_ANCHOR = (
    rf"(?:{_NUM_RANGE}\s*-?\s*{_UNIT}{_END}|{_UNIT}\s*{_NUM_RANGE}(?![\d.])"
    rf"|baseline{_END}|screening{_END}|end of (?:the )?(?:study|treatment|trial|follow-up){_END}"
    rf"|study completion{_END})"
)
_ANCHOR_RE = re.compile(_ANCHOR, re.IGNORECASE)
_SEPARATOR = (
    r"(?:\s*,\s*(?:and\s+|an average of\s+|approximately\s+|up to\s+)?"
    r"|\s+(?:and|to|through|or|until|up to)\s+|\s*[-–]\s*)"
)
_QUALIFIER = (
    r"(?:\s+(?:after|post|following|from|of|prior to|before)\s+(?:the\s+)?"
    r"(?:first\s+|last\s+|final\s+|initial\s+)?(?:treatment|transplant(?:ation)?|infusion|"
    r"dos(?:e|ing)|randomi[sz]ation|enrol(?:l)?ment|surgery|baseline|injection|"
    r"administration|intervention|discharge|vaccination|study drug)(?-i:(?![a-z]))"
    r"|\s+post-?(?:dose|treatment|transplant(?:ation)?|infusion|operative|surgery))?"
)
_TAIL_RE = re.compile(rf"(?:{_SEPARATOR}{_ANCHOR})*{_QUALIFIER}", re.IGNORECASE)
_LEAD_RE = re.compile(
    r"(?:(?:throughout|through|during|over)(?:\s+the)?(?:\s+(?:whole|entire))?\s+"
    r"(?:study|trial|treatment|follow-up)(?:\s+period)?(?:\s*,)?\s+(?:until|up to|to|through|till)"
    r"|up\s+to|until|till|through|within|at|after|by|approximately|about|over|for|from|during"
    r"|every)\s+$",
    re.IGNORECASE,
)
# Words after which a time expression belongs to the measure ("HbA1c at Week 52"), and
# measure words that a time expression continues ("Change From Baseline ...").
_CONNECTOR_WORDS = (
    "at to by until till through from in on over during within after before of and or between "
    "since for post per every each than the a an first last past previous next prior with "
    "under about approximately least up change changes difference reduction increase decrease "
    "improvement"
)
_CONNECTORS = frozenset(_CONNECTOR_WORDS.split())
_OUTCOME_HEADER_RE = re.compile(r"^name(\s*)time(\s*)method\s*", re.IGNORECASE)


def _time_frame_candidates(row: str, glued: bool) -> Iterable[tuple[int, int]]:
    """(start, end) of each plausible time-frame cell in ``row``, in order."""
    for match in _ANCHOR_RE.finditer(row):
        start = match.start()
        window = max(0, start - 80)
        found = _LEAD_RE.search(row, window, start)
        lead_start = found.start() if found else None
        if lead_start and not glued and not row[lead_start - 1].isspace():
            lead_start = None
        tail = _TAIL_RE.match(row, match.end())
        end = tail.end() if tail else match.end()
        if (
            lead_start is not None
            and row[lead_start:start].strip().casefold() == "from"
            and not _ANCHOR_RE.search(row, match.end(), end)
        ):
            lead_start = None  # "From Baseline" alone is half of "Change From Baseline in ..."
        if lead_start is not None and (glued or row[lead_start].isupper()):
            start = lead_start
        elif not glued and not (row[start].isupper() or row[start].isdigit()):
            continue
        before = row[:start]
        if not before.strip():
            continue
        if not before[-1:].isspace() and not glued:
            continue
        if before[-1:].isspace() or not glued:
            words = before.split()
            if words and words[-1].casefold().strip(",;:") in _CONNECTORS:
                continue
        yield start, end


def split_outcome_row(row: str, glued: bool = False) -> tuple[str, str | None]:
    """(measure, time frame) from an outcome row "Name Time Method" whose cells run together.

    The time frame is the first time expression ("3 months", "Week 52", "Day 28",
    "Baseline to Week 12", "Throughout the study until Week 52", "Up to 30 days after last
    dose" ...) that follows a non-empty measure. In captures with spaces between cells it
    must start with a capital or a digit and must not follow a connecting word ("at",
    "from", "to" ...), which keeps "HbA1c at Week 52" inside the measure; when the same
    time expression appears twice in a row, the first copy belongs to the measure. What
    follows the time frame is the method cell (not kept). Without a confident split the
    whole row is the measure and the time frame is None.
    """
    text = re.sub(r"\s+", " ", row).strip()
    candidates = list(_time_frame_candidates(text, glued))
    for index, (start, end) in enumerate(candidates):
        # A time expression directly followed by another one belongs to the measure
        # ("AUC 0-120 min 52 weeks", "... Up to 30 Days Up to 30 Days ...").
        for next_start, next_end in candidates[index + 1 :]:
            if next_start < end or text[end:next_start].strip():
                break
            start, end = next_start, next_end
        measure = text[:start].strip().rstrip(",;").strip()
        if measure:
            return measure, text[start:end].strip()
    return text, None


def parse_outcome_table(lines: list[Line], kind: str) -> list[dict]:
    segments, glued = _table_segments(lines, _OUTCOME_HEADER_RE)
    outcomes = []
    for segment in segments:
        measure, time_frame = split_outcome_row(segment.text, glued)
        outcomes.append(outcome(kind, measure, time_frame))
    return outcomes


# --------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------

_FLAG_RE = re.compile(
    r"^(?:[\U0001F1E6-\U0001F1FF]{2}|\U0001F3F4[\U000E0020-\U000E007F]+|\U0001F3F3\ufe0f?)\s*"
)
_ZIP_RE = re.compile(r"^(?:\d{3,6}(?:-\d{3,4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})$")


def _address(text: str) -> dict:
    """city, state, zip and country from "City, State, Country" (or fewer parts)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    result: dict = {"city": None, "state": None, "zip_": None, "country": None}
    zips = [part for part in parts[1:-1] if _ZIP_RE.match(part)]
    if zips:
        result["zip_"] = zips[0]
        parts = [part for part in parts if part != zips[0]]
    if len(parts) == 1:
        result["country"] = parts[0]
    elif len(parts) >= 2:
        result["city"], result["country"] = parts[0], parts[-1]
        if len(parts) > 2:
            result["state"] = ", ".join(parts[1:-1])
    return result


def _looks_like_address(text: str) -> bool:
    parts = [part.strip() for part in text.split(",")]
    return 2 <= len(parts) <= 4 and all(0 < len(part.split()) <= 4 for part in parts)


def parse_locations(lines: list[Line], count: int | None) -> list[dict]:
    """Sites from "facility / flag / City, State, Country" blocks.

    A flag emoji marks the address (on its own line or glued to it); without any flags the
    lines pair up as facility then address. At most ``count`` sites ("Locations (N)").
    """
    entries = [line.text for line in lines if line.text]
    has_flags = any(_FLAG_RE.match(text) for text in entries)
    sites: list[dict] = []
    facility: str | None = None
    expect_address = False
    for text in entries:
        flag = _FLAG_RE.match(text)
        rest = _FLAG_RE.sub("", text).strip() if flag else text
        if flag and not rest:
            expect_address = True
            continue
        is_address = (
            bool(flag)
            or expect_address
            or (facility is not None and (not has_flags or _looks_like_address(rest)))
        )
        expect_address = False
        if is_address:
            sites.append(site(facility, **_address(rest)))
            facility = None
        else:
            if facility is not None:
                sites.append(site(facility))
            facility = rest
    if facility is not None:
        sites.append(site(facility))
    return sites[:count] if count is not None else sites


# --------------------------------------------------------------------------------------
# Small values
# --------------------------------------------------------------------------------------


def _intervention(text: str) -> dict:
    """ "Biological: x" -> BIOLOGICAL x; a line without a known type prefix keeps type None."""
    prefix, sep, name = text.partition(":")
    kind = vocab.to_enum(prefix, vocab.INTERVENTION_TYPES) if sep else None
    if kind is None and sep and prefix.strip().casefold() == "procedure/surgery":
        kind = "PROCEDURE"
    if kind and name.strip():
        return intervention(kind, name.strip())
    return intervention(None, text.strip())


def _count(text: str | None) -> int | None:
    match = re.match(r"^\s*(\d{1,3}(?:,\d{3})+|\d+)\b", text or "")
    return whole_number(match.group(1)) if match else None


def _ages(text: str | None) -> tuple[float | None, float | None]:
    """min and max age in years from a structured age field ("18 Years to 70 Years")."""
    if not text:
        return None, None
    value = re.sub(r"\s+", " ", text).strip()
    unit = r"(?:\s*(?:years?|yrs?|months?|weeks?|days?))?"
    match = re.fullmatch(
        rf"(\d+(?:\.\d+)?{unit})\s*(?:to|-|–)\s*(\d+(?:\.\d+)?{unit})(?: old)?",
        value,
        re.IGNORECASE,
    )
    if match:
        low, high = match.group(1), match.group(2)
        if re.fullmatch(r"\d+(?:\.\d+)?", low.strip()):
            high_unit = re.sub(r"[\d.\s]", "", high)
            low = f"{low} {high_unit}" if high_unit else low
        return vocab.to_years(low), vocab.to_years(high)
    match = re.fullmatch(
        rf"(?:≥\s*|>=\s*)?(\d+(?:\.\d+)?{unit})(?:\s*(?:and|or) (?:older|over|above)|\+)?",
        value,
        re.IGNORECASE,
    )
    if match and (re.search(r"older|over|above|\+|≥|>=", value)):
        return vocab.to_years(match.group(1)), None
    match = re.fullmatch(rf"(?:up to|≤|<=)\s*(\d+(?:\.\d+)?{unit})", value, re.IGNORECASE)
    if match:
        return None, vocab.to_years(match.group(1))
    return None, None


def _healthy(text: str | None) -> bool | None:
    key = (text or "").strip().casefold()
    if key in ("yes", "true", "accepts healthy volunteers"):
        return True
    if key in ("no", "false"):
        return False
    return None


def _paragraphs(section: Section | None) -> tuple[str | None, int | None]:
    if section is None:
        return None, None
    lines = section.lines()
    if not lines:
        return None, None
    return "\n".join(line.text for line in lines), lines[0].number


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def sniff(path: Path, head: str) -> bool:
    """The MedPath brand, or its two most telling labels, near the start of the text."""
    return "MedPath" in head or (
        "Registration Number" in head and "Recruitment & Eligibility" in head
    )


def parse(path: Path, text: str) -> list[dict]:
    """One record from a MedPath page's text; SourceError when it is not such a page."""
    preamble, sections = _split_sections(_page_lines(text))
    names = {section.name for section in sections} - {"ignored"}
    if not names:
        raise SourceError(
            path,
            "not a MedPath trial page: none of its section labels "
            "(Registration Number, Conditions, Recruitment & Eligibility, "
            "Study & Design ...) found",
        )
    registration = _first(sections, "registration")
    trial_id, trial_line, more_ids = _value(registration)
    if not trial_id:
        raise SourceError(path, "MedPath page without a Registration Number (the trial id)")
    trial_id = trial_id.split()[0] if re.fullmatch(r"\S+(?:\s+\(.*\))?", trial_id) else trial_id

    record = new_record(source=NAME, source_file=str(path))
    lines: dict[str, int] = {}

    def note(field_name: str, number: int | None) -> None:
        if number is not None:
            lines.setdefault(field_name, number)

    record["trial_id"] = trial_id
    note("trial_id", trial_line)
    if _NCT_RE.match(trial_id):
        record["nct_id"] = trial_id.upper()
        note("nct_id", trial_line)
    record["secondary_ids"] = [
        line.text for line in more_ids if line.text and re.fullmatch(r"\S+", line.text)
    ]

    _read_preamble(preamble, sections, record, note)
    _read_overview(sections, record, note)
    _read_eligibility(sections, record, note)
    _read_design(sections, record, note)

    location_sections = [section for section in sections if section.name == "locations"]
    count = None
    for section in location_sections:
        match = _LOCATIONS_COUNT_RE.match(section.heading.text)
        if match:
            count = whole_number(match.group(1))
    location_lines = [line for section in location_sections for line in section.body]
    record["sites"] = parse_locations(location_lines, count)
    if record["sites"]:
        note("sites", next(line.number for line in location_lines if line.text))

    record["source_lines"] = lines
    return [record]


def _read_preamble(preamble: list[Line], sections: list[Section], record: dict, note: Note) -> None:
    """Title (first line that is not the brand or a phase) and the phase lines."""
    phases: list[str] = []
    phase_line = None
    for line in preamble:
        if not line.text or _BRAND_RE.match(line.text):
            continue
        if _PHASE_LINE_RE.match(line.text):
            phases += vocab.to_phases(line.text)
            phase_line = phase_line or line.number
        elif record["title"] is None:
            record["title"] = line.text
            note("title", line.number)
    phase_section = _first(sections, "phase")
    if phase_section is not None:
        for line in phase_section.lines():
            phases += vocab.to_phases(line.text)
            phase_line = phase_line or line.number
    record["phases"] = sorted(set(phases), key=vocab.PHASES.index)
    if record["phases"]:
        note("phases", phase_line)
    official, official_line, _ = _value(_first(sections, "official_title"))
    record["official_title"] = official
    note("official_title", official_line)


def _read_overview(sections: list[Section], record: dict, note: Note) -> None:
    """Conditions, interventions, sponsor, collaborators and the two descriptions."""
    conditions = _first(sections, "conditions")
    if conditions is not None:
        items = _items(conditions.body)
        record["conditions"] = [item.text for item in items]
        note("conditions", items[0].number if items else None)
    interventions = _first(sections, "interventions")
    if interventions is not None:
        items = _items(interventions.body)
        record["interventions"] = [_intervention(item.text) for item in items]
        note("interventions", items[0].number if items else None)
    sponsor, sponsor_line, _ = _value(_first(sections, "sponsor"))
    record["sponsor"] = sponsor
    note("sponsor", sponsor_line)
    collaborators = _first(sections, "collaborators")
    if collaborators is not None:
        items = _items(collaborators.body)
        record["collaborators"] = [item.text for item in items]
        note("collaborators", items[0].number if items else None)
    for name in ("brief_summary", "detailed_description"):
        value, number = _paragraphs(_first(sections, name))
        record["descriptions"][name] = value
        note(f"descriptions.{name}", number)


def _read_eligibility(sections: list[Section], record: dict, note: Note) -> None:
    """Status, sex, target recruitment, a structured age if any, and the criteria."""
    leftovers: list[Line] = []
    group = _first(sections, "eligibility_group")
    if group is not None:
        leftovers += group.body

    status, status_line, rest = _value(_first(sections, "status"))
    leftovers += rest
    if status:
        mapped = vocab.to_enum(status, vocab.OVERALL_STATUSES)
        record["overall_status"] = mapped
        if mapped is None:
            record["status_text"] = status
        note("overall_status", status_line)

    sex, sex_line, rest = _value(_first(sections, "sex"))
    leftovers += rest
    record["eligibility"]["sex"] = vocab.to_enum(sex, vocab.SEXES)
    if record["eligibility"]["sex"]:
        note("eligibility.sex", sex_line)

    target, target_line, rest = _value(_first(sections, "enrollment"))
    leftovers += rest
    record["enrollment"]["count"] = _count(target)
    if record["enrollment"]["count"] is not None:
        note("enrollment", target_line)

    age, age_line, rest = _value(_first(sections, "age"))
    leftovers += rest
    low, high = _ages(age)
    record["eligibility"]["min_age_years"] = low
    record["eligibility"]["max_age_years"] = high
    if low is not None or high is not None:
        note("eligibility.age", age_line)

    healthy, healthy_line, rest = _value(_first(sections, "healthy_volunteers"))
    leftovers += rest
    record["eligibility"]["healthy_volunteers"] = _healthy(healthy)
    if record["eligibility"]["healthy_volunteers"] is not None:
        note("eligibility.healthy_volunteers", healthy_line)

    inclusion = [item for s in sections if s.name == "inclusion" for item in _items(s.body)]
    exclusion = [item for s in sections if s.name == "exclusion" for item in _items(s.body)]
    if not inclusion and not exclusion:
        inclusion, exclusion = split_headless_criteria(_items(leftovers))
    for name, items in (("inclusion", inclusion), ("exclusion", exclusion)):
        record["eligibility"][name] = [item.text for item in items]
        if items:
            note(f"eligibility.{name}", items[0].number)


def _read_design(sections: list[Section], record: dict, note: Note) -> None:
    """Study type, study design words, the arm table and the outcome tables."""
    study_type, type_line, _ = _value(_first(sections, "study_type"))
    record["study_type"] = vocab.to_enum(study_type, vocab.STUDY_TYPES)
    if record["study_type"]:
        note("study_type", type_line)

    design, design_line, _ = _value(_first(sections, "study_design"))
    if design:
        words = [design, *re.split(r"\s*[,;/|]\s*", design)]
        model = next((m for w in words if (m := vocab.to_enum(w, vocab.INTERVENTION_MODELS))), None)
        allocation = next(
            (
                a
                for w in words
                if (a := vocab.to_enum(w, vocab.ALLOCATIONS)) in ("RANDOMIZED", "NON_RANDOMIZED")
            ),
            None,
        )
        record["intervention_model"] = model
        note("intervention_model", design_line if model else None)
        if allocation:
            record["allocation"] = allocation
            note("allocation", design_line)
    allocation, allocation_line, _ = _value(_first(sections, "allocation"))
    if allocation and record["allocation"] is None:
        record["allocation"] = vocab.to_enum(allocation, vocab.ALLOCATIONS)
        note("allocation", allocation_line if record["allocation"] else None)

    arms_section = _first(sections, "arms")
    if arms_section is not None:
        known = [entry["name"] for entry in record["interventions"]]
        record["arms"] = parse_arm_table(arms_section.body, known)
        first_row = _table_segments(arms_section.body, _ARM_HEADER_RE)[0]
        if record["arms"] and first_row:
            note("arms", first_row[0].number)

    outcomes: list[dict] = []
    for name, kind in (
        ("primary_outcomes", "primary"),
        ("secondary_outcomes", "secondary"),
        ("other_outcomes", "other"),
    ):
        for section in sections:
            if section.name == name:
                table = parse_outcome_table(section.body, kind)
                first_row = _table_segments(section.body, _OUTCOME_HEADER_RE)[0]
                if table and first_row:
                    note("outcomes", first_row[0].number)
                    note(f"outcomes.{kind}", first_row[0].number)
                outcomes += table
    record["outcomes"] = outcomes
