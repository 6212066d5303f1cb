"""The classic ClinicalTrials.gov study page (``/ct2/show/NCT…``), captured as text.

The capture keeps the page's tables as "Label : | value |" rows and drops most headings. The
importer reads the labelled rows ("Recruitment Status :", "Estimated Enrollment :", "Masking:",
"Actual Study Start Date :", "Other Study ID Numbers:", ...), the condition table, the arm
table, the "[ Time Frame: … ]" outcomes, the criteria lists, and the contacts and locations
(central "Contact:" rows, then blocks of country / facility | status / city, state, country,
zip with their own contacts), and the investigators ("Principal Investigator: | name | place |").
"""

from __future__ import annotations

import re
from pathlib import Path

from audit import vocab
from audit.record import arm, contact, intervention, new_record, outcome, person, site
from audit.sources import SourceError
from audit.sources import pagetext as pt

NAME = "ctgov-classic"
#: The page gives no number of arms and no participant flow.
CANNOT_CARRY = frozenset({"stated_arm_count", "participant_flow"})

_KIND = r"(?P<kind>Actual|Estimated|Anticipated|Expected)?\s*"
_OFFICIAL_RE = re.compile(
    r"^(Principal Investigator|Study Director|Study Chair|"
    r"Sub-Investigator|Study Principal Investigator)\s*:\s*(.*)$",
    re.I,
)
_CONTACT_RE = re.compile(r"^Contact\s*:\s*(.*)$", re.I)
_OUTCOME_RE = re.compile(
    r"^\s*(?:[-*•]|\d{1,3}\.)?\s*(?P<measure>.+?)\s*"
    r"\[\s*Time Frame\s*:\s*(?P<frame>[^\]]*?)\s*\]",
    re.I,
)
_OUTCOME_HEADING_RE = re.compile(
    r"^(?P<original>Original\s+)?(?P<kind>Primary|Secondary|Other(?:\s+Pre-specified)?)\s+"
    r"Outcome\s+Measures?\b",
    re.I,
)
_CRITERIA_STOP_RE = re.compile(
    r"^(Inclusion Criteria|Exclusion Criteria|Criteria\s*:?\s*$|Contacts and Locations|"
    r"To learn more about this study|Please refer to this study|Contact\s*:|Sponsors and "
    r"Collaborators|Layout table|More Information|Information from the National Library|"
    r"Choosing to participate)",
    re.I,
)
_TEXT_STOP_RE = re.compile(
    r"^(Detailed Description|Condition or disease|Study Design|Study Type|Arms and "
    r"Interventions|Go to sections|Outcome Measures|Eligibility Criteria|Layout table)",
    re.I,
)
_REGION_END_RE = re.compile(
    r"^(Sponsors and Collaborators|Investigators\s*$|More Information|Responsible Party\s*:|"
    r"ClinicalTrials\.gov Identifier\s*:|Other Study ID Numbers|Keywords provided by|"
    r"Additional relevant MeSH|Publications|Layout table for investigator)",
    re.I,
)
_LABEL_ROW_RE = re.compile(r"^[A-Z][A-Za-z ./()-]*\s*:\s*\|")
_SKIP_RE = re.compile(
    r"^(Layout table|Locations\s*$|Contacts\s*$|(Show|Hide) .*locations|"
    r"Sort by|Listing a study does not mean)",
    re.I,
)


def sniff(path: Path, head: str) -> bool:
    """The classic page states "ClinicalTrials.gov Identifier:" and a "Recruitment Status"."""
    folded = head.casefold()
    return "clinicaltrials.gov identifier:" in folded and "recruitment status" in folded


def cells(text: str) -> list[str]:
    """The cells of a "a | b | c |" row, stripped, the empty one after the last bar dropped;
    a cell written over several lines keeps one line per line."""
    parts = ["\n".join(filter(None, map(pt.clean, part.split("\n")))) for part in text.split("|")]
    return parts[:-1] if len(parts) > 1 and not parts[-1] else parts


