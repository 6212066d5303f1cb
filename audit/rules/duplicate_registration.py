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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import Levenshtein

from audit.dates import months_between, to_date
from audit.findings import Finding
from audit.frames import cells, each_distinct, strings
from audit.names import fold
from audit.orgs import related_org, same_org
from audit.registries import is_trial_id, registry_of
from audit.rules import Context, rule
from audit.tables import Tables

#: Titles with fewer content words than this are too generic to link trials.
MIN_WORDS = 4
#: Blocking: each title is filed under its rarest words; only titles sharing one are compared.
BLOCK_WORDS = 3
#: Words filed under more titles than this do not block (they are not rare enough).
MAX_BLOCK = 100

_EUDRACT = re.compile(
    r"^(?:EUCTR|EudraCT(?:\s*(?:N°|No\.?|number))?\s*:?\s*)?"
    r"((?:19|20)\d{2}-\d{6}-\d{2})(?:-(?:[A-Z]{2,3}|3RD))?$",
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


@lru_cache(maxsize=1 << 16)
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


def _records(tables: Tables) -> pd.DataFrame:
    """The studies rows whose trial id is a registry's, with their ``canonical`` id (records
    without a source are left to the schema layer, which reports them)."""
    studies = tables.studies[tables.studies["source"].notna()]
    canonical = pd.Series(
        each_distinct(studies["trial_id"], canonical_id, None), index=studies.index, dtype=object
    )
    return studies[canonical.notna()].assign(canonical=canonical[canonical.notna()])


def _declared(tables: Tables, records: pd.DataFrame) -> dict[str, dict[str, str]]:
    """For each trial, the other trials its records name (by NCT id or secondary id): other
    canonical id -> how, the first naming kept."""
    owners = records.drop_duplicates("record_file", keep="last").set_index("record_file")
    ids = tables.identifiers[tables.identifiers["kind"].isin(("nct_id", "secondary"))]
    ids = ids.assign(
        mine=ids["record_file"].map(owners["canonical"]).astype(object),
        other=pd.Series(
            each_distinct(ids["identifier"], canonical_id, None), index=ids.index, dtype=object
        ),
    )
    ids = ids[ids["mine"].notna() & ids["other"].notna() & (ids["mine"] != ids["other"])]
    declared: dict[str, dict[str, str]] = {}
    for mine, other, kind, identifier in zip(
        ids["mine"], ids["other"], cells(ids["kind"]), cells(ids["identifier"]), strict=True
    ):
        how = "NCT id" if kind == "nct_id" else "secondary id"
        declared.setdefault(mine, {}).setdefault(other, f"{mine} lists {identifier} as its {how}")
    return declared


def _trials(
    tables: Tables, wanted: set[str] | None = None, records: pd.DataFrame | None = None
) -> dict[str, Trial]:
    """Every trial, or only the ``wanted`` ones, each from all its records (``_records``, given
    or read from the tables) and their sites."""
    trials: dict[str, Trial] = {}
    owner: dict[str, str] = {}
    rows = _records(tables) if records is None else records
    if wanted is not None:
        rows = rows[rows["canonical"].isin(wanted)]
    columns = ("canonical", "trial_id", "record_file", "source", "title", "official_title")
    more = ("sponsor", "enrollment_count", "start_date")
    for canonical, trial_id, file, source, title, official, sponsor, count, start in zip(
        *(cells(rows[c]) for c in (*columns, *more)), strict=True
    ):
        trial = trials.setdefault(canonical, Trial(canonical))
        owner[file] = canonical
        trial.trial_ids.add(trial_id)
        trial.record_files.add(file)
        trial.sources.add(source)
        trial.titles |= {title} - {None}
        trial.official_titles |= {official} - {None}
        if sponsor:
            trial.sponsors.add(sponsor)
        if count:
            trial.enrollments.add(int(count))
        if start_date := to_date(start):
            trial.starts.add(start_date)
    sites = tables.sites[tables.sites["country"].notna() & tables.sites["record_file"].isin(owner)]
    for file, country in zip(cells(sites["record_file"]), cells(sites["country"]), strict=True):
        trials[owner[file]].countries.add(" ".join(w for w in title_words(country) if w != "the"))
    return trials


#: title_words' hyphen inside a word, ``(?<=\w)-\s?(?=\w)``, for ASCII text in RE2 (no lookaround).
_ASCII_HYPHEN = r"([0-9A-Za-z_])-[\t\n\x0b\x0c\r\x1c-\x1f ]?([0-9A-Za-z_])"


def _blocking_words(title: str) -> list[str]:
    """The title's words that may block: not short, not a stop word, not a number."""
    return [w for w in title_words(title) if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()]


def _title_words_in_bulk(titles: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Every blocking word of every title: the title's position and the word.

    ASCII titles are split in bulk with the same result as ``title_words`` (lower case; a
    hyphen between word characters dropped, repeatedly since RE2 cannot look around; runs of
    letters and digits), other titles one by one."""
    texts = strings(titles)
    ascii_only = pc.string_is_ascii(texts).to_numpy(zero_copy_only=False)
    text = pc.ascii_lower(texts.filter(ascii_only))
    while not (joined := pc.replace_substring_regex(text, _ASCII_HYPHEN, r"\1\2")).equals(text):
        text = joined
    split = pc.split_pattern_regex(text, r"[^a-z0-9]+")
    words = pc.list_flatten(split)
    stopword = pc.is_in(words, pa.array(sorted(_STOPWORDS)))
    number = pc.ascii_is_decimal(words)
    keep = pc.and_(pc.greater(pc.utf8_length(words), 2), pc.invert(pc.or_(stopword, number)))
    positions = np.flatnonzero(ascii_only)[pc.list_parent_indices(split).to_numpy()]
    others = [(i, w) for i in np.flatnonzero(~ascii_only) for w in _blocking_words(titles.iloc[i])]
    return (
        np.concatenate(
            [positions[keep.to_numpy(zero_copy_only=False)], np.array([i for i, _ in others], int)]
        ),
        pa.concat_arrays([words.filter(keep), pa.array([w for _, w in others], pa.string())]),
    )


def _record_titles(records: pd.DataFrame) -> pd.DataFrame:
    """Every title (brief or official) of the records: ``canonical`` and ``title``."""
    titled = pd.concat(
        [
            records[["canonical", column]].set_axis(["canonical", "title"], axis=1)
            for column in ("title", "official_title")
        ]
    )
    return titled[titled["title"].notna()]


def _candidate_pairs(trials: dict[str, Trial]) -> set[tuple[str, str]]:
    """``_title_pairs`` of the trials' titles."""
    titled = [(c, t) for c, trial in trials.items() for t in trial.titles | trial.official_titles]
    return _title_pairs(pd.DataFrame(titled, columns=["canonical", "title"]))


def _title_pairs(titled: pd.DataFrame) -> set[tuple[str, str]]:
    """Pairs of trials (``canonical``) whose titles (``title``) share one of their rarest words
    (near-linear blocking). Trials and words are numbered in sort order, so the numbers sort
    and compare as the texts do."""
    trial, trial_ids = pd.factorize(titled["canonical"], sort=True)
    title, titles = pd.factorize(titled["title"])
    position, words = _title_words_in_bulk(pd.Series(titles))
    word, _ = pd.factorize(words.to_pandas(types_mapper=pd.ArrowDtype), sort=True)
    words_of = pd.DataFrame({"title": position, "word": word})
    found = (
        pd.DataFrame({"trial": trial, "title": title})
        .merge(words_of, on="title")[["trial", "word"]]
        .drop_duplicates()
    )
    found["frequency"] = np.bincount(found["word"])[found["word"]]
    rarest = found.sort_values(["trial", "frequency", "word"]).groupby("trial").head(BLOCK_WORDS)
    size = np.bincount(rarest["word"])[rarest["word"]]
    blocks = rarest[(size > 1) & (size <= MAX_BLOCK)][["word", "trial"]]
    pairs = blocks.merge(blocks, on="word")
    pairs = pairs[pairs["trial_x"] < pairs["trial_y"]]
    trial_ids = trial_ids.tolist()
    return {
        (trial_ids[a], trial_ids[b])
        for a, b in zip(pairs["trial_x"], pairs["trial_y"], strict=True)
    }


def _alike(ta: str, tb: str, labels: bool) -> bool:
    variants = title_variants if labels else lambda t: (title_words(t),)
    return any(_same_words(wa, wb) for wa in variants(ta) for wb in variants(tb))


def _same_words(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """``title_difference(a, b) == []``, after the quick test it needs: as many content words
    in both (a word left over has no spelling twin)."""
    return _content(a).total() == _content(b).total() and title_difference(a, b) == []


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
    records = _records(tables)
    known = set(records["canonical"])
    declared = _declared(tables, records)
    candidates = _title_pairs(_record_titles(records))
    wanted = {c for mine, others in declared.items() for c in (mine, *others)} & known
    trials = _trials(tables, wanted | {c for pair in candidates for c in pair}, records)
    linked: set[tuple[str, str]] = set()
    for canonical in sorted(declared):
        for other, how in sorted(declared[canonical].items()):
            pair = (min(canonical, other), max(canonical, other))
            if other not in known or pair in linked:
                continue
            linked.add(pair)
            reverse = declared.get(other, {}).get(canonical)
            a, b = trials[pair[0]], trials[pair[1]]
            yield _finding(ctx, a, b, "; ".join(filter(None, (how, reverse))), True, {})
    for pair in sorted(candidates - linked):
        a, b = trials[pair[0]], trials[pair[1]]
        same_registry = registry(a.canonical) == registry(b.canonical)
        match = _title_match(a, b, same_registry)
        if match is None or not _same_sponsor(a, b) or (same_registry and _distinct(a, b)):
            continue
        yield _finding(
            ctx, a, b, "same title, same sponsor", False, {"matched_titles": list(match)}
        )
