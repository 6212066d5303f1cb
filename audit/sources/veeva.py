"""ClinicalTrials.Veeva study pages, captured as text.

The page is a title, a one-letter sponsor avatar and the sponsor, then sections, each a heading
line ("Status and phase", "Conditions", "Enrollment", "Masking", ...) followed by its value
lines. The patient groups follow a line "60 participants in 2 patient groups" as blocks of
label / "<Type> group" / "Description:" / "Treatment:". Sections may be missing or reordered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from audit import vocab
from audit.record import arm, contact, intervention, new_record
from audit.sources import SourceError, whole_number
from audit.sources import pagetext as pt

NAME = "veeva"
#: Sections a Veeva page does not have (dates, sites, outcomes, verification).
CANNOT_CARRY = frozenset(
    {
        "official_title",
        "status_verified",
        "last_known_status",
        "start_date",
        "primary_completion_date",
        "completion_date",
        "first_posted",
        "last_update_posted",
        "collaborators",
        "sites",
        "outcomes",
        "participant_flow",
    }
)

_HEADINGS = (
    "Status and phase",
    "Conditions",
    "Treatments",
    "Study type",
    "Funder types",
    "Identifiers",
    "Details and patient eligibility",
    "About",
    "Full description",
    "Enrollment",
    "Sex",
    "Ages",
    "Volunteers",
    "Inclusion criteria",
    "Exclusion criteria",
    "Criteria",
    "Trial design",
    "Primary purpose",
    "Allocation",
    "Interventional model",
    "Masking",
    "Observational model",
    "Time perspective",
    "Trial documents",
    "Trial contacts and locations",
    "Central trial contact",
    "Data sourced from clinicaltrials.gov",
    "Clinical trials",
)
_HEADING_KEYS = {pt.key(heading): heading for heading in _HEADINGS}
_GROUPS_RE = re.compile(
    r"^(?:(\d[\d,]*)\s+participants?\s+in\s+)?(\d+)\s+patient\s+groups?\b", re.IGNORECASE
)
# A heading written on the same line as its value ("Enrollment 30 actual patients") is taken
# only where the value has the expected shape, so that criteria text never starts a section.
_INLINE = {
    "Enrollment": r"\d[\d,]*\s+(?:actual|estimated|anticipated)?\s*(?:patients|participants)\b.*",
    "Sex": r"(?:all|female|male|both)",
    "Ages": r".*\d.*\byears?\s+old\b.*",
    "Volunteers": r"(?:no\s+)?(?:accepts\s+)?healthy\s+volunteers",
    "Study type": r"(?:interventional|observational|expanded access)\b.*",
    "Allocation": r"(?:randomized|non-randomized|n/a)",
    "Masking": r"(?:none|single|double|triple|quadruple)\b.*",
}
_AVATAR_RE = re.compile(r"^[^\W\d_]{1,2}$")


@dataclass
class Section:
    """One heading and the non-blank lines under it, each with its 1-based line number."""

    heading: str
    line: int
    rows: list[tuple[int, str]] = field(default_factory=list)

    def first(self) -> tuple[int, str] | tuple[None, None]:
        return self.rows[0] if self.rows else (None, None)

    def paragraphs(self) -> str | None:
        """The lines as text: adjacent lines joined by a newline, paragraphs by a blank line."""
        text, previous = "", None
        for number, line in self.rows:
            text += ("" if previous is None else "\n" if number == previous + 1 else "\n\n") + line
            previous = number
        return text or None


def sniff(path: Path, head: str) -> bool:
    """A Veeva page names the site, or has its "Status and phase" and "Trial design" headings."""
    if "clinicaltrials.veeva" in head.casefold():
        return True
    keys = {pt.key(line) for line in pt.page_lines(head)}
    return "status and phase" in keys and "trial design" in keys


def _heading(line: str) -> tuple[str, str | None] | None:
    """(heading, value on the same line or None) when ``line`` starts a section."""
    found = _HEADING_KEYS.get(pt.key(line))
    if found:
        return found, None
    if _GROUPS_RE.match(pt.clean(line)):
        return "groups", pt.clean(line)
    for heading, shape in _INLINE.items():
        match = re.fullmatch(rf"{re.escape(heading)}\s*:?\s+({shape})", pt.clean(line), re.I)
        if match:
            return heading, match.group(1)
    return None


def split_sections(lines: list[str]) -> tuple[list[tuple[int, str]], dict[str, Section]]:
    """The lines before the first heading, and each section by heading (first one wins)."""
    preamble: list[tuple[int, str]] = []
    sections: dict[str, Section] = {}
    current: Section | None = None
    for number, raw in enumerate(lines, 1):
        text = pt.clean(raw)
        if not text:
            continue
        started = _heading(text)
        if started:
            heading, value = started
            current = Section(heading, number)
            sections.setdefault(heading, current)
            if value is not None:
                current.rows.append((number, value))
        elif current is None:
            preamble.append((number, text))
        else:
            current.rows.append((number, raw.strip() if pt.is_item(raw) else text))
    return preamble, sections


def _title_and_sponsor(preamble: list[tuple[int, str]]) -> tuple[tuple, tuple]:
    rows = [(n, t) for n, t in preamble if pt.key(t) not in ("clinicaltrials.veeva", "menu")]
    title = rows[0] if rows else (None, None)
    for index, (_, text) in enumerate(rows[1:-1], 1):
        if _AVATAR_RE.match(text):
            return title, rows[index + 1]
    return title, (None, None)


def _status_and_phases(section: Section | None) -> tuple[str | None, str | None, list, dict]:
    """(status, unmapped status text, phases, source lines) from "Unknown / Phase 2 / Phase 1"."""
    if section is None:
        return None, None, [], {}
    status = status_text = None
    phases: list[str] = []
    lines: dict[str, int] = {}
    for index, (number, text) in enumerate(section.rows):
        phase_like = re.search(r"phase|^n/?a$|^not applicable$", text, re.I)
        found = vocab.to_phases(text) if phase_like else []
        if found:
            phases.extend(p for p in found if p not in phases)
            lines.setdefault("phases", number)
        elif index == 0:
            status = pt.status(text)
            status_text = None if status else text
            lines["overall_status"] = number
    return status, status_text, sorted(phases, key=vocab.PHASES.index), lines


def _is_arm_type(text: str) -> bool:
    return text.lower().endswith("group") and vocab.to_enum(text, vocab.ARM_TYPES) is not None


def parse_groups(rows: list[tuple[int, str]]) -> list[dict]:
    """Arms from label / "<Type> group" / "Description:" ... / "Treatment:" ... blocks."""
    texts = [text for _, text in rows]
    arms: list[dict] = []
    mode = None
    index = 0
    while index < len(texts):
        text = texts[index]
        nxt = texts[index + 1] if index + 1 < len(texts) else ""
        after = texts[index + 2] if index + 2 < len(texts) else ""
        if (
            _is_arm_type(nxt)
            and not _is_arm_type(after)
            and pt.key(text) not in ("description", "treatment", "treatments")
        ):
            arms.append(arm(text, vocab.to_enum(nxt, vocab.ARM_TYPES)))
            mode, index = None, index + 2
            continue
        if pt.key(text) == "description":
            mode = "description"
        elif pt.key(text) in ("treatment", "treatments"):
            mode = "treatment"
        elif arms and mode == "description":
            old = arms[-1]["description"]
            arms[-1]["description"] = f"{old}\n{text}" if old else text
        elif arms and mode == "treatment":
            arms[-1]["interventions"].extend(pt.split_interventions(text))
        index += 1
    for group in arms:
        group["planned_size"] = pt.planned_size(group["description"])
    return arms


def _people(section: Section | None) -> list[dict]:
    """Central contacts: "liu zhongmin, doctor; wang congrong, doctor"."""
    people = []
    for _, text in section.rows if section else []:
        for chunk in text.split(";"):
            found = pt.contact(chunk)
            entry = contact(
                found["name"] or None,
                "CENTRAL_CONTACT",
                found["degrees"],
                found["email"],
                found["phone"],
            )
            if entry:
                people.append(entry)
    return people


def _value(
    sections: dict[str, Section],
    heading: str,
    vocabulary: tuple[str, ...],
    lines: dict[str, int],
    field_name: str,
) -> str | None:
    """The first line of a section mapped onto ``vocabulary``, noting its line."""
    section = sections.get(heading)
    number, text = section.first() if section else (None, None)
    if number is None:
        return None
    lines[field_name] = number
    return vocab.to_enum(re.sub(r"\(.*?\)", " ", text), vocabulary)


def parse(path: Path, text: str) -> list[dict]:
    """One record from a ClinicalTrials.Veeva study page."""
    preamble, sections = split_sections(pt.page_lines(text))
    identifiers = sections.get("Identifiers")
    ids = [(n, t) for n, t in identifiers.rows] if identifiers else []
    nct = next(((n, pt.first_nct(t)) for n, t in ids if pt.first_nct(t)), None)
    if nct is None:
        missing = "no NCT identifier found (no 'Identifiers' section with an NCT number)"
        if "Status and phase" not in sections:
            missing += " and no Veeva section headings such as 'Status and phase'"
        raise SourceError(path, f"not a usable ClinicalTrials.Veeva page: {missing}")
    lines: dict[str, int] = {"trial_id": nct[0], "nct_id": nct[0]}
    (title_line, title), (sponsor_line, sponsor) = _title_and_sponsor(preamble)
    status, status_text, phases, status_lines = _status_and_phases(sections.get("Status and phase"))
    lines.update(status_lines)
    record = new_record(
        trial_id=nct[1],
        nct_id=nct[1],
        source=NAME,
        source_file=str(path),
        title=title,
        sponsor=sponsor,
        overall_status=status,
        status_text=status_text,
        phases=phases,
        secondary_ids=[t for n, t in ids if n != nct[0] and t != nct[1]],
    )
    for field_name, number in (("title", title_line), ("sponsor", sponsor_line)):
        if number:
            lines[field_name] = number
    if len(ids) > 1:
        lines["secondary_ids"] = next(n for n, _ in ids if n != nct[0])
    _design(record, sections, lines)
    _eligibility(record, sections, lines)
    _arms_and_treatments(record, sections, lines)
    for key, heading in (("brief_summary", "About"), ("detailed_description", "Full description")):
        if heading in sections and sections[heading].rows:
            record["descriptions"][key] = sections[heading].paragraphs()
            lines[f"descriptions.{key}"] = sections[heading].rows[0][0]
    record["people"] = _people(sections.get("Central trial contact"))
    if record["people"]:
        lines["people"] = sections["Central trial contact"].rows[0][0]
    record["source_lines"] = lines
    return [record]


def _design(record: dict, sections: dict[str, Section], lines: dict[str, int]) -> None:
    record["study_type"] = _value(sections, "Study type", vocab.STUDY_TYPES, lines, "study_type")
    record["primary_purpose"] = _value(
        sections, "Primary purpose", vocab.PRIMARY_PURPOSES, lines, "primary_purpose"
    )
    record["allocation"] = _value(sections, "Allocation", vocab.ALLOCATIONS, lines, "allocation")
    record["intervention_model"] = _value(
        sections, "Interventional model", vocab.INTERVENTION_MODELS, lines, "intervention_model"
    )
    record["masking"] = _value(sections, "Masking", vocab.MASKINGS, lines, "masking")
    enrollment = sections.get("Enrollment")
    number, text = enrollment.first() if enrollment else (None, None)
    if number:
        record["enrollment"] = {"count": pt.count(text), "type": pt.count_type(text)}
        lines["enrollment"] = number


def _eligibility(record: dict, sections: dict[str, Section], lines: dict[str, int]) -> None:
    eligibility = record["eligibility"]
    eligibility["sex"] = _value(sections, "Sex", vocab.SEXES, lines, "eligibility.sex")
    ages = sections.get("Ages")
    number, text = ages.first() if ages else (None, None)
    if number:
        eligibility["min_age_years"], eligibility["max_age_years"] = pt.age_range(text)
        lines["eligibility.min_age_years"] = lines["eligibility.max_age_years"] = number
    volunteers = sections.get("Volunteers")
    number, text = volunteers.first() if volunteers else (None, None)
    if number and "healthy" in text.lower():
        eligibility["healthy_volunteers"] = not re.match(r"\s*no\b", text, re.IGNORECASE)
        lines["eligibility.healthy_volunteers"] = number
    for key, heading in (("inclusion", "Inclusion criteria"), ("exclusion", "Exclusion criteria")):
        rows = sections[heading].rows if heading in sections else []
        eligibility[key] = [pt.item_text(t) for _, t in rows if pt.item_text(t)]
        if rows:
            lines[f"eligibility.{key}"] = rows[0][0]


def _arms_and_treatments(record: dict, sections: dict[str, Section], lines: dict[str, int]) -> None:
    for field_name, heading in (("conditions", "Conditions"), ("interventions", "Treatments")):
        if heading in sections and sections[heading].rows:
            lines[field_name] = sections[heading].rows[0][0]
    record["conditions"] = (
        [t for _, t in sections["Conditions"].rows] if ("Conditions" in sections) else []
    )
    treatments = sections["Treatments"].rows if "Treatments" in sections else []
    record["interventions"] = [
        intervention(*pt.parse_intervention(piece))
        for _, text in treatments
        for piece in pt.split_interventions(text)
    ]
    groups = sections.get("groups")
    if groups:
        match = _GROUPS_RE.match(groups.rows[0][1])
        record["stated_arm_count"] = whole_number(match.group(2)) if match else None
        lines["stated_arm_count"] = groups.line
        record["arms"] = parse_groups(groups.rows[1:])
        if record["arms"]:
            lines["arms"] = groups.rows[1][0]