class Page:
    """The page's lines with look-ups by label; line numbers are 1-based."""

    def __init__(self, text: str):
        self.raw = pt.page_lines(text)
        self.lines = [pt.clean(line) for line in self.raw]

    def find(self, pattern: str, start: int = 0) -> int | None:
        """Index of the first line from ``start`` that starts with ``pattern``."""
        regex = re.compile(rf"^(?:{pattern})", re.I)
        return next((i for i in range(start, len(self.lines)) if regex.match(self.lines[i])), None)

    def label(self, pattern: str) -> tuple[str | None, int | None, str | None]:
        """(value, line number, the label's ACTUAL/ESTIMATED word) of "Label : | value |"."""
        regex = re.compile(rf"^{pattern}\s*:\s*(?P<rest>.*)$", re.I)
        for index, line in enumerate(self.lines):
            match = regex.match(line)
            if match:
                kind = match.groupdict().get("kind")
                value, number = self._value(index, match.group("rest"))
                return value, number, kind
        return None, None, None

    def _value(self, index: int, rest: str) -> tuple[str | None, int | None]:
        table = rest.startswith("|")
        rest = rest.lstrip("|").strip()
        if rest:
            return (rest.split("|")[0].strip() or None), index + 1
        if not table:
            following = next(
                (j for j in range(index + 1, min(index + 4, len(self.lines))) if self.lines[j]),
                None,
            )
            if following is None or "|" in self.lines[following]:
                return None, None
            return self.lines[following], following + 1
        parts: list[str] = []
        for j in range(index + 1, min(index + 20, len(self.lines))):
            parts.append(self.lines[j].split("|")[0].strip())
            if "|" in self.lines[j]:
                value = "\n".join(part for part in parts if part)
                return (value or None), index + 2
        return None, None


def parse(path: Path, text: str) -> list[dict]:
    """One record from a classic ClinicalTrials.gov study page."""
    page = Page(text)
    value, number, _ = page.label(r"ClinicalTrials\.gov Identifier")
    nct = pt.first_nct(value)
    if nct is None:
        found = page.find(r"Please refer to this study by its ClinicalTrials\.gov identifier")
        nct = pt.first_nct(page.lines[found]) if found is not None else None
        number = found + 1 if found is not None else None
    if nct is None or number is None:
        raise SourceError(
            path,
            "not a usable classic ClinicalTrials.gov page: no NCT identifier "
            "found (no 'ClinicalTrials.gov Identifier: NCT…' line)",
        )
    record = new_record(trial_id=nct, nct_id=nct, source=NAME, source_file=str(path))
    lines: dict[str, int] = {"trial_id": number, "nct_id": number}
    _header(page, record, lines)
    _design(page, record, lines)
    _descriptions(page, record, lines)
    _conditions(page, record, lines)
    _arms(page, record, lines)
    _outcomes(page, record, lines)
    _eligibility(page, record, lines)
    _contacts_and_sites(page, record, lines)
    _more_information(page, record, lines)
    record["source_lines"] = lines
    return [record]


def _title(page: Page) -> tuple[str | None, int | None]:
    """The brief title: the line above the "The safety and scientific validity" notice."""
    notice = page.find(r"The safety and scientific validity")
    candidates = range(notice - 1, -1, -1) if notice is not None else range(len(page.lines))
    for index in candidates:
        text = page.lines[index].strip("| ")
        if text and not text.startswith("!") and "|" not in text:
            return text, index + 1
    return None, None


def _header(page: Page, record: dict, lines: dict[str, int]) -> None:
    """Title, status, verification and the posted dates at the top of the page."""
    record["title"], number = _title(page)
    if number:
        lines["title"] = number
    value, number, _ = page.label(r"Recruitment Status")
    if number:
        record["overall_status"] = pt.status(value)
        record["status_text"] = None if record["overall_status"] else value
        lines["overall_status"] = number
    value, number, _ = page.label(r"Recruitment status was")
    if number:
        record["last_known_status"] = pt.status(value)
        lines["last_known_status"] = number
    verified = page.find(r"Verified\s+\S+")
    date = (
        pt.find_date(re.sub(r"\s+by\s.*$", "", page.lines[verified]))
        if verified is not None
        else None
    )
    if date and len(date) >= 7:
        record["status_verified"], lines["status_verified"] = date[:7], verified + 1
    for field_name, label in (
        ("first_posted", r"First Posted"),
        ("last_update_posted", r"Last Update Posted"),
    ):
        value, number, _ = page.label(label)
        if number:
            record[field_name] = pt.find_date(value)
            lines[field_name] = number


