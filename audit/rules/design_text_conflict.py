"""The title or description says one design, the structured masking or allocation another.

What it detects (one finding per kind of conflict and record):

* ``masking-text``: the titles or descriptions name a masking level ("open-label",
  "unblinded", "single-blind", "double-blind", "double-masked", "triple-blind",
  "quadruple-blind") and the structured masking is none of the levels they name. A blinded
  level agrees with a structured masking of at least as many roles: the structured level
  counts every masked role (participant, care provider, investigator, outcomes assessor),
  while titles use the design's usual name, so "double-blind" on TRIPLE or QUADRUPLE is not
  reported (both are right; there is nothing to correct). A text naming two levels
  ("double-blind period followed by an open-label extension") conflicts only with a masking
  that agrees with neither.
* ``allocation-text``: the text says "randomized"/"randomised" and the allocation is
  NON_RANDOMIZED, or it says "non-randomized" ("nonrandomised", "quasi-randomized") and the
  allocation is RANDOMIZED. "Not randomized" counts as non-randomized.
* ``masked-roles``: the masking level does not match the number of masked roles (DOUBLE
  names two of participant, care provider, investigator, outcomes assessor; SINGLE one;
  NONE none). Only judged when the record lists masked roles.
* ``placebo-open``: an arm is a placebo comparator (by type, or "placebo" in its label) but
  the masking is NONE (open label). Records whose text says "open-label placebo" are left
  alone: that is a real design.

Mentions that do not state this study's design are ignored: other studies ("randomized
controlled trials have shown", "compared with a previous double-blind trial", "patients who
completed the double-blind study"), negations ("has never been studied in a double-blind
trial"), a later or partial phase ("followed by an open-label extension", "open-label
period", "may receive active drug on an open-label basis"), a treatment given openly
("patients are offered open-label drug X" as rescue, "all patients then receive open-label
peptide T", "patients remain on open-label azithromycin" after the blinded step), an open-
label part "followed by" a blinded one, earlier evidence told in the same sentence ("NAC had
been safely used ... in a prospective randomized trial"), a named trial ("the SPIRIT III
Randomized Control Trial"), a part an amendment added ("Per 07/28/92 amendment, 18
volunteers will receive gp160 in an unblinded study") and events ("participants are unblinded
at week 12", "sponsor unblinded"). A record with an arm labelled open-label has an
open-label part, which its texts may name: their "open-label" is not judged. "Open-label"
with only the outcomes assessor masked (masking SINGLE) is the usual PROBE design and is not
reported.

Why it matters: masking and allocation decide how a trial's evidence is graded; a record that
contradicts itself is graded wrong by whichever part a reader or a pipeline trusts.

How to fix: read the protocol section of the registry entry and correct whichever is wrong,
the structured masking/allocation/roles or the sentence. If the text describes a different
phase of the study, waive the finding with that reason.

Example: a summary saying "a randomized, double-blind, placebo-controlled trial" on a record
with masking SINGLE -> 'text says "double-blind" (brief_summary) but masking is SINGLE'; with
masking TRIPLE (NCT04441658) it is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from audit.findings import Finding
from audit.frames import contains_any, where
from audit.rules import Context, rule
from audit.tables import Tables

TEXT_FIELDS = ("title", "official_title", "brief_summary", "detailed_description")

_BLIND = r"[\s-]*(?:blind(?:ed)?|mask(?:ed|ing)?)\b"
MASKING_PATTERNS = {
    "NONE": r"\bopen[\s-]*label(?:l?ed)?\b|\b(?:un|non)[\s-]?(?:blind(?:ed)?|masked)\b",
    "SINGLE": rf"\bsingle{_BLIND}",
    "DOUBLE": rf"\bdouble{_BLIND}",
    "TRIPLE": rf"\btriple{_BLIND}",
    "QUADRUPLE": rf"\bquadruple{_BLIND}",
}
_NEGATED_RANDOM = r"(?:non|not|quasi|pseudo)[\s-]*(?:(?:be|been)\s+)?|un"
_RANDOM = re.compile(rf"\b({_NEGATED_RANDOM})?randomi[sz]ed\b", re.IGNORECASE)
_MASKING = re.compile(
    "|".join(f"(?P<{level}>{p})" for level, p in MASKING_PATTERNS.items()), re.IGNORECASE
)
ALLOCATION_PATTERNS = {  # without groups, for pandas' filter
    "RANDOMIZED": r"randomi[sz]ed",
    "NON_RANDOMIZED": rf"\b(?:{_NEGATED_RANDOM})randomi[sz]ed",
}
#: Every masking, allocation and placebo pattern contains one of these words.
_LITERALS = ("blind", "mask", "label", "randomi", "placebo")
_OPEN_PLACEBO = re.compile(r"\bopen[\s-]*label(?:l?ed)?\s+placebo", re.IGNORECASE)
ROLES_PER_LEVEL = {"NONE": 0, "SINGLE": 1, "DOUBLE": 2, "TRIPLE": 3, "QUADRUPLE": 4}

# Mentions that do not state this study's design, by what comes before or after them in
# the same sentence. Other studies: "the previous double-blind study", "randomized trials
# have shown", "an open-label trial has demonstrated"; negations: "has never been studied in
# a double-blind trial"; a later or partial phase: "followed by an open-label extension".
_WORDS_BEFORE = r"\b(?:\W+[\w-]+){0,4}?\W*$"
_OTHER_STUDY_BEFORE = re.compile(
    r"\b(?:previous(?:ly)?|prior|earlier|parent|preceding|original|completed?|feeder|"
    r"subsequent(?:ly)?|future|upcoming|larger|definitive|not|never|no|without|into|"
    r"followed\s+by|proceed(?:s|ed)?\s+with)" + _WORDS_BEFORE,
    re.IGNORECASE,
)
_OTHER_STUDY_AFTER = re.compile(
    r"[^\w.;]*(?:[\w-]+[^\w.;]+){0,3}?(?:trials|studies|RCTs)\b"
    r"|[^.;]*?\b(?:(?:has|have)\s+(?:been\s+)?(?:shown|demonstrated|proven|reported|found)|"
    r"showed|demonstrated|revealed)\b",
    re.IGNORECASE,
)
_PHASE_AFTER = re.compile(
    r"[^\w.;]*(?:[\w-]+[^\w.;]+){0,3}?(?:extension|period|part|portion|stage|follow[\s-]?up|run-in|basis|"
    r"lead-in|phase(?!\s*(?:[0-4]|I{1,3}|IV|[0-4]?[ab])\b))\b",
    re.IGNORECASE,
)
# "An Open Label Dose Escalation Phase 1 Trial Followed by a Randomized, Double-blind ...":
# an open-label first part.
_FOLLOWED_AFTER = re.compile(r"[^.;]*?\bfollowed\s+by\b", re.IGNORECASE)
# "participants are unblinded after ...", "(sponsor unblinded)": an event or one role.
_UNBLINDED_BEFORE = re.compile(
    r"(?:\b(?:is|are|was|were|be|been|being|remains?|get|got)|sponsor|party|statisticians?|"
    r"pharmacists?|staff|team)\W*$",
    re.IGNORECASE,
)


# "patients may receive open-label drug X", "are offered open-label ABC", "will proceed as
# open-label AZT", "remain on open-label azithromycin": a treatment given openly (rescue,
# after the blinded phase, to a subgroup).
_RECEIVES_BEFORE = re.compile(
    r"\b(?:receives?|received|receiving|given|offered|proceed(?:s|ed)?\s+(?:as|to|with)|"
    r"switch(?:es|ed)?\s+to|cross(?:es|ed)?\s+over\s+to|remain(?:s|ed|ing)?\s+on|"
    r"continue(?:s|d)?\s+on|initiat(?:e|es|ed|ing))\b(?:\W+[\w-]+){0,5}?\W*$",
    re.IGNORECASE,
)
# "... receive drug X in an open-label fashion": the study's design after all.
_DESIGN_AFTER = re.compile(
    r"[^\w.;]*(?:[\w-]+[^\w.;]+){0,2}?(?:fashion|manner|design|study|trial|setting)\b",
    re.IGNORECASE,
)


# Earlier evidence told in the same sentence: "NAC had been safely used in ... patients in a
# prospective randomized trial"; a named trial: "in the SPIRIT III Randomized Control Trial".
_EVIDENCE_BEFORE = re.compile(
    r"\b(?:has|have|had)\s+(?:now\s+|already\s+)?been\s+(?:\w+ly\s+)?(?:found|shown|"
    r"demonstrated|reported|proven|used|tested|studied|evaluated|investigated)\b",
    re.IGNORECASE,
)
_NAMED_TRIAL_BEFORE = re.compile(r"\b[A-Z][A-Z0-9-]{2,}[\s-]+(?:I{1,3}|IV|V|\d{1,2})\s*$")
# "Per 07/28/92 amendment, 18 volunteers will receive gp160 in an unblinded study": a cohort
# or step an amendment added, not the study's design.
_AMENDMENT_BEFORE = re.compile(r"\bamend(?:ment|ed)\b", re.IGNORECASE)


def _states_design(text: str, start: int, end: int, masking: str | None = None) -> bool:
    """Does the mention at text[start:end] state this study's own design?"""
    sentence_start = max(text.rfind(".", 0, start), text.rfind(";", 0, start)) + 1
    before = text[sentence_start:start]
    if _OTHER_STUDY_BEFORE.search(before) or _OTHER_STUDY_AFTER.match(text, end):
        return False
    if _EVIDENCE_BEFORE.search(before) or _NAMED_TRIAL_BEFORE.search(before):
        return False
    if _AMENDMENT_BEFORE.search(before):
        return False
    if masking is None:
        return True
    if _PHASE_AFTER.match(text, end) or (masking == "NONE" and _FOLLOWED_AFTER.match(text, end)):
        return False
    if masking == "NONE" and _RECEIVES_BEFORE.search(before) and not _DESIGN_AFTER.match(text, end):
        return False
    unblinded = masking == "NONE" and not text[start:end].lower().startswith("open")
    return not (unblinded and _UNBLINDED_BEFORE.search(before))


