"""WHO ICTRP CSV export: one trial per row, 40 columns (TrialID, Public title, ... Bridged type).

Rows come from many registries (ClinicalTrials.gov, ChiCTR, IRCT, EU CTR, CTRI, DRKS, ISRCTN,
ANZCTR, JPRN ...), and each registry words the same column its own way. A value is mapped only
where the wording states it; everything else stays null or empty. Decisions worth knowing:

* Cells are cleaned to plain text: ``_x000D_`` (an escaped carriage return), ``<br>`` and HTML
  entities (``&#32;``) become line breaks and characters. A file whose whole text is UTF-8 that
  was once read as Mac Roman (``M√©diterran√©e``) is decoded back (``Méditerranée``); the
  repair is applied only when the entire text round-trips, so correct UTF-8 is never touched.
* ``Recruitment Status``: only unambiguous words map to ``overall_status`` ("Recruiting",
  "Completed" ...). ICTRP's "Not recruiting" (not yet, active, completed?) and EU CTR's
  "Authorised" map to null; the raw word is always kept in ``status_text``. "Recruiting" and
  "Not recruiting" ("Not Recruiting") also give ``status_family`` RECRUITING / NOT_RECRUITING,
  which ``source-conflict`` compares with the family of the other source's status.
* ``Phase``: "Phase 2/Phase 3", "II-III", "2-3", EU CTR's "(Phase II): yes" lists, bare
  registry numbers "1".."4" and "Not Applicable" map. A bare "0" does not: ChiCTR writes it for
  observational studies too. Dates such as "2020-03-02 00:00:00" (a spreadsheet's reading of
  "2-3") and words like "Retrospective study" give no phase.
* ``Target size``: a plain integer is the planned enrollment (ESTIMATED). ChiCTR's per-group
  sizes ("Experimental group:30;Control group:30;") give the sum and one arm per group with its
  planned size; the groups' interventions are paired from the ``Intervention`` cell, which
  ChiCTR writes as "group:treatment;" with the same labels. ChiCTR's diagnostic sizes
  ("Target condition:200;Difficult condition:0") give the sum but no arms: they are
  categories of participants, not study groups. Anything else (including cells the export cut
  off at 254 characters) is not a count.
* Contacts: ICTRP packs several people into one cell, separated by ";" (ClinicalTrials.gov rows
  list officials then central contacts). Names are paired with emails, phones and affiliations
  by position when the counts match (with one name, the whole cell is that person's); with
  exactly two people the first is the public and the second the scientific contact, otherwise
  all are public contacts. A person's part of the email cell may hold several addresses
  ("a@x.org, b@y.org"): the record holds one email per person, so the person is listed once per
  address. Values whose owner the row does not state (one email for two names, or a cell with
  more parts than names) are not given to anyone: they make one public contact without a name,
  as do an email or phone in a row with no name at all. An entry with no name, email or phone
  is left out. Trailing degree tokens (", MD, PhD") go to ``degrees``; an "email" without "@"
  (a web form's address) is dropped.
* ``Study design`` is read where a registry labels its fields ("Allocation: Randomized.",
  "Blinding: Not blinded,", EU CTR's "Double blind: yes") or uses whole pick-list phrases
  (ChiCTR "Parallel", CTRI "Single Arm Trial"); free sentences are not interpreted. The
  Netherlands register's "Randomized: No" is the same on every row (even randomized ones), so
  its "Type:" line is read instead. ChiCTR study types such as "Prevention" or "Diagnostic
  test" give the primary purpose when the design states none.
* Ages: "18 Years", "18Y", "19 Year(s)", "20years-old", ">= 20age old"; a maximum of "0" is how
  REBEC and ChiCTR write "no limit" and gives null. Cells of only "?" (letters the export lost)
  count as empty.
* ``results date completed`` is not mapped: whether it is a primary or study completion date
  (or a results date) depends on the registry.
* ``secondary_ids``: this export has no cross-registration column ("other records" and
  "Bridged type" say only *that* a trial is bridged). Ids are read from a "Secondary IDs"
  column when a file has one; registry ids mentioned in free text (criteria, titles) are
  references, not secondary ids.
* ``captured``: the date in the file name (``..._2020-07-07_4098trials.csv`` -> 2020-07-07,
  see ``audit.sources.file_date``) unless a row was refreshed after it; the export itself
  states no date.
* ``source_lines["trial_id"]`` is the physical line (counting "\\n") where the row starts.
* Rows with an empty TrialID, a wrong number of cells or a repeated TrialID are collected and
  reported together in one ``SourceError`` after the whole file is read.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from audit.record import arm, contact, intervention, new_record, outcome, site
from audit.registries import is_nct_id, sole_nct_id
from audit.sources import (
    SourceError,
    csv_header,
    csv_rows,
    euctr,
    file_date,
    header_names,
    stamp_captured,
    whole_number,
)
from audit.vocab import (
    ARM_TYPES,
    INTERVENTION_TYPES,
    OVERALL_STATUSES,
    PRIMARY_PURPOSES,
    SEXES,
    STATUS_FAMILIES,
    STUDY_TYPES,
    WHO_MASKED,
    enum_key,
    to_enum,
    to_iso_date,
    to_phases,
    to_years,
)

NAME = "ictrp"
#: Fields the export has no column for. Arm and intervention types and outcome time frames
#: are kept where a registry writes them into the text ("Drug: …", "Timepoint: …", a group
#: labelled "Experimental"), but most rows cannot have them.
CANNOT_CARRY = frozenset(
    {
        "status_verified",
        "last_known_status",
        "stated_arm_count",
        "start_date.type",
        "primary_completion_date",
        "completion_date",
        "collaborators",
        "arms.type",
        "arms.description",
        "interventions.type",
        "interventions.description",
        "sites.facility",
        "sites.city",
        "sites.state",
        "sites.zip",
        "sites.status",
        "outcomes.time_frame",
        "eligibility.healthy_volunteers",
        "descriptions",
        "participant_flow",
    }
)

#: Columns this importer reads; a file without any of them is not an ICTRP export it can map.
REQUIRED_COLUMNS = (
    "TrialID",
    "Last Refreshed on",
    "Public title",
    "Scientific title",
    "Primary sponsor",
    "Date registration",
    "Source Register",
    "Recruitment Status",
    "Inclusion agemin",
    "Inclusion agemax",
    "Inclusion gender",
    "Date enrollement",
    "Target size",
    "Study type",
    "Study design",
    "Phase",
    "Countries",
    "Contact Firstname",
    "Contact Lastname",
    "Contact Email",
    "Contact Tel",
    "Contact Affiliation",
    "Inclusion Criteria",
    "Exclusion Criteria",
    "Condition",
    "Intervention",
    "Primary outcome",
)
#: Optional columns that list a trial's other ids (not in the 2020 COVID-19 exports).
SECONDARY_ID_COLUMNS = ("Secondary IDs", "Secondary ID", "SecondaryIDs", "Secondary_IDs")

#: Cell values that say "nothing here" rather than naming a thing.
_NOTHING = {"", "-", "/", "na", "n/a", "nil", "none", "no", "null", "blank", "no intervention"}


def sniff(path: Path, head: str) -> bool:
    """A CSV whose header row has the ICTRP columns "TrialID" and "Source Register"."""
    names = set(csv_header(head))
    return "TrialID" in names and "Source Register" in names


def parse(path: Path, text: str) -> list[dict]:
    """One record per trial row; bad rows are reported together in one ``SourceError``."""
    rows = csv_rows(path, _repair_mojibake(text.lstrip("\ufeff")))
    try:
        _, header = next(rows)
    except StopIteration:
        raise SourceError(path, "no header row") from None
    header = header_names(header)
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise SourceError(path, f"not an ICTRP export: missing columns {', '.join(missing)}")
    records: list[dict] = []
    problems: dict[str, list[str]] = {}
    first_line: dict[str, int] = {}
    for line, cells in rows:
        problem = _row_problem(header, cells)
        if problem:
            problems.setdefault(problem, []).append(str(line))
            continue
        row = dict(zip(header, cells, strict=False))
        trial_id = row["TrialID"].strip()
        if trial_id in first_line:
            problems.setdefault(f"TrialID {trial_id} repeated", []).append(str(line))
            continue
        first_line[trial_id] = line
        records.append(_record(path, line, row, header))
    if problems:
        raise SourceError(
            path,
            "; ".join(f"{what} at line(s) {', '.join(lines)}" for what, lines in problems.items()),
        )
    if not records:
        raise SourceError(path, "ICTRP header but no trial rows")
    return stamp_captured(records, file_date(path))


# --- reading the CSV ---------------------------------------------------------------------


def _row_problem(header: list[str], cells: list[str]) -> str | None:
    """Why a row cannot be read, or None."""
    if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
        return f"{len(cells)} cells instead of {len(header)}"
    if not cells[header.index("TrialID")].strip():
        return "empty TrialID"
    return None


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as Mac Roman, when (and only when) the whole text says so."""
    if text.isascii():
        return text
    try:
        return text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