def _design(page: Page, record: dict, lines: dict[str, int]) -> None:
    """The "Study Design" rows: type, enrollment, allocation, model, masking, purpose, dates."""
    value, number, _ = page.label(r"Study Type")
    if number:
        record["study_type"] = vocab.to_enum(re.sub(r"[(\[].*", "", value or ""), vocab.STUDY_TYPES)
        lines["study_type"] = number
    value, number, kind = page.label(rf"{_KIND}Enrollment")
    if number:
        record["enrollment"] = {"count": pt.count(value), "type": pt.count_type(kind)}
        lines["enrollment"] = number
    for field_name, label, vocabulary in (
        ("allocation", r"Allocation", vocab.ALLOCATIONS),
        ("intervention_model", r"Intervention Model", vocab.INTERVENTION_MODELS),
        ("primary_purpose", r"Primary Purpose", vocab.PRIMARY_PURPOSES),
    ):
        value, number, _ = page.label(label)
        if number:
            record[field_name] = vocab.to_enum(value, vocabulary)
            lines[field_name] = number
    value, number, _ = page.label(r"Masking")
    if number:
        match = re.match(r"([^(]*)(?:\((.*)\))?", value or "")
        record["masking"] = vocab.to_enum(match.group(1), vocab.MASKINGS)
        roles = [
            vocab.to_enum(word, vocab.WHO_MASKED) for word in (match.group(2) or "").split(",")
        ]
        record["who_masked"] = [role for role in dict.fromkeys(roles) if role]
        lines["masking"] = number
    value, number, _ = page.label(r"Official Title")
    if number:
        record["official_title"], lines["official_title"] = value, number
    for field_name, label in (
        ("start_date", r"Study Start Date"),
        ("primary_completion_date", r"Primary Completion Date"),
        ("completion_date", r"Study Completion Date"),
    ):
        value, number, kind = page.label(rf"{_KIND}{label}")
        if number:
            record[field_name] = {"date": pt.find_date(value), "type": pt.count_type(kind)}
            lines[field_name] = number


def _text_after(page: Page, index: int) -> str | None:
    """The paragraphs after a "Brief Summary:" label, up to the next section."""
    paragraphs: list[list[str]] = [[]]
    first = page.lines[index].split(":", 1)[1].strip()
    if first:
        paragraphs[-1].append(first)
    for line in page.lines[index + 1 :]:
        if _TEXT_STOP_RE.match(line) or "|" in line:
            break
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p) or None


def _descriptions(page: Page, record: dict, lines: dict[str, int]) -> None:
    for key, label in (
        ("brief_summary", r"Brief Summary\s*:"),
        ("detailed_description", r"Detailed Description\s*:"),
    ):
        index = page.find(label)
        if index is not None:
            record["descriptions"][key] = _text_after(page, index)
            lines[f"descriptions.{key}"] = index + 1


def _table_rows(page: Page, header: int, width: int | None = None) -> tuple[list[str], int]:
    """The cells of the table whose header line is ``header`` (at most ``width`` of them), and
    the index of the table's first body line."""
    first = header + 1
    if first < len(page.lines) and page.lines[first].startswith("---"):
        first += 1
    body: list[str] = []
    for index in range(first, len(page.lines)):
        line = page.lines[index]
        if (
            not line
            or _OUTCOME_RE.match(line)
            or _OUTCOME_HEADING_RE.match(line)
            or (_LABEL_ROW_RE.match(line))
        ):
            break
        body.append(page.raw[index].strip())
        if width is not None and "\n".join(body).count("|") >= width:
            break
    return cells("\n".join(body)), first


