"""Two different trial ids are one trial: registered twice, or in two registries.

What it detects: pairs of trial ids that belong to one trial, linked in one of two ways.

* Declared: a record names the other id as its NCT id or as a secondary id ("Other Study
  ID Numbers"). Only ids in a registry's format link trials (NCT04345991, ChiCTR2000029308,
  EUCTR2020-001246-18, an EudraCT number "2020-001246-18" ...): org study ids such as "1",
  "Pilot" or "001" are shared by unrelated trials and never link.
* Found: the titles differ in no word (case, accents, punctuation, small words such as "a",
  "study", "trial" and spelling variants such as "randomised"/"randomized" aside), the
  titles have at least 4 such words, the sponsors are the same (or one name contains the
  other), and neither record names the other. Across registries any title of one may match
  any title of the other, and a trailing label ("... - SOLIDARITY TRIAL", "(CovidSurg)") is
  ignored. Within one registry both the brief and the official titles must match, labels
  count ("... (US Trial)" is another trial), and two trials that list sites in different
  countries, plan enrollments more than twice apart or start more than 6 months apart are
  taken to be two trials of one title.

Not duplicates: records of one trial id from different sources (see source-conflict); two
trials of one sponsor and team on related questions ("... in Type 2 Diabetes Mellitus" /
"... in Type 2 Diabetic Nephropathy"); and EU CTR's per-country records:
EUCTR2020-001246-18-ES and EUCTR2020-001246-18-FR are one EudraCT trial registered once per
member state, so EU CTR ids are compared by their base number.

Severity: warning when both ids are in one registry (a double registration), or when two
registries hold the trial and neither record names the other; info for a declared
cross-registration (a record names the other id), which is normal but worth knowing: the
two records must be kept consistent.

Why it matters: a trial counted twice inflates trial counts and meta-analyses, and its two
records drift apart (status, results) unless each names the other.

How to fix: for a double registration, ask the registry to close the duplicate. For a
cross-registration, list each id as a secondary id of the other record. If the two really
are different trials (e.g. two parts of a programme with one title), waive the finding with
that reason.

Example: "KCT0005105 and NCT04330586: look like one trial in CRIS and ClinicalTrials.gov, and
neither record names the other (same title, same sponsor)": both titled "A Trial of
Ciclesonide in Adults with Mild COVID-19", sponsored by Korea University Guro Hospital.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import Any

from rapidfuzz.distance import Levenshtein

from audit.findings import Finding
from audit.names import fold
from audit.rules import Context, rule
from audit.rules.common import months_between, to_date, value
from audit.rules.source_conflict import related_org, same_org
from audit.tables import Tables
from audit.validate.registries import is_trial_id, registry_of

#: Titles with fewer content words than this are too generic to link trials.
MIN_WORDS = 4
#: Blocking: each title is filed under its rarest words; only titles sharing one are compared.
BLOCK_WORDS = 3
#: Words filed under more titles than this do not block (they are not rare enough).
MAX_BLOCK = 100

_EUDRACT = re.compile(
    r"^(?:EUCTR|EudraCT(?:\s*(?:N°|No\.?|number))?\s*:?\s*)?"
    r"((?:19|20)\d{2}-\d{6}-\d{2})(?:-[A-Z]{2,3})?$",
    re.IGNORECASE,
)
#: Words that do not tell titles apart.
_STOPWORDS_TEXT = (
    "a an and the of in on for with to by at as or vs versus from its their is are be "
    "study trial clinical s"
)
_STOPWORDS = set(_STOPWORDS_TEXT.split())


def canonical_id(identifier: str) -> str | None:
    """The id that names one trial, or None for ids that are not a registry's: EU CTR ids
    and EudraCT numbers ("2020-001206-35", "EudraCT number: 2020-001206-35") become
    "EUCTR<number>" without the member-state suffix."""
    text = identifier.strip()
    match = _EUDRACT.match(text)
    if match:
        return f"EUCTR{match.group(1)}"
    return text if is_trial_id(text) else None


def registry(canonical: str) -> str:
    return registry_of(canonical) or "unknown registry"


@lru_cache(maxsize=1 << 16)
def title_words(title: str) -> tuple[str, ...]:
    """Lower-case ASCII words; hyphens inside words are dropped ("COVID-19" -> covid19)."""
    return tuple(re.findall(r"[a-z0-9]+", re.sub(r"(?<=\w)-\s?(?=\w)", "", fold(title))))


@lru_cache(maxsize=1 << 16)
def title_variants(title: str) -> tuple[tuple[str, ...], ...]:
    """The title's words, and also without a trailing label of at most three words
    ("... of care - SOLIDARITY TRIAL", "... Cohort Study (CovidSurg)")."""
    match = re.match(r"^(.*\S)\s*(?:\s[-:–]\s*|\()([^-:–()]+)\)?\W*$", title)
    if match and len(title_words(match.group(2))) <= 3:
        return title_words(title), title_words(match.group(1))
    return (title_words(title),)


@lru_cache(maxsize=1 << 16)
def _content(words: tuple[str, ...]) -> Counter[str]:
    return Counter(w for w in words if w not in _STOPWORDS)


def _twins(one: str, other: str) -> bool:
    """Spelling variants of one word: one or two letters apart ("randomised"/"randomized")."""
    return (
        len(one) >= 5
        and one.isalpha()
        and other.isalpha()
        and abs(len(one) - len(other)) <= 1
        and Levenshtein.distance(one, other) <= 2
    )


def _unpaired(left: list[str], right: list[str]) -> list[str]:
    """The words of two lists left after pairing spelling variants."""
    left, right = list(left), list(right)
    for word in list(left):
        twin = next((w for w in right if _twins(word, w)), None)
        if twin is not None:
            left.remove(word)
            right.remove(twin)
    return sorted(left + right)


def title_difference(a: tuple[str, ...], b: tuple[str, ...]) -> list[str] | None:
    """The words that tell two titles apart (spelling variants and little words aside), or
    None when the titles are too short to say anything (fewer than 4 content words)."""
    ca, cb = _content(a), _content(b)
    if min(ca.total(), cb.total()) < MIN_WORDS:
        return None
    left, right = list((ca - cb).elements()), list((cb - ca).elements())
    if len(left) != len(right):  # a word without a spelling twin is left over
        return sorted(left + right)
    return _unpaired(left, right)


@dataclass
class Trial:
    """Every record of one trial id (one canonical id), as the rule needs them."""

    canonical: str
    trial_ids: set[str] = field(default_factory=set)
    record_files: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)  # brief (public) titles
    official_titles: set[str] = field(default_factory=set)  # official (scientific) titles
    sponsors: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    enrollments: set[int] = field(default_factory=set)
    starts: set[date] = field(default_factory=set)
    declared: dict[str, str] = field(default_factory=dict)  # other canonical id -> how


def _trials(tables: Tables) -> dict[str, Trial]:
    trials: dict[str, Trial] = {}
    owner: dict[str, str] = {}
    for row in tables.studies.itertuples(index=False):
        canonical = canonical_id(row.trial_id) if isinstance(row.trial_id, str) else None
        if canonical is None:
            continue
        trial = trials.setdefault(canonical, Trial(canonical))
        owner[row.record_file] = canonical
        trial.trial_ids.add(row.trial_id)
        trial.record_files.add(row.record_file)
        trial.sources.add(row.source)
        trial.titles |= {value(row.title)} - {None}
        trial.official_titles |= {value(row.official_title)} - {None}
        if value(row.sponsor):
            trial.sponsors.add(row.sponsor)
        if value(row.enrollment_count):
            trial.enrollments.add(int(row.enrollment_count))
        if start := to_date(value(row.start_date)):
            trial.starts.add(start)
    sites = tables.sites[tables.sites["country"].notna()]
    for file, country in zip(sites["record_file"], sites["country"], strict=True):
        if file in owner:
            trials[owner[file]].countries.add(
                " ".join(w for w in title_words(country) if w != "the")
            )
    ids = tables.identifiers[tables.identifiers["kind"].isin(("nct_id", "secondary"))]
    for file, kind, identifier in zip(
        ids["record_file"], ids["kind"], ids["identifier"], strict=True
    ):
        other = canonical_id(identifier) if isinstance(identifier, str) else None
        mine = owner.get(file)
        if mine and other and other != mine:
            how = "NCT id" if kind == "nct_id" else "secondary id"
            trials[mine].declared.setdefault(other, f"{mine} lists {identifier} as its {how}")
    return trials


def _candidate_pairs(trials: dict[str, Trial]) -> set[tuple[str, str]]:
    """Pairs of trials whose titles share one of their rarest words (near-linear blocking)."""
    words = {
        c: {
            w
            for t in trial.titles | trial.official_titles
            for w in title_words(t)
            if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()
        }
        for c, trial in trials.items()
    }
    frequency = Counter(w for found in words.values() for w in found)
    blocks: dict[str, list[str]] = {}
    for canonical, found in words.items():
        for word in sorted(found, key=lambda w: (frequency[w], w))[:BLOCK_WORDS]:
            blocks.setdefault(word, []).append(canonical)
    pairs = set()
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            pairs |= {(a, b) if a < b else (b, a) for a, b in combinations(members, 2)}
    return pairs


def _alike(ta: str, tb: str, labels: bool) -> bool:
    variants = title_variants if labels else lambda t: (title_words(t),)
    return any(title_difference(wa, wb) == [] for wa in variants(ta) for wb in variants(tb))


def _title_match(a: Trial, b: Trial, same_registry: bool) -> tuple[str, str] | None:
    """Two titles, one of each trial, that differ in no content word.

    Within one registry a double registration copies its titles, so every kind of title both
    state (brief, official) must match and trailing labels count ("... (US Trial)" is another
    trial). Across registries titles are written differently: any two may match, and a
    trailing acronym label is ignored.
    """
    kinds = [(a.titles, b.titles), (a.official_titles, b.official_titles)]
    if not same_registry:
        every = a.titles | a.official_titles, b.titles | b.official_titles
        return next(
            (
                (x, y)
                for x in sorted(every[0])
                for y in sorted(every[1])
                if _alike(x, y, labels=True)
            ),
            None,
        )
    found = None
    for mine, theirs in kinds:
        if not mine or not theirs:
            continue
        pair = next(
            ((x, y) for x in sorted(mine) for y in sorted(theirs) if _alike(x, y, labels=False)),
            None,
        )
        if pair is None:
            return None
        found = found or pair
    return found


def _same_sponsor(a: Trial, b: Trial) -> bool:
    return any(same_org(x, y) or related_org(x, y) for x in a.sponsors for y in b.sponsors)


def _distinct(a: Trial, b: Trial) -> str | None:
    """Why two trials of one title in one registry are evidently two trials, if they are:
    sites in different countries (a US and an ex-US study), planned sizes more than twice
    apart (a pilot and its main trial), or starts more than 6 months apart (a follow-up).
    Only used within one registry: registries name countries differently, a national
    registry lists only its own country, and dates and sizes differ between registries."""
    if a.countries and b.countries and not a.countries & b.countries:
        return "sites in different countries"
    if (
        a.enrollments
        and b.enrollments
        and all(max(x, y) > 2 * min(x, y) for x in a.enrollments for y in b.enrollments)
    ):
        return "enrollments more than twice apart"
    if (
        a.starts
        and b.starts
        and all(abs(months_between(x, y)) > 6 for x in a.starts for y in b.starts)
    ):
        return "start dates more than 6 months apart"
    return None


def _finding(
    ctx: Context, a: Trial, b: Trial, how: str, declared: bool, extra: dict[str, Any]
) -> Finding:
    ra, rb = registry(a.canonical), registry(b.canonical)
    same_registry = ra == rb
    if same_registry:
        what = (
            f"registered twice in {ra}"
            if declared
            else (f"look like one trial registered twice in {ra}")
        )
    elif declared:
        what = f"one trial cross-registered in {ra} and {rb}"
    else:
        what = f"look like one trial in {ra} and {rb}, and neither record names the other"
    return ctx.finding(
        f"{a.canonical} and {b.canonical}: {what} ({how})",
        severity="info" if declared and not same_registry else "warning",
        trial_ids=sorted(a.trial_ids | b.trial_ids),
        record_files=sorted(a.record_files | b.record_files),
        sources=sorted(a.sources | b.sources),
        field="trial_id",
        key="declared" if declared else "title",
        evidence={
            "ids": [a.canonical, b.canonical],
            "registries": [ra, rb],
            "link": how,
            "titles": {t.canonical: sorted(t.titles) for t in (a, b)},
            "official_titles": {t.canonical: sorted(t.official_titles) for t in (a, b)},
            "sponsors": {a.canonical: sorted(a.sponsors), b.canonical: sorted(b.sponsors)},
        }
        | extra,
    )


@rule("duplicate-registration", severity="warning", scope="corpus")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    trials = _trials(tables)
    linked: set[tuple[str, str]] = set()
    for canonical in sorted(trials):
        trial = trials[canonical]
        for other, how in sorted(trial.declared.items()):
            pair = (min(canonical, other), max(canonical, other))
            if other not in trials or pair in linked:
                continue
            linked.add(pair)
            reverse = trials[other].declared.get(canonical)
            a, b = trials[pair[0]], trials[pair[1]]
            yield _finding(ctx, a, b, "; ".join(filter(None, (how, reverse))), True, {})
    for pair in sorted(_candidate_pairs(trials) - linked):
        a, b = trials[pair[0]], trials[pair[1]]
        same_registry = registry(a.canonical) == registry(b.canonical)
        match = _title_match(a, b, same_registry)
        if match is None or not _same_sponsor(a, b) or (same_registry and _distinct(a, b)):
            continue
        yield _finding(
            ctx, a, b, "same title, same sponsor", False, {"matched_titles": list(match)}
        )