def _snippet(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 60) : end + 60].split())


def stated_masking(texts: dict[str, str]) -> dict[str, dict[str, str]]:
    """Masking level -> first mention (phrase, field, snippet) in the record's texts."""
    found: dict[str, dict[str, str]] = {}
    for field, text in texts.items():
        for match in _MASKING.finditer(text):
            level = match.lastgroup
            if level not in found and _states_design(text, *match.span(), masking=level):
                found[level] = {
                    "phrase": match.group(0),
                    "field": field,
                    "snippet": _snippet(text, *match.span()),
                }
    return found


def stated_allocation(texts: dict[str, str]) -> dict[str, dict[str, str]]:
    """RANDOMIZED / NON_RANDOMIZED -> first mention in the record's texts."""
    found: dict[str, dict[str, str]] = {}
    for field, text in texts.items():
        for match in _RANDOM.finditer(text):
            allocation = "NON_RANDOMIZED" if match.group(1) else "RANDOMIZED"
            if allocation not in found and _states_design(text, *match.span()):
                found[allocation] = {
                    "phrase": match.group(0),
                    "field": field,
                    "snippet": _snippet(text, *match.span()),
                }
    return found


def _texts(row: object) -> dict[str, str]:
    return {f: getattr(row, f) for f in TEXT_FIELDS if isinstance(getattr(row, f), str)}