def _conditions(page: Page, record: dict, lines: dict[str, int]) -> None:
    """The "Condition or disease | Intervention/treatment | Phase |" table."""
    header = page.find(r"Condition or disease\s*\|")
    if header is None:
        return
    names = [name.casefold() for name in cells(page.lines[header])]
    row, first = _table_rows(page, header, len(names))
    for name, cell in zip(names, row, strict=False):
        field_name = next(
            (f for f in ("conditions", "interventions", "phases") if name.startswith(f[:5])), None
        )
        if field_name:
            lines[field_name] = first + 1
        if field_name == "conditions":
            record["conditions"] = [pt.clean(c) for c in cell.split("\n") if pt.clean(c)]
        elif field_name == "interventions":
            record["interventions"] = [
                intervention(*pt.parse_intervention(piece))
                for piece in pt.split_interventions(cell)
            ]
        elif field_name == "phases":
            record["phases"] = vocab.to_phases(cell)


def _arm_cell(text: str) -> dict:
    """ "Experimental: experimental group" and its description lines."""
    rows = [pt.clean(line) for line in text.split("\n") if pt.clean(line)]
    label, kind = rows[0], None
    match = re.match(r"^([A-Za-z ]+?)\s*:\s*(.+)$", rows[0])
    if match and vocab.to_enum(match.group(1), vocab.ARM_TYPES):
        kind, label = vocab.to_enum(match.group(1), vocab.ARM_TYPES), match.group(2)
    description = "\n".join(rows[1:]) or None
    return arm(label, kind, description, planned_size=pt.planned_size(description))


def _intervention_cell(text: str) -> list[tuple[str, str | None]]:
    """[("Biological: X", "its description"), ...] from an arm's intervention cell."""
    found: list[list] = []
    for line in (pt.clean(line) for line in text.split("\n")):
        if not line or re.match(r"^Other Names?\s*:", line, re.I):
            continue
        if pt.INTERVENTION_RE.match(line):
            found.append([line, None])
        elif found:
            found[-1][1] = f"{found[-1][1]}\n{line}" if found[-1][1] else line
    return [(name, description) for name, description in found]


def _arms(page: Page, record: dict, lines: dict[str, int]) -> None:
    """The "Arm | Intervention/treatment |" table; fills intervention descriptions too."""
    header = page.find(r"(Arm|Group/Cohort)\s*\|\s*Intervention")
    if header is None:
        return
    row, _ = _table_rows(page, header)
    described: dict[str, str | None] = {}
    for arm_text, treatment_text in zip(row[0::2], row[1::2], strict=False):
        if not pt.clean(arm_text):
            continue
        group = _arm_cell(arm_text)
        for name, description in _intervention_cell(treatment_text):
            group["interventions"].append(name)
            described.setdefault(name, description)
        record["arms"].append(group)
    lines["arms"] = header + 1
    known = {f"{i['type']}|{i['name']}".casefold(): i for i in record["interventions"]}
    for name, description in described.items():
        kind, short = pt.parse_intervention(name)
        entry = known.get(f"{kind}|{short}".casefold())
        if entry is None:
            entry = intervention(kind, short)
            record["interventions"].append(entry)
            known[f"{kind}|{short}".casefold()] = entry
        entry["description"] = entry["description"] or description


def _outcomes(page: Page, record: dict, lines: dict[str, int]) -> None:
    """ "- UACR [ Time Frame: 48 weeks ]" lines, under their Primary/Secondary headings.

    When the capture lost those headings, only the first outcome is known to be primary: the
    classic page always lists the primary outcome measures first and registration requires
    one. The others could be primary or secondary, so they are recorded as "other".
    """
    headed = any(_OUTCOME_HEADING_RE.match(line) for line in page.lines)
    kind: str | None = "other" if headed else "primary"
    for index, line in enumerate(page.lines):
        heading = _OUTCOME_HEADING_RE.match(line)
        if heading:  # the outcomes as first registered are history, not the record
            kind = None if heading.group("original") else heading.group("kind").split()[0]
            kind = kind.lower() if kind else None
            continue
        match = _OUTCOME_RE.match(line)
        if match and kind is not None:
            record["outcomes"].append(
                outcome(
                    kind, pt.clean(match.group("measure")), pt.clean(match.group("frame")) or None
                )
            )
            lines.setdefault("outcomes", index + 1)
            kind = kind if headed else "other"


