"""The inclusion criteria state ages or a sex that the structured eligibility fields contradict.

What it detects: an inclusion criterion that states an age limit ("Aged 18-70", "age ≥ 18
years", "18 years or older", "between the ages of 6 months and 17 years", "under 65 years of
age") or a sex ("women only", "males and females") that differs from the structured minimum
age, maximum age or sex. Criteria that give ages in more than one item (also without an age
word: "over 6 months to under 21 years", "18 and over") or that admit several populations
(cohorts, groups, healthy volunteers beside patients, mothers and their babies) are not
judged: on real records such a second age is mostly another cohort's, another moment's or
someone else's ("were at least 1 year old when they had chickenpox", "wound more than 6 months
old", "mental age of at least 18 months", "Age 35-39 years" heading one risk group), and which
one is the trial's is not the rule's to guess. Where one item states several limits on one
side (ranges by study stage), the record conflicts only if it agrees with none of them, nor
with an age the criteria give elsewhere without an age word ("18 and over"). "> 18" may be
written as 18 or 19 and "< 65" as 64 or 65. A record whose structured age is missing while its
criteria state one, one way, for one population (not cohorts, controls, or mothers and their
babies), gets an ``info`` finding: the registry may mean "no limit", but the criteria say
otherwise, and the page may simply not have been captured (a stated minimum of 0, "0-18 years"
or "from birth", is no limit either and is not reported). A record whose source cannot carry
structured ages (the website's CSV download gives age groups only) gets none.

Only numbers tied to an age word are read ("age", "aged", "years old", "years of age", "or
older", "younger than"): a BMI of 18-30, "HbA1c 7-10%" or "within 6 months" are never ages.
Criteria about other people or other moments are skipped: the age of a caregiver, parent or
donor, the age at diagnosis or onset (also "esotropia that occurred at age 6 months or older"
beside the participant's "age 3 years or older"), gestational age, conditional criteria ("for
participants younger than 16 years ...") and age as one alternative among others ("age > 60 or
diabetes", "one of the following risk factors: age > 65, ..."), also when the alternatives are
the items listed under "at least one of the following:" or "risk factors including:" (up to
the next numbered item or heading), an age tied to a performance score ("Age less than 16
years: Lansky 50-100%", "Lansky (age 1 to 16) or Karnofsky (age > 16)"), the age of relatives
or of participants who choose an optional part ("patients who elect to complete the
questionnaire must be 18"), a possible later extension, and ages outside a range ("Age less
than 18 years and over 70 years": an exclusion filed among the inclusion criteria). An open
age group above a range ("aged 18-59, or 60 years and above") means no maximum, and a cohort's
ages qualified after the range ("14-18 for children with X") are not limits. When the criteria
speak of newborns or pregnancies, a structured minimum in the first weeks of life is the
newborns' and is not contradicted by the mothers' or another cohort's age; where they name the
babies, no minimum at all is not reported missing either. ICTRP's export
writes >= and <= as "=": "Age = 18 years" may be a minimum or a maximum, so it states no limit
alone and only widens the limits other criteria state. An item giving an age in words ("five
years 3 months of age") is not read, nor one about an earlier version of the protocol, an age
in a past year ("Age 30-60 in 1988"), the age at which puberty is delayed or the age of
healthy volunteers or controls ("Healthy volunteers: age 18 or older"; "Healthy volunteers
will be healthy adults between the age of 18 and 80" where the criteria also admit patients,
while in a trial of healthy volunteers alone their ages are the trial's), nor a quota ("no
more than 10 percent of subjects may be over 50"); an aside about who consents for minors
("(consent of parent or guardian required if under 18)") or a quota is left out of the
criterion. Exclusion criteria are not read, except a cohort heading among them stating its
cohort's ages ("GROUP 1: (PATIENTS AGED > 65 AND < 75 YEARS)" heading that group's
exclusions), which widens the limits the inclusion criteria state: every cohort's range
counts.

Severity: info. The rule reads free text, and on fresh real data (rounds 4 and 5 of the
evaluation's hold-out, judged before any fix for them) 16 of the 18 conflicts it reported were
right: 0.89, short of the 0.95 a warning must reach on real data.

Why it matters: registry searches, eligibility screening tools and meta-analyses filter on
the structured ages and sex; a record whose criteria admit 18-70 year olds but whose fields
say 30-75 is found by the wrong patients.

How to fix: compare the protocol's eligibility section with the structured fields and correct
whichever is wrong; fill in missing structured ages from the criteria when they are the
trial's real limits.

Example: criteria "Males and females between age 18 and 70 years" with structured ages 18 to
65 -> "criteria say a maximum age of 70 years, the record says 65".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from audit.capabilities import carries
from audit.findings import Finding
from audit.frames import contains_any, matches, value, where
from audit.rules import Context, rule
from audit.tables import KEY_COLUMNS, Tables

_AGE_WORD = r"\bage|\bold|older|younger|\byoa\b"  # a criterion that may state an age
_AGE_LITERALS = ("age", "old", "younger", "yoa")  # one is in every _AGE_WORD match
_UNIT = r"(?:years?|yrs?|y|yoa|months?|mos?|weeks?|wks?|days?|hours?|hrs?|h)\b"


def _number(name: str) -> str:
    """A number (not a percentage or a ratio) and its optional unit, as named groups."""
    return (
        rf"(?P<{name}>\d{{1,3}}(?:\.\d+)?)(?!\d|\.\d|\s*[%/])\)?\s*"
        rf"(?P<{name}_unit>{_UNIT})?"
    )


_AGE_BEFORE = re.compile(
    r"\bage[sd]?\b(?:\s*(?:is|of|:|=|was|must be|should be|range(?: of)?|between|from|and|or))*"
    r"\W*$"
)
# "aged 18-59 years, or 60 years and above": a second age group after a first one.
_AGE_LIST_BEFORE = re.compile(
    r"\bage[sd]?\b[^.;]*\d\s*(?:years?|yrs?)(?:\s*old)?\s*(?:\([^()]*\))?\s*,?\s*(?:or|and)\s*$"
)
_AGE_AFTER = re.compile(r"\s*(?:(?:years?|yrs?|y)\s*)?(?:old|of age|yoa|-old)\b")
_ALTERNATIVE = re.compile(
    r"\s*(?:(?:years?|yrs?)\s*)?(?:(?:old|of age)\s*)?(?:,?\s*or\s+"
    r"(?!older|over|above|more|greater|younger|under|less|below|equal|elder|age|between|\d|"
    r"(?:are|is|be)\s+(?:older|over|above|more|greater|younger|under|less|below|between|aged?|\d))|"
    r"\)?\s*,?\s*(?:and|or)\s+(?:children|adolescents|infants|minors|pediatric))"
)
# "one of the following risk factors: age > 65, diabetes, ...": age is one risk among others.
_RISK_BEFORE = re.compile(
    r"risk factor|comorbid|high[\s-]risk|\b(?:one|any|either) of\b|\b(?:required|needed) for\b"
)
_LOWER_OP = (
    r">=|>|greater than(?: or equal to)?|more than|older than|above|over|at least|"
    r"minimum(?: of)?|from"
)
_UPPER_OP = (
    r"<=|<|less than(?: or equal to)?|younger than|under|below|up to|"
    r"not older than|no older than|maximum(?: of)?"
)
_AGE_WORDS = r"(?:the\s+)?(?:age[sd]?\s+(?:of\s+)?)?"
_RANGE = re.compile(
    rf"(?P<between>between\s+{_AGE_WORDS})?(?P<low_op>>=|>)?\s*{_number('low')}\s*(?:old\s*)?"
    rf"(?P<sep>-|to|through|until|and)\s*(?P<high_op><=|<)?\s*{_number('high')}"
)
_LOWER = re.compile(
    rf"(?P<op>{_LOWER_OP})\s*{_AGE_WORDS}{_number('n')}"
    rf"|{_number('m')}\s*(?:old\s*|of age\s*)?"
    r"(?:(?:or|and)\s+(?:older|over|above|more|greater)|\+)"
)
_UPPER = re.compile(
    rf"(?P<op>{_UPPER_OP})\s*{_AGE_WORDS}{_number('n')}"
    rf"|{_number('m')}\s*(?:old\s*|of age\s*)?"
    r"(?:or|and)\s+(?:younger|under|less|below)(?!\s+than)"
)
# Criteria about someone else or another moment than enrolment.
_OTHER_AGE = re.compile(
    r"gestation|caregiver|care giver|parent|guardian|mother|father|partner|spouse|donor|"
    r"sibling|relatives?\b|family members?|child-?bearing|age-related|matched|bone age|onset|"
    r"pubert(?:y|al)\s+(?:is|was|are|were)\b|(?:earlier|previous|original)\s+version|"
    r"^\W*(?:healthy\s+(?:volunteers?|controls?|subjects?)|(?:normal\s+)?controls?|"
    r"control\s+(?:group|subjects?))\s*:|(?:percent|%)\s+of\s+(?:the\s+)?(?:subjects|participants|"
    r"patients|volunteers)|"
    r"\b(?:in|as of|since|during|before|after|by)\s+(?:19|20)\d\d\b|"  # the age in a past year
    r"\bgoal\b|\bat least \d+ (?:each )?of\b|"  # a recruitment goal: "at least 10 each of ..."
    r"\([^()]*\b(?:portion|part|phase|stage|cohort|sub-?study)\b[^()]*\)|"  # one part's ages
    r"menarche|menopaus|any age|historical control|permitted|may (?:only )?be extended|"
    r"local (?:law|regulation)|(?:pcr|test|swab|sample|specimen|result|scan|x-?ray)\b[^.;]{0,40}"
    r"(?:older than|\bat\s*(?:>=|<=|>|<)?\s*\d)|"
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(?:years?|months?)"
    r"(?:\s+\d+\s+months?)?\s+(?:of age|old)\b|"
    r"\b(?:patients?|subjects?|participants?|those)\s+who\s+(?:elect|choose|opt|wish)\b|"
    r"\d\s*(?:years?|months?)?\s*(?:of age\s*)?:\s*(?:lansky|karnofsky|ecog|performance)|"
    r"\b(?:at|of|since|before|after|by)\s+(?:the\s+)?(?:time\s+of\s+)?(?:first\s+|initial\s+)?"
    r"(?:diagnos\w*|hsct|transplant\w*|symptom\w*)|"
    r"\b(?:before|after|since|by)\s+(?:the\s+)?age|\bif\b|\bunless\b|"
    r"\d\s*(?:years?|months?|weeks?|days?)\s+(?:prior|before|ago|after)\b|"
    r"\b(?:for|in|when)\s+(?:the\s+)?(?:patients?|subjects?|participants?|children|those|"
    r"women|men|individuals|adolescents|adults|females|males|girls|boys|people)'?\s+"
    r"(?:who\s+(?:are|is)\s+)?\(?(?:aged?|<|>|less|younger|older|under|over|above|below|\d)|"
    r"\d\s*(?:years?|y)\s+and\s+\d+\s*(?:months?|days?)|"
    r"\d\s*(?:years?|months?)?\s+for\s+(?:the\s+)?(?:patients?|subjects?|participants?|children|"
    r"adults|adolescents|infants|those|women|men|boys|girls)\b"
)
_STRICT_OP = r"[<>]|(?:greater|more|older|less|younger) than|above|over|under|below"
_PER_YEAR = {"y": 1.0, "m": 12.0, "w": 52.1775, "d": 365.25, "h": 8766.0}
_TOLERANCE = 0.02  # years: rounding of months and days

_SEX_PATTERNS = {
    "FEMALE": r"\b(?:women|females?|girls)\s+only\b|\bonly\s+(?:women|females?|girls)\b",
    "MALE": r"\b(?:men|males?|boys)\s+only\b|\bonly\s+(?:men|males?|boys)\b",
    "ALL": r"\b(?:males?\s*(?:and|or|&|/)\s*females?|females?\s*(?:and|or|&|/)\s*males?|"
    r"men\s*(?:and|or|&|/)\s*women|women\s*(?:and|or|&|/)\s*men|boys\s+(?:and|or)\s+girls|"
    r"girls\s+(?:and|or)\s+boys|both\s+(?:sexes|genders)|either\s+(?:sex|gender)|"
    r"(?:regardless|irrespective)\s+of\s+(?:sex|gender)|no\s+(?:gender|sex)\s+restriction)",
}
_ANY_SEX = "(?i)" + "|".join(_SEX_PATTERNS.values())
_SEX_WORDS = ("men", "male", "boys", "girls", "sex", "gender")  # one is in every _ANY_SEX match
_OTHER_SEX = re.compile(
    r"contracep|child-?bearing|pregnan|partner|lactat|breast-?feed|"
    r"\b(?:for|in|if)\s+(?:the\s+)?(?:women|females?|men|males?)\b"
)


@dataclass(frozen=True)
class Bound:
    years: float
    strict: bool
    step: float  # one unit of the stated number, in years
    phrase: str
    either: bool = False  # "age = 20": a minimum or a maximum (ICTRP writes >= and <= as =)


def _years(number: str, unit: str | None) -> tuple[float, float]:
    letter = (unit or "y").lower()[0]
    per_year = _PER_YEAR.get(letter, 1.0)
    return round(float(number) / per_year, 4), round(1 / per_year, 4)


def _normalized(item: str) -> str:
    text = item.lower().replace("≥", ">=").replace("≤", "<=").replace("＞", ">")
    text = text.replace("＜", "<")
    text = re.sub(r"=\s*/?\s*>|>\s*/\s*=", ">=", text)
    text = re.sub(r"=\s*/?\s*<|<\s*/\s*=", "<=", text)
    text = re.sub(r"\b(i)\.\s?(e)\.|\b(e)\.\s?(g)\.", r"\1\2\3\4", text)  # not a sentence end
    text = re.sub(r"\b(between|from)\s+birth\b", r"\1 0 days", text)  # "between birth and 48 hours"
    return re.sub(r"[~～–—−]", "-", text)


# "esotropia that occurred at age 6 months or older": the age at an event, not at enrolment.
_EVENT_AGE_BEFORE = re.compile(
    r"\b(?:occur(?:red|ring|s)?|beg[au]n|beginning|start(?:ed|ing)|develop(?:ed|ing)|"
    r"appear(?:ed|ing)|present(?:ed|ing)|manifest(?:ed|ing)|diagnosed|detected|acquired)\s+"
    r"(?:at|before|after|by|from)\s+(?:the\s+)?age[sd]?\s*(?:of\s*)?$"
)


def _has_context(text: str, start: int, end: int, matched: str) -> bool:
    """Is the number an age limit: an age word in or just around it, and not one alternative
    of several ("age > 60 or diabetes") nor the age at an event ("occurred at age 6 months")?"""
    if _ALTERNATIVE.match(text, end) or _RISK_BEFORE.search(text, 0, start):
        return False
    if _EVENT_AGE_BEFORE.search(text[max(0, start - 40) : start]):
        return False
    return bool(
        re.search(r"\bage[sd]?\b|older|younger", matched)
        or _AGE_BEFORE.search(text[max(0, start - 40) : start])
        or _AGE_LIST_BEFORE.search(text, 0, start)
        or _AGE_AFTER.match(text, end)
    )


# "Age less than 18 years and over 70 years": ages outside a range, an exclusion criterion
# filed among the inclusion criteria.
_OUTSIDE = re.compile(
    r"(?:less than|younger than|under|below|<)\s*(\d{1,3})[^.;\d]{0,20}?\b(?:and|or)\s+"
    r"(?:over|above|greater than|older than|more than|>)\s*(\d{1,3})"
)


def _outside(text: str) -> bool:
    return any(int(low) < int(high) for low, high in _OUTSIDE.findall(text))


# ICTRP's export writes >= and <= as "=": "Age =18 years" is a minimum or a maximum.
_EITHER = re.compile(rf"(?<![<>=!])=\s*{_number('n')}")


_CONSENT_ASIDE = re.compile(r"\([^()]*(?:\b(?:consent|assent|percent)\b|%)[^()]*\)")
# "Lansky (age 1 to 16) or Karnofsky (age > 16)": the age picks the performance scale.
_SCALE_AGE_ASIDE = re.compile(
    r"\b(lansky|karnofsky|ecog|zubrod)\b([^()\n]{0,20}?)\s*\(\s*(?:for\s+)?"
    r"(?:(?:patients?|pts|subjects?|children)\s+)?"
    r"(?:age[sd]?\b|[<>]|\d|(?:over|under|above|below|older|younger)\b)[^()]*\)"
)


def age_bounds(item: str, heading: bool = False) -> tuple[list[Bound], list[Bound]]:
    """(lower bounds, upper bounds) an inclusion criterion states for the participant's age.
    A cohort ``heading`` ("GROUP 1: (PATIENTS AGED > 65 AND < 75 YEARS)") is read as a range
    also where "and" joins its two limits."""
    # "at least 14 years old (consent of parent or guardian required if under 18)": who
    # consents for minors does not change the criterion.
    text = _CONSENT_ASIDE.sub(" ", _normalized(item))
    text = _SCALE_AGE_ASIDE.sub(r"\1\2", text)
    if _OTHER_AGE.search(text) or _outside(text):
        return [], []
    if _EITHER.search(text):  # "Patients = 20 but < 65 years of age": = is >= or <=
        either = [
            Bound(
                _years(m["n"], m["n_unit"])[0],
                False,
                _years(m["n"], m["n_unit"])[1],
                m.group(0).strip(),
                either=True,
            )
            for m in _EITHER.finditer(text)
            if not _RISK_BEFORE.search(text, 0, m.start())  # only widens: any age word will do
        ]
        return either, either
    lows: list[Bound] = []
    highs: list[Bound] = []
    taken: list[tuple[int, int]] = []
    between = ages_between = False
    for match in _RANGE.finditer(text):
        between = between or bool(match["between"])  # "between 18 and 55, or 65 and 85"
        bounded = heading and bool(match["low_op"] and match["high_op"])  # "> 65 and < 75"
        if match["sep"] == "and" and not (between or bounded):
            continue
        # "between the ages of 18 and 55 years, inclusive, 65 and 85 years": ages too
        listed = ages_between and bool(match["high_unit"])
        if not listed and not _has_context(text, *match.span(), match.group(0)):
            continue
        ages_between = between
        low, low_step = _years(match["low"], match["low_unit"] or match["high_unit"])
        high, high_step = _years(match["high"], match["high_unit"] or match["low_unit"])
        if low < high:
            phrase = match.group(0).strip().rstrip(")").strip()
            # "between 18 and 65" may exclude both ends
            lows.append(Bound(low, between or match["low_op"] == ">", low_step, phrase))
            highs.append(Bound(high, between or match["high_op"] == "<", high_step, phrase))
            taken.append(match.span())
    for pattern, found in ((_LOWER, lows), (_UPPER, highs)):
        for match in pattern.finditer(text):
            if any(start <= match.start() < end for start, end in taken):
                continue
            if not _has_context(text, *match.span(), match.group(0)):
                continue
            side = "n" if match["op"] else "m"
            years, step = _years(match[side], match[f"{side}_unit"])
            operator = match["op"] or ""
            strict = bool(re.fullmatch(_STRICT_OP, operator))
            found.append(Bound(years, strict, step, match.group(0).strip()))
    return lows, highs


def stated_sexes(inclusion: str) -> dict[str, str]:
    """Sex -> the first criterion stating it, skipping criteria about contraception, pregnancy
    or partners ("men and women of child-bearing potential") and "for women only, ..."."""
    found: dict[str, str] = {}
    for item in inclusion.split("\n"):
        lowered = item.lower()
        if _OTHER_SEX.search(lowered):
            continue
        for sex, pattern in _SEX_PATTERNS.items():
            if sex not in found and re.search(pattern, lowered):
                found[sex] = item.strip()
    return found


def _agrees(structured: float, stated: Bound, lower: bool) -> bool:
    """Equal, or one unit inside a strict limit; a fractional maximum ("17.99 years") may be
    written as its whole years (17), since registries often cannot store fractions."""
    difference = structured - stated.years if lower else stated.years - structured
    allowed = stated.step + _TOLERANCE if stated.strict else _TOLERANCE
    if not lower and stated.years != int(stated.years):
        allowed = max(allowed, stated.years - int(stated.years) + _TOLERANCE)
    return -_TOLERANCE <= difference <= allowed


def stated_limits(lows: list[Bound], highs: list[Bound]) -> tuple[Bound | None, Bound | None]:
    """The lowest minimum and highest maximum the criteria state. No minimum when an age
    group lies below it ("< 2 months: ...; 2-12 months: ..."), no maximum when an open age
    group lies above it ("aged 18-59, or 60 years and above")."""
    # An "= N" bound, either a minimum or a maximum, only widens the limits other criteria
    # state: it never states one alone.
    known_lows = [b for b in lows if not b.either]
    known_highs = [b for b in highs if not b.either]
    lower = min(lows, key=lambda b: b.years) if known_lows else None
    upper = max(highs, key=lambda b: b.years) if known_highs else None
    if lower and known_highs and min(b.years for b in known_highs) <= lower.years:
        lower = None
    if upper and known_lows and max(b.years for b in known_lows) >= upper.years:
        upper = None
    return lower, upper


_EXCLUSION_HEADING = r"(?i)exclusion criteria"


def _distinct_inclusions(studies: pd.DataFrame) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """Each study's position in the distinct criteria, those criteria's inclusion texts cut
    where an "Exclusion criteria" heading starts, and their exclusion texts (the part after
    that heading and the exclusion criteria). Registries repeat criteria, so each is read
    once."""
    exclusion = studies["exclusion"].fillna("") if "exclusion" in studies else ""
    codes, texts = pd.factorize(studies["inclusion"] + "\x00" + exclusion)
    both = pd.Series(texts).str.split("\x00", n=1, regex=False)
    heads = both.str[0]
    cut = matches(heads, _EXCLUSION_HEADING, "exclusion criteria")
    parts = heads[cut].str.split(_EXCLUSION_HEADING, n=1, regex=True)
    tails = pd.Series("", index=heads.index, dtype=object)
    tails[cut] = parts.map(lambda part: part[1] if len(part) > 1 else "")
    heads = heads.astype(object)
    heads[cut] = parts.str[0]
    return codes, heads, tails + "\n" + both.str[1]


# "... and at least one of the following:" ("poor risk factors including:", "2 or more risk
# factors:", "stress test required for the following:") ends an item whose next items are
# alternatives (risk factors, conditions for a test), up to the next item numbered as the
# header is (its lettered sub-items are the alternatives) or section heading.
_ALTERNATIVES_HEADER = (
    r"(?i)(?:\b(?:one|any|either|two|three|\d)\s+(?:or more\s+)?of\s+the\s+following\b|"
    r"\b(?:one|two|three|\d)\s+or\s+more\b|\b(?:required|needed|necessary)\s+(?:for|in|if)\b|"
    r"risk factors?\b|\bincluding\b)[^.]*:\s*$"
)
_ALTERNATIVES_SPAN = 8
_MARKER = r"(?i)^\s*(?:(?P<digit>\d{1,2})|(?P<letter>[a-h])|(?P<roman>[ivx]{1,4}))\s*[.)]\s"


def _alternatives(items: pd.Series) -> pd.Series:
    """Is each item (indexed by its text's position, in order) one of the alternatives listed
    under an "at least one of the following:" item of its text: one of the next
    ``_ALTERNATIVES_SPAN`` items, before a section heading or an item numbered as the header
    is (a header without a number: any numbered item but a lettered one)?"""
    header = pd.Series(matches(items, _ALTERNATIVES_HEADER, ":"), items.index)
    heading = pd.Series(matches(items, r":\s*$", ":"), items.index) & ~header
    kinds = np.full(len(items), "", dtype="<U6")
    marked = contains_any(items, (".", ")"))  # every _MARKER match holds one
    if marked.any():
        markers = items[marked].str.extract(_MARKER)
        kinds[marked] = np.select([markers[c].notna() for c in markers], list(markers), "")
    kind = pd.Series(kinds, items.index)
    governing = kind.where(header).groupby(level=0).ffill().groupby(level=0).shift(1)
    ends = (kind != "") & ((kind == governing) | ((governing == "") & (kind != "letter")))
    position = items.groupby(level=0).cumcount().astype(float)
    marks = position.where(header, np.where(ends | heading, -np.inf, np.nan))
    since = position - marks.groupby(level=0).ffill().groupby(level=0).shift(1)
    return (since <= _ALTERNATIVES_SPAN).fillna(False) & ~ends & ~heading


def _age_items(inclusion: pd.Series) -> pd.DataFrame:
    """One row per inclusion item that may state an age: its text's position and the item."""
    items = inclusion.str.split("\n").explode().dropna().astype("string")
    if len(items):
        items = items[~_alternatives(items).to_numpy(dtype=bool)]
    items = items[matches(items, "(?i)" + _AGE_WORD, _AGE_LITERALS)]
    items = items[items.str.contains(r"\d")]
    return pd.DataFrame({"text": items.index, "item": items})


@dataclass(frozen=True)
class Side:
    """What the criteria state on one side (minimum or maximum): the widest limit, which a
    finding names; every limit stated on that side; and whether they read one way."""

    limit: Bound
    every: tuple[Bound, ...]
    clear: bool


Limits = tuple[Side | None, Side | None]


# "GROUP 1: (PATIENTS AGED > 65 AND < 75 YEARS)": a cohort heading stating its ages, also
# where it heads that cohort's exclusion criteria.
_COHORT_HEADING = re.compile(
    r"(?i)^\W*(?:group|cohort|arm|stratum|part)\s*(?:\d{1,2}|[a-d]|i{1,3}|iv)\b\W*"
    r"(?:(?:patients?|subjects?|participants?|children|adults)\s+)?aged?\b[^:;.]{0,40}$"
)


def _heading_bounds(exclusion: pd.Series) -> dict[int, ItemBounds]:
    """Per text position: the ages stated by cohort headings after its exclusion heading."""
    lines = exclusion.str.split("\n").explode().dropna().astype("string")
    lines = lines[matches(lines, _COHORT_HEADING, "age")]
    found: dict[int, tuple[list[Bound], list[Bound]]] = {}
    for text, line in zip(lines.index.tolist(), lines.tolist(), strict=True):
        lows, highs = age_bounds(line, heading=True)
        found.setdefault(text, ([], []))
        found[text][0].extend(lows)
        found[text][1].extend(highs)
    return {text: (tuple(lows), tuple(highs)) for text, (lows, highs) in found.items()}


ItemBounds = tuple[tuple[Bound, ...], tuple[Bound, ...]]  # one criterion's (lower, upper bounds)


def _text_limits(inclusion: pd.Series, exclusion: pd.Series | None = None) -> list[Limits | None]:
    """The limits each inclusion text states (``_one_reading`` of its items), None when it
    states no age. Each distinct item is read once. Cohort headings in the exclusion part
    (``exclusion``, by position) add their cohorts' ages; where the criteria admit patients,
    the ages of healthy volunteers or controls are not read."""
    items = _age_items(inclusion)
    codes, distinct = pd.factorize(items["item"])
    bounds = [(tuple(lows), tuple(highs)) for lows, highs in map(age_bounds, distinct)]
    stating: list[list[ItemBounds]] = [[] for _ in range(len(inclusion))]
    for text, code in zip(items["text"].tolist(), codes.tolist(), strict=True):
        if bounds[code][0] or bounds[code][1]:
            stating[text].append(bounds[code])
    headings = _heading_bounds(exclusion) if exclusion is not None else {}
    for text, heading in headings.items():
        if stating[text]:  # only widens what the inclusion criteria state
            stating[text].append(heading)
    readings: dict[tuple[ItemBounds, ...], Limits] = {}  # texts often state the same limits
    limits: list[Limits | None] = []
    for found in map(tuple, stating):
        if found and found not in readings:
            readings[found] = _one_reading(found)
        limits.append(readings[found] if found else None)
    return limits


def _one_limit(bounds: list[Bound], lower: bool) -> bool:
    """Does one structured age agree with every limit the criteria state on this side? When
    none does, they state several (cohorts, study stages, the age at an earlier illness, the
    age of a wound) and which one is the trial's is not for a rule to guess."""
    known = [b for b in bounds if not b.either]
    candidates = {c for b in known for c in (b.years, b.years - b.step, b.years + b.step)}
    candidates |= {float(int(b.years)) for b in known}
    return not known or any(all(_agrees(c, b, lower) for b in known) for c in candidates)


def _one_sided(found: tuple[ItemBounds, ...], side: int) -> bool:
    """Does a criterion state only this side's limit while another states a range ("over the
    age of 18" for patients, "between 18 and 70" for volunteers)? Then the range's other
    limit may be one cohort's."""
    known = [[[b for b in bounds if not b.either] for bounds in item] for item in found]
    ranged = any(lows and highs for lows, highs in known)
    return ranged and any(item[side] and not item[1 - side] for item in known)


def _one_reading(found: tuple[ItemBounds, ...]) -> Limits:
    """The criteria's ``stated_limits``, with every limit on each side; a side is clear when
    its limits agree and no criterion states only the other side beside a range."""
    lows = [b for item in found for b in item[0]]
    highs = [b for item in found for b in item[1]]
    lower, upper = stated_limits(lows, highs)
    return (
        Side(lower, tuple(lows), _one_limit(lows, True) and not _one_sided(found, 1))
        if lower
        else None,
        Side(upper, tuple(highs), _one_limit(highs, False) and not _one_sided(found, 0))
        if upper
        else None,
    )


def _years_text(years: float) -> str:
    return f"{years:g} years"


class AgeProblem(NamedTuple):
    """A structured age the criteria contradict, or that is missing."""

    field: str
    word: str  # "minimum" or "maximum"
    stated: Bound
    structured: float | None  # None: the record has no such age


# Criteria about newborns, or pregnancies whose newborns may take part: a structured minimum
# in the first weeks of life is theirs, whatever age the other cohorts (or the mothers) state.
_NEWBORN_WORDS = (
    "newborn", "neonat", "new-born", "gestation", "pregnan", "premature infant", "preterm",
    "at birth",
)  # fmt: skip
_NEWBORNS = "(?i)" + "|".join(_NEWBORN_WORDS)
_NEWBORN_YEARS = 0.1
# Criteria admitting several populations, whose stated limits may be one population's.
_POPULATIONS = (
    r"(?i)\b(?:(?:healthy|normal|matched)\s+controls?|control\s+(?:group|subjects?|participants?|"
    r"children)|as\s+controls|cohorts?\s+(?:[a-d1-9]|i{1,3}|iv)\b|"
    r"healthy\s+(?:adult\s+)?(?:volunteers?|subjects?)(?=[\s\S]*\bpatients?\b)|"
    r"\bpatients?\b(?=[\s\S]*healthy\s+(?:adult\s+)?(?:volunteers?|subjects?))|"
    r"(?:group|arm|part|stratum)\s+(?:[a-d1-9]|i{1,3}|iv)\b|subject\s+groups|"
    r"(?:several|two|three|both|different)\s+(?:age\s+|subject\s+)?groups)|"
    r"(?:pregnan|mothers?\b)(?=[\s\S]*\b(?:bab(?:y|ies)|newborns?|neonates?|infants?)\b)"
)
# Every _POPULATIONS match holds one of these.
_POPULATION_WORDS = (
    "control", "cohort", "healthy", "group", "arm", "part", "stratum", "pregnan", "mother",
)  # fmt: skip
# An age anywhere in the criteria: "5 to 20 years", "18 and over", "Age 35-39 years".
_ANY_AGE = re.compile(
    rf"(?<![\d.])(\d{{1,3}}(?:\.\d+)?)(?:\s*(?:-|to|through)\s*[<>]?=?\s*(\d{{1,3}}(?:\.\d+)?))?"
    rf"\s*(?:({_UNIT})|(?:and|or)\s+(?:over|older|above)|\+)"
)
# "age greater than or equal to 2 (for ...)", "patients over age 25": an age without a unit.
_AGE_NUMBER = r"\bage[sd]?\b[^.;:\d]{0,30}\d"
# "Over 6 months to under 21 years", "18 and over": an age without an age word.
_BOUND_AGE = (
    r"(?:over|under|above|below|older than|younger than|[<>]=?)\s*\d{1,3}\s*(?:years?|yrs?|months?)"
    r"|\d{1,3}\s*(?:years?|months?)?\s*(?:-|to)\s*(?:under\s*|<\s*)?\d{1,3}\s*(?:years?|yrs?)\b"
    r"|\d{1,3}\s*(?:years?\s*)?(?:and|or)\s+(?:over|older)\b"
)
_BOUND_AGE_WORDS = ("year", "yr", "month", "over", "older")  # one is in every _BOUND_AGE
# "Age is not limited": the criteria state no limit, whatever else they say of ages.
_UNLIMITED_WORDS = ("limit", "ages")
_UNLIMITED = r"(?i)\bage\s+(?:is\s+)?(?:not\s+limited|unlimited)|\bno\s+age\s+limit|\ball\s+ages\b"


class Criteria(NamedTuple):
    """What the rule knows of one inclusion text beside its limits."""

    text: str
    newborns: bool  # newborns may take part: it speaks of birth or pregnancy
    several: bool  # it admits several populations (cohorts, controls, mothers and babies)
    ages_given: int  # how many of its items give an age, however the rule reads them (99:
    # it says the age is not limited)
    excluded: tuple[tuple[float, ...], tuple[float, ...]]  # minimums, maximums the exclusion
    # criteria imply


def _age_giving(texts: pd.Series) -> pd.Series:
    """The items of ``texts`` (indexed by text position) that give an age, lower-cased."""
    items = texts.str.lower().str.split("\n").explode().dropna().astype("string")
    worded = matches(items, _AGE_WORD, _AGE_LITERALS)
    candidates = items[worded]
    gives = np.zeros(len(items), dtype=bool)
    gives[worded] = (
        candidates.map(_ANY_AGE.search).notna() | candidates.str.contains(_AGE_NUMBER, regex=True)
    ).to_numpy(dtype=bool)
    return items[gives | matches(items, _BOUND_AGE, _BOUND_AGE_WORDS)]


def _excluded(exclusion: pd.Series) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """Per exclusion text: the minimum and maximum ages its criteria imply ("Age less than 4
    years" excludes the younger: a minimum of 4; "Age over 75 years": a maximum of 75)."""
    implied: list[tuple[list[float], list[float]]] = [([], []) for _ in range(len(exclusion))]
    items = _age_giving(exclusion)
    for text, item in zip(items.index.tolist(), items.tolist(), strict=True):
        lows, highs = age_bounds(item)
        if lows and highs:
            continue  # a range: inclusion criteria misfiled, or ages outside it
        implied[text][0].extend(b.years for b in highs if not b.either)
        implied[text][1].extend(b.years for b in lows if not b.either)
    return [(tuple(low), tuple(high)) for low, high in implied]


def _criteria(inclusion: pd.Series, exclusion: pd.Series) -> list[Criteria]:
    """``Criteria`` of each inclusion text (``exclusion``: its exclusion texts, by position)."""
    newborns = matches(inclusion, _NEWBORNS, _NEWBORN_WORDS)
    several = matches(inclusion, _POPULATIONS, _POPULATION_WORDS)
    items = _age_giving(inclusion)
    given = items.groupby(level=0).nunique().reindex(inclusion.index, fill_value=0)
    given = given.where(~matches(inclusion, _UNLIMITED, _UNLIMITED_WORDS), 99)
    return [
        Criteria(*fields)
        for fields in zip(
            inclusion.tolist(),
            newborns.tolist(),
            several.tolist(),
            given.tolist(),
            _excluded(exclusion),
            strict=True,
        )
    ]


def _mentioned(text: str, years: float) -> bool:
    """Do the criteria give ``years`` as an age anywhere, also where the rule does not read it
    as a limit (an item set aside as conditional, about relatives, written without an age
    word)? Then the record may well be right."""
    for match in _ANY_AGE.finditer(_normalized(text)):
        for number in match.groups()[:2]:
            if number and abs(_years(number, match[3])[0] - years) <= _TOLERANCE:
                return True
    return any(  # a number in an item about ages ("from 18 to <55 and 65-<85 years of age")
        abs(float(number) - years) <= _TOLERANCE
        for item in text.split("\n")
        if re.search(_AGE_WORD, item, re.IGNORECASE)
        for number in re.findall(
            r"(?<![\d.])(\d{1,3})(?![\d.]|\s*(?:%|mg|g/|kg|mmol|/|x\s*10)|"
            r"(?:\s*(?:-|to)\s*[<>]?=?\s*\d{1,3})?\s*(?:months?|mos?|weeks?|wks?|days?|hours?|hrs?)\b)",
            item,
        )
    )


def _age_problems(
    limits: Limits, min_age: float | None, max_age: float | None, criteria: Criteria
) -> list[AgeProblem]:
    """The structured ages that are missing or disagree with the criteria's limits."""
    low, high = limits
    problems = []
    for field, stated, structured, lower, word in (
        ("min_age_years", low, min_age, True, "minimum"),
        ("max_age_years", high, max_age, False, "maximum"),
    ):
        if stated is None or (structured is None and lower and stated.limit.years == 0):
            continue  # no minimum and a minimum of 0 ("from birth") say the same
        if criteria.ages_given > 1 or criteria.several:
            continue  # which item or population gives the trial's limits is a guess
        if lower and criteria.newborns and structured is not None and structured < _NEWBORN_YEARS:
            continue
        # Where the criteria state several limits, the record is wrong only if it agrees with
        # none of them (nor with an age they give elsewhere), and missing only when they read
        # one way for one population.
        if structured is None:
            missing = stated.clear and not criteria.several
        else:
            missing = not any(_agrees(structured, b, lower) for b in stated.every)
            missing = missing and not _mentioned(criteria.text, structured)
            # nor a limit the exclusion criteria imply ("Age less than 4 years")
            implied = criteria.excluded[0 if lower else 1]
            missing = missing and all(abs(structured - y) > _TOLERANCE for y in implied)
        if missing:
            problems.append(AgeProblem(field, word, stated.limit, structured))
    return problems


def _age_finding(problem: AgeProblem, row: Any, ctx: Context) -> Finding | None:
    field, word, stated, structured = problem
    evidence = {"criteria": stated.phrase, "stated_years": stated.years, field: structured}
    if structured is None:
        if isinstance(row.source, str) and not carries(row.source, f"eligibility.{field}"):
            return None
        return ctx.finding(
            f"criteria state a {word} age of {_years_text(stated.years)} "
            f'("{stated.phrase}"); the record has no {word} age',
            **where([row]),
            field=field,
            key="missing",
            evidence=evidence,
        )
    return ctx.finding(
        f"criteria say a {word} age of {_years_text(stated.years)} "
        f'("{stated.phrase}"), the record says {_years_text(structured)}',
        **where([row]),
        field=field,
        key="conflict",
        evidence=evidence,
    )


def _age_findings(
    studies: pd.DataFrame,
    codes: np.ndarray,
    limits: list[Limits | None],
    criteria: list[Criteria],
    ctx: Context,
) -> Iterator[Finding]:
    """Findings for studies whose criteria state an age. Studies sharing criteria and
    structured ages share their problems, which are worked out once."""
    stating = np.array([known is not None for known in limits], dtype=bool)[codes]
    rows = studies.loc[stating, [*KEY_COLUMNS, "min_age_years", "max_age_years"]]
    cases = list(
        zip(
            codes[stating].tolist(),
            rows["min_age_years"].tolist(),
            rows["max_age_years"].tolist(),
            strict=True,
        )
    )
    problems = {
        case: _age_problems(limits[case[0]], value(case[1]), value(case[2]), criteria[case[0]])
        for case in set(cases)
    }
    flagged = [bool(problems[case]) for case in cases]
    flagged_rows = rows[np.array(flagged, dtype=bool)].itertuples(index=False)
    for row, case in zip(flagged_rows, compress(cases, flagged), strict=True):
        for problem in problems[case]:
            if found := _age_finding(problem, row, ctx):
                yield found


def _text_sexes(inclusion: pd.Series) -> list[tuple[str, str] | None]:
    """The one sex each inclusion text states, with the criterion stating it; None when it
    states none, or several."""
    candidates = matches(inclusion, _ANY_SEX, _SEX_WORDS)
    sexes: list[tuple[str, str] | None] = [None] * len(inclusion)
    for position in np.flatnonzero(candidates).tolist():
        stated = stated_sexes(inclusion.iloc[position])
        if len(stated) == 1:
            [sexes[position]] = stated.items()
    return sexes


def _contradicts(sex: Any, stated: tuple[str, str] | None) -> bool:
    """Is ``sex`` a structured sex (ALL, FEMALE or MALE) other than the one criteria state?"""
    return (
        stated is not None
        and isinstance(sex, str)
        and sex in ("ALL", "FEMALE", "MALE")
        and sex != stated[0]
    )


def _sex_findings(
    studies: pd.DataFrame, codes: np.ndarray, sexes: list[tuple[str, str] | None], ctx: Context
) -> Iterator[Finding]:
    """Findings for studies whose sex is not the one their criteria state."""
    record_sexes = zip(studies["sex"].tolist(), codes.tolist(), strict=True)
    flagged = np.array([_contradicts(sex, sexes[code]) for sex, code in record_sexes], dtype=bool)
    rows = studies.loc[flagged, [*KEY_COLUMNS, "sex"]]
    for row, code in zip(rows.itertuples(index=False), codes[flagged].tolist(), strict=True):
        sex, criterion = sexes[code]
        admitted = "both sexes" if sex == "ALL" else f"{sex.lower()} participants only"
        yield ctx.finding(
            f'criteria admit {admitted} ("{criterion[:80]}"), the record says sex {row.sex}',
            **where([row]),
            field="sex",
            key="conflict",
            evidence={"criteria": criterion, "criteria_sex": sex, "sex": row.sex},
        )


@rule("eligibility-conflict", severity="info", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = tables.studies[tables.studies["inclusion"].notna()]
    codes, inclusion, exclusion = _distinct_inclusions(studies)
    limits = _text_limits(inclusion, exclusion)
    yield from _age_findings(studies, codes, limits, _criteria(inclusion, exclusion), ctx)
    yield from _sex_findings(studies, codes, _text_sexes(inclusion), ctx)