def _mentions(studies: pd.DataFrame, pattern: str) -> pd.Series:
    """Rows whose text fields match ``pattern`` anywhere (a cheap filter before parsing).
    Every pattern here needs one of ``_LITERALS``, so only texts holding one are searched."""
    hit = pd.Series(False, index=studies.index)
    for field in TEXT_FIELDS:
        texts = studies[field][contains_any(studies[field], _LITERALS)]
        found = texts.str.contains(pattern, case=False, regex=True).fillna(False)
        hit[found.index[found.to_numpy(dtype=bool)]] = True
    return hit


def _consistent_maskings(stated: dict[str, dict[str, str]], who_masked: object) -> set[str]:
    """The structured maskings the text agrees with: each level it names, and above a blinded
    level every level masking more roles ("double-blind" on QUADRUPLE). "Open-label" with only
    the outcomes assessor masked is the usual PROBE design (open label, blinded end-point)."""
    levels = set(stated)
    order = list(ROLES_PER_LEVEL)
    blinded = [order.index(level) for level in levels if level != "NONE"]
    if blinded:
        levels.update(order[min(blinded) :])
    if "NONE" in levels and str(who_masked) == "OUTCOMES_ASSESSOR":
        levels.add("SINGLE")
    return levels


def _may_contradict(studies: pd.DataFrame, column: str, patterns: dict[str, str]) -> pd.Series:
    """Rows whose texts mention some value other than their structured one: only these can
    conflict, so only these are parsed (a vectorized filter for large corpora)."""
    hit = pd.Series(False, index=studies.index)
    mentioned = studies[_mentions(studies, "|".join(patterns.values()))]
    for value, pattern in patterns.items():
        other = mentioned[mentioned[column].ne(value).fillna(True).astype(bool)]
        hit[other.index[_mentions(other, pattern)]] = True
    return hit