# --- cleaning cells ----------------------------------------------------------------------

_BREAK = re.compile(r"(?:_x000D_|\r\n|\r|\n)?<br\s*/?\s*>|_x000D_\n?|\r\n|\r", re.IGNORECASE)
# A decimal character reference too long for int() (html.unescape would raise ValueError).
_HUGE_REF = re.compile(r"&#[0-9]{1000,};?")


def _clean(value: str | None) -> str:
    """Plain text: breaks as "\\n", entities decoded, spaces collapsed, one blank line at most."""
    text = html.unescape(_HUGE_REF.sub("\ufffd", _BREAK.sub("\n", value or "")))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _text(value: str | None) -> str | None:
    """The cell as one line of text, or None when it is empty."""
    return " ".join(_clean(value).split()) or None


def _is_nothing(text: str | None) -> bool:
    """Empty, a placeholder word ("Nil", "N/A") or only marks ("??" where the export lost
    non-Latin letters)."""
    return text is None or text.strip(" .;").lower() in _NOTHING or not re.search(r"\w", text)


def _split(value: str | None, separators: str = r";") -> list[str]:
    """The non-empty, non-placeholder items of a cell split on ``separators``, in order."""
    items = (" ".join(part.split()) for part in re.split(separators, _clean(value)))
    return _unique(item for item in items if not _is_nothing(item))


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