def _items(page: Page, start: int) -> list[str]:
    """Criteria list items from line index ``start`` up to the next heading or blank gap."""
    items: list[str] = []
    for index in range(start, len(page.lines)):
        line = page.lines[index]
        if not line:
            following = next((t for t in page.lines[index + 1 :] if t), "")
            if not pt.is_item(following):
                break
            continue
        if _CRITERIA_STOP_RE.match(line) or "|" in line:
            break
        if pt.item_text(page.raw[index]):
            items.append(pt.item_text(page.raw[index]))
    return items


def _eligibility(page: Page, record: dict, lines: dict[str, int]) -> None:
    eligibility = record["eligibility"]
    value, number, _ = page.label(r"Ages? Eligible for Study")
    if number:
        eligibility["min_age_years"], eligibility["max_age_years"] = pt.age_range(value)
        lines["eligibility.min_age_years"] = lines["eligibility.max_age_years"] = number
    value, number, _ = page.label(r"(?:Sexes|Sex|Genders?) Eligible for Study")
    if number:
        eligibility["sex"] = vocab.to_enum(value, vocab.SEXES)
        lines["eligibility.sex"] = number
    value, number, _ = page.label(r"Accepts Healthy Volunteers")
    if number and (value or "").lower() in ("yes", "no"):
        eligibility["healthy_volunteers"] = value.lower() == "yes"
        lines["eligibility.healthy_volunteers"] = number
    for key, label in (
        ("inclusion", r"Inclusion Criteria\b[^:]*:"),
        ("exclusion", r"Exclusion Criteria\b[^:]*:"),
    ):
        index = page.find(label)
        if index is not None:
            eligibility[key] = _items(page, index + 1)
            lines[f"eligibility.{key}"] = index + 1


def _address(text: str, header: str | None) -> dict | None:
    """City, state, country and zip from "Shanghai, Shanghai, China, 200124" under the
    country header "China, Shanghai"; None when the text is not an address in that country."""
    if not header:
        return None
    parts = [pt.clean(part) for part in text.split(",") if pt.clean(part)]
    zip_code = parts.pop() if len(parts) > 2 and re.search(r"\d", parts[-1]) else None
    joined = ", ".join(parts)
    for country in (header, header.split(",")[0].strip()):
        if joined.endswith(f", {country}"):
            place = [pt.clean(p) for p in joined[: -len(country) - 2].split(",")]
            return {
                "city": place[0] or None,
                "state": ", ".join(place[1:]) or None,
                "country": country,
                "zip": zip_code,
            }
    return None


def _region(page: Page) -> tuple[int, int]:
    """Line indexes [start, end) of the contacts and locations part (empty when not found)."""
    start = page.find(r"Please refer to this study by its ClinicalTrials\.gov identifier")
    if start is None:
        start = page.find(r"To learn more about this study, you or your doctor may contact")
    if start is None:
        start = page.find(r"Contact\s*:")
        start = start - 1 if start is not None else None
    if start is None:
        return 0, 0
    end = start + 1
    while end < len(page.lines):
        official = _OFFICIAL_RE.match(page.lines[end])
        if _REGION_END_RE.match(page.lines[end]) or (official and _is_overall(official.group(2))):
            break
        end += 1
    return start + 1, end


def _site_rows(page: Page, start: int, end: int) -> dict[int, tuple[str, dict]]:
    """Facility row index -> (facility row, address) for each location block.

    A block is an optional country header ("China, Shanghai"), a facility row ("Shanghai East
    Hospital | Recruiting |") and an address row in that country ("Shanghai, Shanghai, China,
    200124"): a row followed by an address is a facility, any other row a new header.
    """
    rows = [
        i
        for i in range(start, end)
        if page.lines[i]
        and not _SKIP_RE.match(page.lines[i])
        and not _CONTACT_RE.match(page.lines[i])
        and not _OFFICIAL_RE.match(page.lines[i])
    ]
    found: dict[int, tuple[str, dict]] = {}
    header: str | None = None
    position = 0
    while position < len(rows):
        first_cell = cells(page.lines[rows[position]])[0]
        following = rows[position + 1] if position + 1 < len(rows) else None
        place = _address(cells(page.lines[following])[0], header) if following is not None else None
        if place:
            found[rows[position]] = (page.lines[rows[position]], place)
            position += 2
        else:
            header = first_cell
            position += 1
    return found