def _open_label_parts(arms: pd.DataFrame) -> set[str]:
    """Record files with an arm labelled open-label ("Phase II Open Label Active TMS"): the
    study has an open-label part, which its texts may name beside the blinded one."""
    labels = arms["label"].fillna("")
    return set(arms.loc[labels.str.contains(MASKING_PATTERNS["NONE"], case=False), "record_file"])


def _text_conflicts(
    studies: pd.DataFrame, ctx: Context, open_parts: set[str] = frozenset()
) -> Iterator[Finding]:
    masked = studies[studies["masking"].isin(list(ROLES_PER_LEVEL))]
    masked = masked[_may_contradict(masked, "masking", MASKING_PATTERNS)]
    for row in masked.itertuples(index=False):
        stated = stated_masking(_texts(row))
        if row.record_file in open_parts:
            stated.pop("NONE", None)
        if stated and row.masking not in _consistent_maskings(stated, row.who_masked):
            yield _conflict(ctx, row, "masking", stated, "masking-text")

    allocated = studies[studies["allocation"].isin(list(ALLOCATION_PATTERNS))]
    allocated = allocated[_may_contradict(allocated, "allocation", ALLOCATION_PATTERNS)]
    for row in allocated.itertuples(index=False):
        stated = stated_allocation(_texts(row))
        if stated and row.allocation not in stated:
            yield _conflict(ctx, row, "allocation", stated, "allocation-text")


def _conflict(
    ctx: Context,
    row: object,
    field: str,
    stated: dict[str, dict[str, str]],
    key: str,
) -> Finding:
    structured = getattr(row, field)
    phrases = ", ".join(f'"{m["phrase"]}" ({m["field"]})' for m in stated.values())
    return ctx.finding(
        f"text says {phrases} but {field} is {structured}",
        **where([row]),
        field=field,
        key=key,
        evidence={field: structured, "text": list(stated.values())},
    )


def _role_conflicts(studies: pd.DataFrame, ctx: Context) -> Iterator[Finding]:
    roles = (
        studies["who_masked"]
        .fillna("")
        .map(lambda text: sorted(set(filter(None, text.split("|")))))
    )
    counts = roles.map(len)
    expected = studies["masking"].map(ROLES_PER_LEVEL)
    wrong = (counts > 0) & expected.notna() & (counts != expected)
    for row, named in zip(studies[wrong].itertuples(index=False), roles[wrong], strict=True):
        yield ctx.finding(
            f"masking is {row.masking} but {len(named)} roles are masked ({', '.join(named)})",
            **where([row]),
            field="who_masked",
            key="masked-roles",
            evidence={"masking": row.masking, "who_masked": named},
        )


def _placebo_conflicts(tables: Tables, ctx: Context) -> Iterator[Finding]:
    arms = tables.arms
    arm_text = arms["label"].fillna("") + " " + arms["description"].fillna("")
    placebo = arms[
        (
            (arms["type"] == "PLACEBO_COMPARATOR")
            | arms["label"].str.contains("placebo", case=False).fillna(False)
        )
        & ~arm_text.str.contains(_OPEN_PLACEBO.pattern, case=False, regex=True)
    ]
    studies = tables.studies[
        (tables.studies["masking"] == "NONE")
        & tables.studies["record_file"].isin(placebo["record_file"])
    ]
    studies = studies[~_mentions(studies, _OPEN_PLACEBO.pattern)]
    labels = placebo.groupby("record_file")["label"].agg(lambda s: sorted(s.dropna()))
    for row in studies.itertuples(index=False):
        yield ctx.finding(
            f"placebo arm ({', '.join(labels[row.record_file])}) but masking is NONE",
            **where([row]),
            field="masking",
            key="placebo-open",
            evidence={"masking": row.masking, "placebo_arms": labels[row.record_file]},
        )


@rule("design-text-conflict", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from _text_conflicts(tables.studies, ctx, _open_label_parts(tables.arms))
    yield from _role_conflicts(tables.studies, ctx)
    yield from _placebo_conflicts(tables, ctx)
