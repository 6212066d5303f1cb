"""The record vocabulary (ClinicalTrials.gov API v2 enums) and the mapping of source words onto it.

Every importer maps its source's wording with these helpers, so that "Triple Blind",
"Triple (Participant, Care Provider, Investigator)" and "TRIPLE" all become ``TRIPLE``.
A word that maps to nothing gives ``None``: a value is never guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date

OVERALL_STATUSES = (
    "ACTIVE_NOT_RECRUITING",
    "COMPLETED",
    "ENROLLING_BY_INVITATION",
    "NOT_YET_RECRUITING",
    "RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "WITHDRAWN",
    "AVAILABLE",
    "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
    "UNKNOWN",
)
ACTIVE_STATUSES = (
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ACTIVE_NOT_RECRUITING",
    "ENROLLING_BY_INVITATION",
)
#: What a source that says only "Recruiting" / "Not recruiting" (ICTRP) states: a status family.
STATUS_FAMILIES = ("RECRUITING", "NOT_RECRUITING")
#: Statuses of no family: whether the trial enrolls is not known (or not said).
_NO_FAMILY = ("UNKNOWN", "WITHHELD")
PHASES = ("NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4")
STUDY_TYPES = ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS")
ALLOCATIONS = ("RANDOMIZED", "NON_RANDOMIZED", "NA")
INTERVENTION_MODELS = ("SINGLE_GROUP", "PARALLEL", "CROSSOVER", "FACTORIAL", "SEQUENTIAL")
MASKINGS = ("NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE")
WHO_MASKED = ("PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR")
PRIMARY_PURPOSES = (
    "TREATMENT",
    "PREVENTION",
    "DIAGNOSTIC",
    "ECT",
    "SUPPORTIVE_CARE",
    "SCREENING",
    "HEALTH_SERVICES_RESEARCH",
    "BASIC_SCIENCE",
    "DEVICE_FEASIBILITY",
    "OTHER",
)
ARM_TYPES = (
    "EXPERIMENTAL",
    "ACTIVE_COMPARATOR",
    "PLACEBO_COMPARATOR",
    "SHAM_COMPARATOR",
    "NO_INTERVENTION",
    "OTHER",
)
INTERVENTION_TYPES = (
    "BEHAVIORAL",
    "BIOLOGICAL",
    "COMBINATION_PRODUCT",
    "DEVICE",
    "DIAGNOSTIC_TEST",
    "DIETARY_SUPPLEMENT",
    "DRUG",
    "GENETIC",
    "PROCEDURE",
    "RADIATION",
    "OTHER",
)
COUNT_TYPES = ("ACTUAL", "ESTIMATED")
SEXES = ("ALL", "FEMALE", "MALE")
PEOPLE_ROLES = (
    "CENTRAL_CONTACT",
    "OVERALL_OFFICIAL",
    "SITE_CONTACT",
    "SITE_INVESTIGATOR",
    "PUBLIC_CONTACT",
    "SCIENTIFIC_CONTACT",
)
OUTCOME_KINDS = ("primary", "secondary", "other")
# The importer registry: every source a record may name, with the modules of audit/sources/
# that read its formats, in the order detection tries them (structured formats before page
# text). Adding an importer is its module and its entry here; tests check that each module's
# NAME is its source and that the record schema and the GX suite list exactly these sources.
IMPORTERS: dict[str, tuple[str, ...]] = {
    "ctgov-api": ("ctgov_api",),
    "ctgov-xml": ("ctgov_json", "ctgov_xml"),  # ctrdata's CTGOV JSON is the XML's model
    "euctr": ("euctr",),
    "ctis": ("ctis",),
    "isrctn": ("isrctn",),
    "ictrp": ("ictrp",),
    "ctgov-csv": ("ctgov_csv",),
    "veeva": ("veeva",),
    "ctgov-classic": ("ctgov_tsv", "ctgov_classic"),
    "medpath": ("medpath",),
}
SOURCES = tuple(IMPORTERS)

# Source wordings that are not simply the enum name written in words.
_SYNONYMS: dict[tuple[str, ...], dict[str, str]] = {
    OVERALL_STATUSES: {
        "UNKNOWN_STATUS": "UNKNOWN",
        "ACTIVE_NOT_RECRUITING": "ACTIVE_NOT_RECRUITING",
        "ACTIVE_BUT_NOT_RECRUITING": "ACTIVE_NOT_RECRUITING",
        "NOT_YET_RECRUITING": "NOT_YET_RECRUITING",
        "PENDING": "NOT_YET_RECRUITING",
        "ENROLLING_BY_INVITATION_ONLY": "ENROLLING_BY_INVITATION",
        "AVAILABLE_FOR_EXPANDED_ACCESS": "AVAILABLE",
        "WITHDRAWN_PRIOR_TO_ENROLLMENT": "WITHDRAWN",
    },
    PHASES: {
        "N_A": "NA",
        "NOT_APPLICABLE": "NA",
        "EARLY_PHASE_1": "EARLY_PHASE1",
        "PHASE_0": "EARLY_PHASE1",
        "PHASE_1": "PHASE1",
        "PHASE_2": "PHASE2",
        "PHASE_3": "PHASE3",
        "PHASE_4": "PHASE4",
        "PHASE_I": "PHASE1",
        "PHASE_II": "PHASE2",
        "PHASE_III": "PHASE3",
        "PHASE_IV": "PHASE4",
    },
    ALLOCATIONS: {
        "RANDOMISED": "RANDOMIZED",
        "NON_RANDOMISED": "NON_RANDOMIZED",
        "NONRANDOMIZED": "NON_RANDOMIZED",
        "N_A": "NA",
    },
    INTERVENTION_MODELS: {
        "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
        "PARALLEL_ASSIGNMENT": "PARALLEL",
        "CROSSOVER_ASSIGNMENT": "CROSSOVER",
        "FACTORIAL_ASSIGNMENT": "FACTORIAL",
        "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
    },
    MASKINGS: {
        "NONE_OPEN_LABEL": "NONE",
        "OPEN_LABEL": "NONE",
        "SINGLE_BLIND": "SINGLE",
        "DOUBLE_BLIND": "DOUBLE",
        "TRIPLE_BLIND": "TRIPLE",
        "QUADRUPLE_BLIND": "QUADRUPLE",
    },
    WHO_MASKED: {
        "SUBJECT": "PARTICIPANT",
        "OUTCOMES_ASSESSOR": "OUTCOMES_ASSESSOR",
        "CAREGIVER": "CARE_PROVIDER",
    },
    PRIMARY_PURPOSES: {
        "EDUCATIONAL_COUNSELING_TRAINING": "ECT",
        "SUPPORTIVE": "SUPPORTIVE_CARE",
        "HEALTH_SERVICES": "HEALTH_SERVICES_RESEARCH",
        "HEALTH_SERVICE_RESEARCH": "HEALTH_SERVICES_RESEARCH",
        "EDUCATIONAL_COUNSELLING_TRAINING": "ECT",
    },
    ARM_TYPES: {
        "EXPERIMENTAL_GROUP": "EXPERIMENTAL",
        "ACTIVE_COMPARATOR_GROUP": "ACTIVE_COMPARATOR",
        "PLACEBO_COMPARATOR_GROUP": "PLACEBO_COMPARATOR",
        "SHAM_COMPARATOR_GROUP": "SHAM_COMPARATOR",
        "NO_INTERVENTION_GROUP": "NO_INTERVENTION",
        "OTHER_GROUP": "OTHER",
        "COMPARATOR": "ACTIVE_COMPARATOR",
        "ACTIVE_CONTROL": "ACTIVE_COMPARATOR",
        "PLACEBO": "PLACEBO_COMPARATOR",
    },
    INTERVENTION_TYPES: {
        "DIETARY_SUPPLEMENTS": "DIETARY_SUPPLEMENT",
        "COMBINATION": "COMBINATION_PRODUCT",
        "DIAGNOSTIC": "DIAGNOSTIC_TEST",
    },
    COUNT_TYPES: {"ANTICIPATED": "ESTIMATED", "EXPECTED": "ESTIMATED", "ESTIMATE": "ESTIMATED"},
    SEXES: {
        "BOTH": "ALL",
        "FEMALES": "FEMALE",
        "MALES": "MALE",
        "WOMEN": "FEMALE",
        "MEN": "MALE",
        "MALE_AND_FEMALE": "ALL",
        "FEMALE_AND_MALE": "ALL",
        "BOTH_MALE_AND_FEMALE": "ALL",
        "BOTH_MALES_AND_FEMALES": "ALL",
        "MALE_FEMALE": "ALL",
    },
}


def status_family(status: str | None) -> str | None:
    """The family of an overall status: RECRUITING for RECRUITING and ENROLLING_BY_INVITATION,
    NOT_RECRUITING for the others (not yet, active, ended, expanded access), None for UNKNOWN,
    WITHHELD and anything unmapped."""
    if status not in OVERALL_STATUSES or status in _NO_FAMILY:
        return None
    return "RECRUITING" if status in ("RECRUITING", "ENROLLING_BY_INVITATION") else "NOT_RECRUITING"


def enum_key(text: str) -> str:
    """Upper-case a word and join its parts with underscores: "Non-Randomized" -> NON_RANDOMIZED."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def to_enum(text: str | None, vocabulary: tuple[str, ...]) -> str | None:
    """Map a source wording onto one value of ``vocabulary``, or None when it names none."""
    if text is None:
        return None
    key = enum_key(str(text))
    if key in vocabulary:
        return key
    return _SYNONYMS.get(vocabulary, {}).get(key)