def _contacts_and_sites(page: Page, record: dict, lines: dict[str, int]) -> None:
    """Central contacts, then sites with their own contacts and investigators, then the
    overall officials."""
    start, end = _region(page)
    facilities = _site_rows(page, start, end)
    current: dict | None = None
    for index in range(start, end):
        line = page.lines[index]
        contact_line = _CONTACT_RE.match(line)
        official = _OFFICIAL_RE.match(line)
        if index in facilities:
            row, place = cells(facilities[index][0]), facilities[index][1]
            current = site(
                row[0],
                place["city"],
                place["state"],
                place["zip"],
                place["country"],
                pt.status(row[1]) if len(row) > 1 else None,
            )
            record["sites"].append(current)
            lines.setdefault("sites", index + 1)
        elif contact_line:
            found = pt.contact(contact_line.group(1))
            entry = contact(
                found["name"] or None,
                "SITE_CONTACT" if current else "CENTRAL_CONTACT",
                found["degrees"],
                found["email"],
                found["phone"],
                current["facility"] if current else None,
            )
            if entry:
                record["people"].append(entry)
                lines.setdefault("people", index + 1)
        elif official:
            _official(record, official.group(2), current)
    for index in range(end, len(page.lines)):
        official = _OFFICIAL_RE.match(page.lines[index])
        if official:
            _official(record, official.group(2), None)
            lines.setdefault("people", index + 1)


def _is_overall(text: str) -> bool:
    """Is "| name | affiliation |" the overall investigators' table row (not a site's)?"""
    return text.startswith("|") and len([part for part in cells(text) if part]) >= 2


def _official(record: dict, text: str, current: dict | None) -> None:
    """ "| Zhongming Liu, MD | Shanghai East Hospital |" (a table row) is an overall official;
    "Jane Roe, MD" written in a site's block is that site's investigator."""
    parts = [part for part in cells(text) if part]
    name, degrees = pt.split_name(parts[0]) if parts else ("", [])
    if not name:
        return
    if current is not None and not _is_overall(text):
        record["people"].append(
            person(name, "SITE_INVESTIGATOR", degrees, affiliation=current["facility"])
        )
    else:
        record["people"].append(
            person(
                name, "OVERALL_OFFICIAL", degrees, affiliation=parts[1] if len(parts) > 1 else None
            )
        )


def _more_information(page: Page, record: dict, lines: dict[str, int]) -> None:
    """Secondary ids, "Last Verified", sponsor and collaborators."""
    value, number, _ = page.label(r"Other Study ID Numbers")
    if number:
        ids = [pt.clean(re.sub(r"\[.*?\]", " ", v)) for v in (value or "").split("\n")]
        record["secondary_ids"] = [v for v in ids if v and v != record["nct_id"]]
        lines["secondary_ids"] = number
    if record["status_verified"] is None:
        value, number, _ = page.label(r"Last Verified")
        date = pt.find_date(value)
        if number and date and len(date) >= 7:
            record["status_verified"], lines["status_verified"] = date[:7], number
    value, number, _ = page.label(r"Sponsor")
    if value is None:
        names = _sponsors_and_collaborators(page)
        if names:
            (number, value), record["collaborators"] = names[0], [n for _, n in names[1:]]
    if value is None:
        value, number, _ = page.label(r"Responsible Party")
    if value:
        record["sponsor"], lines["sponsor"] = value, number
    collaborators, number, _ = page.label(r"Collaborators?")
    if collaborators and not record["collaborators"]:
        record["collaborators"] = [c for c in collaborators.split("\n") if c]
        lines["collaborators"] = number


def _sponsors_and_collaborators(page: Page) -> list[tuple[int, str]]:
    """(line number, name) under a "Sponsors and Collaborators" heading: sponsor first."""
    index = page.find(r"Sponsors and Collaborators\s*$")
    names: list[tuple[int, str]] = []
    for i in range(index + 1 if index is not None else len(page.lines), len(page.lines)):
        line = page.lines[i]
        if _REGION_END_RE.match(line) or _OFFICIAL_RE.match(line) or _LABEL_ROW_RE.match(line):
            break
        if line.strip("| "):
            names.append((i + 1, line.strip("| ")))
    return names