# --- the record --------------------------------------------------------------------------


def _record(path: Path, line: int, row: dict[str, str], header: list[str]) -> dict[str, Any]:
    trial_id = row["TrialID"].strip()
    register = _text(row["Source Register"]) or ""
    secondary = _secondary_ids(row, header, trial_id)
    status, status_text, family = _status(row["Recruitment Status"])
    design = _design(row["Study design"], row["Study type"])
    count, groups, diagnostic = _target_size(row["Target size"])
    interventions, arms = _interventions_and_arms(row["Intervention"], groups, diagnostic)
    inclusion, exclusion = _criteria(
        row["Inclusion Criteria"], row["Exclusion Criteria"], register == "ClinicalTrials.gov"
    )
    return new_record(
        trial_id=trial_id,
        nct_id=_nct_id(trial_id, secondary),
        secondary_ids=secondary,
        source=NAME,
        source_file=str(path),
        source_lines={"trial_id": line},
        title=_text(row["Public title"]),
        official_title=_text(row["Scientific title"]),
        overall_status=status,
        status_text=status_text,
        status_family=family,
        phases=_phases(row["Phase"]),
        study_type=_study_type(row["Study type"]),
        **design,
        enrollment={"count": count, "type": "ESTIMATED" if count is not None else None},
        start_date={"date": to_iso_date(_text(row["Date enrollement"])), "type": None},
        first_posted=to_iso_date(_text(row["Date registration"])),
        last_update_posted=to_iso_date(_text(row["Last Refreshed on"])),
        sponsor=_text(row["Primary sponsor"]),
        conditions=_split(row["Condition"], r"[;\n]"),
        interventions=interventions,
        arms=arms,
        people=_people(row),
        sites=[site(None, country=country) for country in _split(row["Countries"], r";|,(?=\S)")],
        outcomes=_outcomes(row["Primary outcome"]),
        eligibility={
            "sex": _sex(row["Inclusion gender"]),
            "min_age_years": _age(row["Inclusion agemin"], "min"),
            "max_age_years": _age(row["Inclusion agemax"], "max"),
            "healthy_volunteers": None,
            "inclusion": inclusion,
            "exclusion": exclusion,
        },
    )


# --- ids and status ----------------------------------------------------------------------


def _secondary_ids(row: dict[str, str], header: list[str], trial_id: str) -> list[str]:
    """Ids listed in a secondary-id column, as written (none in the 2020 exports)."""
    ids: list[str] = []
    for column in SECONDARY_ID_COLUMNS:
        if column in header:
            ids += _split(row.get(column), r"[;\n]")
    return _unique(i for i in ids if i != trial_id)


def _nct_id(trial_id: str, secondary: list[str]) -> str | None:
    return trial_id if is_nct_id(trial_id) else sole_nct_id(secondary)


def _status(value: str | None) -> tuple[str | None, str | None, str | None]:
    """(API status for an unambiguous word, the word as written, its status family)."""
    text = _text(value)
    if not text:
        return None, None, None
    return to_enum(text, OVERALL_STATUSES), text, to_enum(text, STATUS_FAMILIES)


# --- phase, study type, design -----------------------------------------------------------

_ROMAN = r"(?:IV|I{1,3}|[1-4])"
_BARE_PHASE = re.compile(rf"({_ROMAN})[ab]?(?:\s*[-/]\s*({_ROMAN})[ab]?)?", re.IGNORECASE)