def to_enums(words: Iterable[str | None], vocabulary: tuple[str, ...]) -> list[str]:
    """The distinct values of ``vocabulary`` that ``words`` name, in the words' order."""
    mapped = (to_enum(word, vocabulary) for word in words)
    return list(dict.fromkeys(value for value in mapped if value))


def to_phases(text: str | None) -> list[str]:
    """Phases named in a text such as "Phase 1/Phase 2", "Phase 2/3", "PHASE1, PHASE2"."""
    if not text:
        return []
    found: list[str] = []
    upper = text.upper()
    if re.search(r"\bEARLY[\s_]*PHASE[\s_]*1\b", upper):
        found.append("EARLY_PHASE1")
        upper = re.sub(r"\bEARLY[\s_]*PHASE[\s_]*1\b", " ", upper)
    for match in re.finditer(
        r"PHASE[\s_]*([0-4]|IV|III|II|I)((?:\s*[/&,-]\s*(?:PHASE[\s_]*)?"
        r"(?:[0-4]|IV|III|II|I)\b)*)",
        upper,
    ):
        numerals = [match.group(1), *re.findall(r"([0-4]|IV|III|II|I)\b", match.group(2))]
        for numeral in numerals:
            phase = to_enum(f"PHASE_{numeral}", PHASES)
            if phase and phase not in found:
                found.append(phase)
    if not found and to_enum(text, PHASES) == "NA":
        found.append("NA")
    return sorted(found, key=PHASES.index)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def to_iso_date(text: str | None) -> str | None:
    """An ISO date as precise as the text: "July 1, 2020" -> 2020-07-01, "June 2020" -> 2020-06.

    Accepts ISO (``2020-07-01``, ``2020-07``, ``2020``), ``20200127``, ``2020/7/1``,
    ``1 July 2020``, ``July 1, 2020``, ``July 2020`` and ``01/07/2020`` (day first, as ICTRP
    writes it). Returns None for anything else, and for impossible days.
    """
    if text is None:
        return None
    value = str(text).strip()
    value = re.sub(r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?$", "", value).strip()
    patterns: list[tuple[str, tuple[str, str | None, str | None]]] = [
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", ("y", "m", "d")),
        (r"(\d{4})/(\d{1,2})/(\d{1,2})", ("y", "m", "d")),
        (r"(\d{4})(\d{2})(\d{2})", ("y", "m", "d")),
        (r"(\d{4})-(\d{1,2})", ("y", "m", None)),
        (r"(\d{4})", ("y", None, None)),
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", ("d", "m", "y")),
        (r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})", ("m", "d", "y")),
        (r"(\d{1,2}) ([A-Za-z]+)\.?,? (\d{4})", ("d", "m", "y")),
        (r"([A-Za-z]+)\.?,? (\d{4})", ("m", "y", None)),
    ]
    for pattern, order in patterns:
        match = re.fullmatch(pattern, value)
        if not match:
            continue
        parts = dict(zip([o for o in order if o], match.groups(), strict=True))
        month = parts.get("m")
        if month is not None and not month.isdigit():
            month_number = _MONTHS.get(month[:3].lower())
            if month_number is None:
                return None
            month = str(month_number)
        return _iso(
            int(parts["y"]),
            int(month) if month else None,
            int(parts["d"]) if parts.get("d") else None,
        )
    return None


def _iso(year: int, month: int | None, day: int | None) -> str | None:
    if not 1000 <= year <= 9999:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def to_years(text: str | None) -> float | None:
    """An age in years from "18 Years", "6 Months", "30 Days", "18Y", "N/A" (None)."""
    if text is None:
        return None
    match = re.fullmatch(
        r"\s*(\d+(?:\.\d+)?)\s*(years?|yrs?|y|months?|m|weeks?|w|days?|d|hours?|h)?\.?\s*",
        str(text),
        re.IGNORECASE,
    )
    if not match:
        return None
    number = float(match.group(1))
    if not math.isfinite(number):  # float("9" * 400) is inf, which JSON cannot hold
        return None
    unit = (match.group(2) or "years")[0].lower()
    per_year = {"y": 1, "m": 12, "w": 52.1775, "d": 365.25, "h": 8766}[unit]
    return round(number / per_year, 4) if per_year != 1 else number