def _phases(value: str | None) -> list[str]:
    """Phases the cell states; [] for dates, words and ChiCTR's bare "0"."""
    text = _clean(value)
    if re.search(r"\(Phase I+V?\)\s*:", text):  # EU CTR: "Therapeutic exploratory (Phase II): yes"
        named = re.findall(r"\(Phase (I+V?|IV)\)\s*:\s*yes", text, re.IGNORECASE)
        return to_phases(" ".join(f"Phase {numeral}" for numeral in named))
    text = " ".join(text.split())
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?", text):
        return []
    if re.fullmatch(r"0\s*\(exploratory trials?\)", text, re.IGNORECASE):
        return ["EARLY_PHASE1"]
    bare = _BARE_PHASE.fullmatch(text)
    if bare:
        return to_phases("Phase " + "/".join(n for n in bare.groups() if n))
    return to_phases(re.sub(r"(?i)phase\s*-\s*", "Phase ", text))


def _study_type(value: str | None) -> str | None:
    key = enum_key(_text(value) or "")
    if key.startswith("INTERVENTION"):
        return "INTERVENTIONAL"
    if key.startswith("OBSERVATIONAL"):
        return "OBSERVATIONAL"
    return to_enum(key, STUDY_TYPES) if key else None


# Labels that state one design field: "Allocation: Randomized.", "Blinding: Not blinded, ..."
_DESIGN_LABELS = {
    "allocation": ("allocation", "randomization", "randomisation"),
    "intervention_model": ("intervention model", "assignment"),
    "masking": ("blinding and masking", "blinding/masking", "masking", "blinding"),
    "primary_purpose": ("study design purpose", "primary purpose", "purpose"),
}
_LABEL_FIELD = {label: field for field, labels in _DESIGN_LABELS.items() for label in labels}
_LABELLED = re.compile(
    r"(?<![A-Za-z])("
    + "|".join(sorted(map(re.escape, _LABEL_FIELD), key=len, reverse=True))
    + r")\s*:\s*((?:[^.,;\n(]|\([^)]*\))*)",
    re.IGNORECASE,
)
# EU CTR's yes/no lines: "Randomised: yes", "Double blind: yes", "Parallel group: no" ...
_EUCTR_FLAG = re.compile(
    r"^(randomised|open|single blind|double blind|parallel group|cross over)"
    r"\s*:\s*(yes|no)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Whole phrases (a cell, or one of its comma-separated parts) from registries' pick lists.
_PICK_LISTS = {
    "allocation": {
        "RANDOMIZED": "randomized|randomised|randomized controlled trial|randomized trial|"
        "randomised controlled trial|randomized controlled|rct",
        "NON_RANDOMIZED": "non-randomized|non randomized|non-randomised|non randomised|"
        "nonrandomized|not randomized|non randomized control|non-randomized trial",
    },
    "intervention_model": {
        "PARALLEL": "parallel|parallel group|parallel group trial|parallel assignment",
        "SINGLE_GROUP": "single arm|single arm trial|single arm study|single group|"
        "single assignment",
        "FACTORIAL": "factorial",
        "SEQUENTIAL": "sequential",
        "CROSSOVER": "cross-over|crossover|cross over",
    },
    "masking": {
        "NONE": "open|open label|open-label|open(masking not used)|open (masking not used)",
        "SINGLE": "single blind|single-blind",
        "DOUBLE": "double blind|double-blind",
    },
    "primary_purpose": {"TREATMENT": "treatment purpose", "PREVENTION": "prevention purpose"},
}
_PHRASES: dict[str, dict[str, str]] = {
    phrase: {field: value}
    for field, values in _PICK_LISTS.items()
    for value, phrases in values.items()
    for phrase in phrases.split("|")
} | {  # JPRN and ChiCTR phrases that name two fields at once
    "single arm non-randomized": {
        "intervention_model": "SINGLE_GROUP",
        "allocation": "NON_RANDOMIZED",
    },
    "parallel randomized": {"intervention_model": "PARALLEL", "allocation": "RANDOMIZED"},
    "randomized parallel controlled trial": {
        "intervention_model": "PARALLEL",
        "allocation": "RANDOMIZED",
    },
}
# Purpose words that are not simply the API enum in words.
_PURPOSES = {
    "supportive": "SUPPORTIVE_CARE",
    "health service research": "HEALTH_SERVICES_RESEARCH",
    "health services reaserch": "HEALTH_SERVICES_RESEARCH",
    "education/guidance": "ECT",
    "educational / counselling / training": "ECT",
    "treatment study": "TREATMENT",
    "diagnostic test": "DIAGNOSTIC",
    "basic research/physiological study": "BASIC_SCIENCE",
}


def _design(value: str | None, study_type: str | None) -> dict[str, Any]:
    """allocation, intervention_model, masking, who_masked, primary_purpose the cell states."""
    text = _clean(value)
    found: dict[str, list[str]] = {}
    who: list[str] = []
    for label, word in _LABELLED.findall(text):
        field = _LABEL_FIELD[label.lower()]
        mapped = _DESIGN_WORD[field](word.strip())
        if mapped:
            found.setdefault(field, []).append(mapped)
        if field == "masking" and mapped in ("SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"):
            who += _who_masked(word)
    for field, mapped in _euctr_design(text).items():
        found.setdefault(field, []).append(mapped)
    for field, mapped in _phrase_design(text).items():
        found.setdefault(field, [mapped])
    found.update({k: [v] for k, v in _ntr_design(text).items() if k not in found})
    if "primary_purpose" not in found:
        found.update(_unlabelled_purpose(text, study_type))
    design: dict[str, Any] = {field: None for field in _DESIGN_LABELS}
    for field, values in found.items():
        distinct = _unique(values)
        design[field] = distinct[0] if len(distinct) == 1 else None  # conflicting: not stated
    design["who_masked"] = _unique(who) if design["masking"] else []
    return design


def _unlabelled_purpose(text: str, study_type: str | None) -> dict[str, list[str]]:
    """ISRCTN's trailing "(Treatment)", else a ChiCTR study type such as "Prevention"."""
    trailing = re.search(r"\(([A-Za-z /]+)\)\s*$", text)
    for word in (trailing.group(1) if trailing else "", _text(study_type) or ""):
        purpose = _purpose(word)
        if purpose:
            return {"primary_purpose": [purpose]}
    return {}


def _ntr_design(text: str) -> dict[str, str]:
    """The Netherlands register's "Type:" line; its "Randomized: No" is the same on every row."""
    kind = re.search(
        r"\bType:\s*(2 or more arms,\s*(non-)?randomi[sz]ed|single arm)", text, re.IGNORECASE
    )
    if not kind:
        return {}
    if kind.group(1).lower() == "single arm":
        return {"intervention_model": "SINGLE_GROUP"}
    return {"allocation": "NON_RANDOMIZED" if kind.group(2) else "RANDOMIZED"}


def _allocation(word: str) -> str | None:
    low = word.lower()
    if re.match(r"(non|not)[\s-]*randomi[sz]ed", low):
        return "NON_RANDOMIZED"
    if low.startswith("randomi") or low == "rct":
        return "RANDOMIZED"
    if low.startswith("n/a") or low.startswith("single arm"):
        return "NA"
    return None


def _intervention_model(word: str) -> str | None:
    low = word.lower()
    for start, model in (
        ("parallel", "PARALLEL"),
        ("single", "SINGLE_GROUP"),
        ("crossover", "CROSSOVER"),
        ("cross-over", "CROSSOVER"),
        ("cross over", "CROSSOVER"),
        ("factorial", "FACTORIAL"),
        ("sequential", "SEQUENTIAL"),
    ):
        if low.startswith(start):
            return model
    return None


def _masking(word: str) -> str | None:
    low = word.lower()
    if low.startswith(("none", "open", "not blinded", "no masking")):
        return "NONE"
    level = re.match(r"(single|double|triple|quadruple)\b", low)
    return level.group(1).upper() if level else None


def _who_masked(word: str) -> list[str]:
    """Parties in "Double (Participant, Investigator)"."""
    inside = re.search(r"\(([^)]*)\)", word)
    parties = (to_enum(p, WHO_MASKED) for p in inside.group(1).split(",")) if inside else ()
    return [p for p in parties if p]


def _purpose(word: str) -> str | None:
    return to_enum(word, PRIMARY_PURPOSES) or _PURPOSES.get(" ".join(word.lower().split()))


_DESIGN_WORD = {
    "allocation": _allocation,
    "intervention_model": _intervention_model,
    "masking": _masking,
    "primary_purpose": _purpose,
}


def _euctr_design(text: str) -> dict[str, str]:
    """EU CTR's yes/no lines ("Randomised: yes", "Double blind: yes"), read as the register's
    own records are (``euctr.design``)."""
    flags = {name.lower(): answer.lower() == "yes" for name, answer in _EUCTR_FLAG.findall(text)}
    return euctr.design(flags)


def _phrase_design(text: str) -> dict[str, str]:
    """Design fields named by whole pick-list phrases ("Parallel", "Single Arm Trial" ...)."""
    found: dict[str, list[str]] = {}
    for part in re.split(r"[,;\n]", text):
        phrase = " ".join(part.lower().split())
        values = _PHRASES.get(phrase)
        if values is None and ":" in phrase:  # PACTR: "Parallel: different groups receive ..."
            values = _PHRASES.get(phrase.split(":", 1)[0].strip())
            values = values if values and "intervention_model" in values else None
        for field, mapped in (values or {}).items():
            found.setdefault(field, []).append(mapped)
    return {field: values[0] for field, values in found.items() if len(set(values)) == 1}


# --- sizes, interventions, arms ----------------------------------------------------------

_GROUP_SIZE = re.compile(r"\s*(?P<label>.+?)\s*:\s*(?P<size>\d+)\s*(?:;|$)")
_DIAGNOSTIC_GROUPS = ["target condition", "difficult condition"]


def _target_size(value: str | None) -> tuple[int | None, list[tuple[str, int]], bool]:
    """(planned count, [(group label, size)], whether the groups are diagnostic categories)."""
    text = _text(value)
    if not text:
        return None, [], False
    plain = re.fullmatch(r"(\d+)(?:\s*\([^()]*\))?", text)  # "400 (200 in each arm)"
    if plain:
        return whole_number(plain.group(1)), [], False
    groups: list[tuple[str, int]] = []
    position = 0
    while position < len(text):
        match = _GROUP_SIZE.match(text, position)
        size = whole_number(match.group("size")) if match else None
        if match is None or size is None:
            return None, [], False
        groups.append((match.group("label").strip(" ;"), size))
        position = match.end()
    diagnostic = [label.lower() for label, _ in groups] == _DIAGNOSTIC_GROUPS
    return sum(size for _, size in groups), groups, diagnostic


def _interventions_and_arms(
    value: str | None, groups: list[tuple[str, int]], diagnostic: bool
) -> tuple[list[dict], list[dict]]:
    """Interventions, and one arm per stated group with its planned size."""
    if diagnostic or not groups or any(";" in label for label, _ in groups):
        return _interventions(value), []  # a label with ";" merges groups: no arms
    treatments = _group_treatments(_text(value) or "", [label for label, _ in groups])
    arms = []
    for index, (label, size) in enumerate(groups):
        treatment = treatments[index] if treatments else None
        names = [] if _is_nothing(treatment) else [treatment or ""]
        arms.append(arm(label, to_enum(label, ARM_TYPES), None, names, size))
    if treatments is None:
        return _interventions(value), arms
    names = _unique(name for a in arms for name in a["interventions"])
    return [intervention(None, name) for name in names], arms


def _group_treatments(text: str, labels: list[str]) -> list[str] | None:
    """ChiCTR's "label:treatment;label:treatment;" split by the known labels, in order."""
    starts: list[tuple[int, int]] = []
    position = 0
    for index, label in enumerate(labels):
        pattern = re.compile(
            ("^" if index == 0 else ";") + r"\s*" + re.escape(label) + r"[\s;]*:", re.IGNORECASE
        )
        match = pattern.search(text, position)
        if not match:
            return None
        starts.append((match.start(), match.end()))
        position = match.end()
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return [
        text[value_start:end].strip(" ;")
        for (_, value_start), end in zip(starts, ends, strict=True)
    ]


def _interventions(value: str | None) -> list[dict]:
    """The cell split on ";", each with a type when a "Drug:"-style prefix names one."""
    found = []
    for item in _split(value):
        prefix = re.match(r"([A-Za-z][A-Za-z /-]{1,30}?)\s*:\s*(\S.*)", item)
        kind = to_enum(prefix.group(1), INTERVENTION_TYPES) if prefix else None
        found.append(intervention(kind, prefix.group(2) if prefix and kind else item))
    return _unique(found)


# --- people, outcomes, eligibility -------------------------------------------------------

_DEGREE_WORDS = {
    "md",
    "phd",
    "msc",
    "mph",
    "prof",
    "professor",
    "dr",
    "doctor",
    "rn",
    "dmsc",
    "bsc",
    "mbbs",
    "frcpc",
    "frcp",
    "frcs",
    "frcsc",
    "frcpath",
    "fcps",
    "ma",
    "ms",
    "mba",
    "jd",
    "pharmd",
    "dphil",
    "mphil",
    "master",
    "mdcm",
    "cand",
    "pd",
    "pr",
    "assoc",
    "associate",
    "mbchb",
    "bs",
    "ba",
    "bpharm",
    "mpharm",
    "msn",
    "bsn",
    "dnp",
    "np",
    "facp",
    "facc",
    "fccp",
    "fesc",
    "mrcp",
    "mmed",
    "medical",
    "med",
    "habil",
    "dds",
    "dmd",
    "scd",
    "drph",
    "mhs",
    "msph",
    "mmsc",
    "sci",
    "phdc",
    "mdphd",
    "beng",
    "assistant",
    "hons",
    "ab",
}


def _is_degree(text: str) -> bool:
    """ "MD", "Prof., DMSc" pieces, "M.D.", "MD.MPH", "PD MD": only degree and title words."""
    tokens = text.split()
    if not tokens:
        return False
    for token in tokens:
        if token.replace(".", "").lower() in _DEGREE_WORDS:
            continue
        pieces = [p for p in re.split(r"[.\-/()]", token.lower()) if p]
        if not pieces or any(p not in _DEGREE_WORDS for p in pieces):
            return False
    return True


def _cell_parts(value: str | None) -> list[str]:
    """A contact cell split on ";" (empty slots kept); degree-only pieces rejoin their name."""
    text = _text(value)
    if text is None:
        return []
    parts: list[str] = []
    for piece in (p.strip() for p in text.split(";")):
        if parts and parts[-1] and _is_degree(piece):
            parts[-1] += ", " + piece
        else:
            parts.append(piece)
    return parts


def _names(row: dict[str, str]) -> list[str]:
    firsts = _cell_parts(row["Contact Firstname"])
    lasts = _cell_parts(row["Contact Lastname"])
    if not any(lasts):
        return firsts
    if not any(firsts):
        return lasts
    if len(firsts) == len(lasts):
        return [f"{first} {last}".strip() for first, last in zip(firsts, lasts, strict=True)]
    return [" ".join(filter(None, firsts + lasts))]  # unpairable: keep what is written


def _name_and_degrees(text: str) -> tuple[str, list[str]]:
    """ "Kunling Shen, MD,PhD" -> ("Kunling Shen", ["MD", "PhD"])."""
    parts = [p.strip() for p in re.split(r"[,;]", text)]
    degrees: list[str] = []
    while len(parts) > 1 and _is_degree(parts[-1]):
        degrees.insert(0, parts.pop())
    return ", ".join(p for p in parts if p), degrees


_CONTACT_COLUMNS = (
    ("email", "Contact Email"),
    ("phone", "Contact Tel"),
    ("affiliation", "Contact Affiliation"),
)


def _people(row: dict[str, str]) -> list[dict]:
    """Contacts: names paired by position with emails, phones and affiliations where counts
    match; the values that cannot be paired make one contact without a name."""
    names = _names(row)
    columns = {key: _by_person(row[column], len(names)) for key, column in _CONTACT_COLUMNS}
    roles = (
        ["PUBLIC_CONTACT", "SCIENTIFIC_CONTACT"]
        if len(names) == 2
        else ["PUBLIC_CONTACT"] * len(names)
    )
    contacts = [
        (written, role, {key: _at(values, index) for key, values in columns.items()})
        for index, (written, role) in enumerate(zip(names, roles, strict=True))
    ]
    unpaired = {
        key: _whole(row[column]) if columns[key] is None else None
        for key, column in _CONTACT_COLUMNS
    }
    if unpaired["email"] or unpaired["phone"]:
        contacts.append(("", "PUBLIC_CONTACT", unpaired))
    return _unique(p for written, role, values in contacts for p in _entries(written, role, values))


def _at(values: list[str | None] | None, index: int) -> str | None:
    return None if values is None else values[index]


def _entries(written: str, role: str, values: dict[str, str | None]) -> list[dict]:
    """A contact's person entries: one per email address (the model holds one), or one with no
    email; none when it has no name, email or phone."""
    name, degrees = _name_and_degrees(written)
    found = (
        contact(name or None, role, degrees, email, values["phone"], values["affiliation"])
        for email in _addresses(values["email"]) or [None]
    )
    return [entry for entry in found if entry is not None]


def _addresses(text: str | None) -> list[str]:
    """The email addresses in a cell part: "a@x.org, b@y.org" -> both; words without "@" (a
    web form's address) are not emails."""
    return _unique(word for word in re.split(r"[\s,;/]+", text or "") if "@" in word)


def _whole(value: str | None) -> str | None:
    """A cell of one person's values: separators at its ends dropped ("x@y.org;")."""
    return (_text(value) or "").strip(" ;") or None


def _by_person(value: str | None, count: int) -> list[str | None] | None:
    """One value per person: the whole cell for one person, else its ";" parts by position;
    None when the parts cannot be paired with ``count`` people."""
    if count == 1:
        return [_whole(value)]
    parts = [p.strip() or None for p in (_text(value) or "").split(";")]
    return parts if len(parts) == count else None


_EUCTR_OUTCOME_HEADINGS = (
    r"Main Objective|Secondary Objective|Primary end point\(s\)|"
    r"Timepoint\(s\) of evaluation of this end point|"
    r"Secondary end point\(s\)|"
    r"Timepoint\(s\) of evaluation of secondary end point\(s\)"
)


def _outcomes(value: str | None) -> list[dict]:
    """Primary outcomes split on ";"; "Timepoint:" text becomes the time frame."""
    text = _clean(value)
    if re.search(r"Primary end point\(s\)\s*:", text):
        return _euctr_outcome(text)
    found = []
    for item in _split(value):
        measure, time_frame = item, None
        timepoint = re.search(r"\.?\s*Timepoints?\s*:\s*", item, re.IGNORECASE)
        if timepoint and item[: timepoint.start()].strip(" ."):
            measure = item[: timepoint.start()].strip(" .")
            rest = re.split(
                r"\.?\s*Method of measurement\s*:", item[timepoint.end() :], flags=re.IGNORECASE
            )[0]
            time_frame = rest.strip(" .") or None
        found.append(outcome("primary", measure, time_frame))
    return _unique(found)


def _euctr_outcome(text: str) -> list[dict]:
    """EU CTR: the "Primary end point(s)" part, timed by its "Timepoint(s)" part."""
    parts: dict[str, str] = {}
    pattern = rf"(?:^|;)\s*({_EUCTR_OUTCOME_HEADINGS})\s*:"
    pieces = re.split(pattern, text, flags=re.IGNORECASE)
    for heading, body in zip(pieces[1::2], pieces[2::2], strict=True):
        parts.setdefault(heading.lower(), " ".join(body.split()))
    measure = parts.get("primary end point(s)")
    if _is_nothing(measure):
        return []
    time_frame = parts.get("timepoint(s) of evaluation of this end point") or None
    return [outcome("primary", measure or "", time_frame)]


def _sex(value: str | None) -> str | None:
    text = _clean(value)
    flags = dict(re.findall(r"(female|male)\s*:\s*(yes|no)", text, re.IGNORECASE))
    if flags:  # EU CTR: "Female: yes / Male: yes"
        said = {k.upper() for k, v in flags.items() if v.lower() == "yes"}
        return "ALL" if said == {"FEMALE", "MALE"} else (said.pop() if said else None)
    return to_enum(_text(text), SEXES) if text else None


_AGE = re.compile(
    r"(?P<bound>>=|≥|<=|≤)?\s*(?P<number>\d+(?:\.\d+)?)\s*(?:age)?\s*\(?"
    r"(?P<unit>years?|year\(s\)|yrs?|y|months?|weeks?|days?|hours?)?\)?(?:[\s-]*old)?",
    re.IGNORECASE,
)


def _age(value: str | None, which: str) -> float | None:
    """Years from "18 Years", "18", "18Y", "19 Year(s)", "20years-old", ">= 20age old"."""
    text = _text(value)
    match = _AGE.fullmatch(text or "")
    if not match:
        return None
    bound = match.group("bound")
    if bound and (bound in (">=", "≥")) != (which == "min"):
        return None
    unit = (match.group("unit") or "years").replace("(s)", "s")
    years = to_years(f"{match.group('number')} {unit}")
    if which == "max" and years == 0:
        return None  # REBEC and ChiCTR write "no upper limit" as a maximum age of 0
    return years


_HEADING = re.compile(r"(?:key\s+)?(inclusion|exclusion)\s+criteria\s*:?", re.IGNORECASE)


def _criteria(
    inclusion: str | None, exclusion: str | None, paragraphs: bool
) -> tuple[list[str], list[str]]:
    """Inclusion and exclusion items; ClinicalTrials.gov rows hold both under headings.

    ClinicalTrials.gov text wraps long items over several lines and separates items with a
    blank line, so its items are paragraphs; other registries put one item per line.
    """
    include = _clean(inclusion)
    include = re.split(r"\n\s*Are the trial subjects under 18\?", include)[0]  # EU CTR counts
    exclude = _clean(exclusion)
    if not exclude:
        heading = re.search(
            r"^(?:key\s+)?exclusion\s+criteria\s*:?\s*$", include, re.IGNORECASE | re.MULTILINE
        )
        if heading:
            include, exclude = include[: heading.start()], include[heading.end() :]
    return _criteria_items(include, paragraphs), _criteria_items(exclude, paragraphs)


def _criteria_items(text: str, paragraphs: bool) -> list[str]:
    text = re.sub(
        r"^\s*(?:key\s+)?(?:inclusion|exclusion)\s+criteria\s*:", "", text, flags=re.IGNORECASE
    )
    chunks = re.split(r"\n\s*\n", text) if paragraphs else text.split("\n")
    items = []
    for chunk in chunks:
        item = re.sub(r"^[-•*·–]+\s*", "", " ".join(chunk.split()))
        if not _is_nothing(item) and not _HEADING.fullmatch(item):
            items.append(item)
    return items
