"""Two or more trial ids are one trial: registered twice, or in several registries.

What it detects (one finding per trial, however many ids it has): trial ids that belong to
one trial, linked in one of two ways.

* Declared: a record names the other id as its NCT id or as a secondary id ("Other Study
  ID Numbers"). Only ids in a registry's format link trials (NCT04345991, ChiCTR2000029308,
  EUCTR2020-001246-18, an EudraCT number "2020-001246-18" ...): org study ids such as "1",
  "Pilot" or "001" are shared by unrelated trials and never link.
* Found, by record linkage: the two trials' records are compared field by field, and each
  field adds or takes away a weight (its log-likelihood ratio, Fellegi-Sunter style, set as
  the README's "Evaluation" says): titles (any brief or official title of one against any
  of the other: the same words, else how alike their words are), an acronym both titles
  mark ("the COVID STEROID trial", "- SOLIDARITY"), sponsors (spelling, acronyms, one name
  inside the other or a collaborator of the other allowed), people (officials and contacts,
  names without titles, degrees or word order), planned enrollment, start dates, site
  countries and intervention names. The pair is linked when its titles are at least 65%
  alike (or share an acronym) and the weights add up to 7 or more; the finding's evidence
  gives every field's level, similarity and weight, and the message the agreeing ones.
  Titles in two registries that have the same words and mark the same trial name (not a
  product's) link whatever else differs: a national arm copies its international
  protocol's title. Within one registry a double registration copies its text, so there both
  the brief and the official titles must have the same words and labels count ("... (US
  Trial)" is another trial), and two trials listing sites in different countries, planning
  enrollments more than twice apart, starting more than 6 months apart or giving protocol
  numbers of one series and none in common ("048A" and "048B") are two trials of one title.

Ids linked directly or through others are one trial, reported in one finding that lists
every link: a national arm of an international trial (the Indian, Lebanese and EU
registrations of WHO's SOLIDARITY trial) is reported with the trial. Two ids of one
registry that are evidently two trials (as above) are never put in one: a record that looks
like both a pilot and its main trial joins the likelier. EU CTR's per-country records are
one trial: EUCTR2020-001246-18-ES and EUCTR2020-001246-18-FR are one EudraCT trial
registered once per member state, so EU CTR ids are compared by their base number.

Candidate pairs come from exact blocking keys, so the rule never compares all pairs and
needs no word counts of the whole corpus: MinHash bands of each title's distinctive words,
the acronyms its titles mark, and the sponsor with the planned enrollment and start month.
Keys shared by more than ``MAX_BLOCK`` trials are too common to compare, and a candidate
pair must share a fifth of its distinctive title words.

Not duplicates: records of one trial id from different sources (see source-conflict); two
trials of one sponsor and team on related questions ("... in Type 2 Diabetes Mellitus" /
"... in Type 2 Diabetic Nephropathy"); two trials of one drug by other sponsors; sister
trials of one sponsor that differ in population or product; parts of one programme
registered under its title with their own protocol numbers (AVEG 003A and AVEG 003B).

Severity: warning when two ids are in one registry (a double registration), or when a link
was found that no record names; info when every link is declared and the ids are in
different registries, which is normal but worth knowing: the records must be kept
consistent.

Why it matters: a trial counted twice inflates trial counts and meta-analyses, and its
records drift apart (status, results) unless each names the others.

How to fix: for a double registration, ask the registry to close the duplicate. For a
cross-registration, list each id as a secondary id of the other records. If the ids really
are different trials (e.g. two parts of a programme with one title), waive the finding with
that reason.

Example: "EUCTR2020-001395-15 and NCT04348305: look like one trial in ClinicalTrials.gov and
EU CTR, and neither record names the other (score 14: titles 90% alike, acronym STEROID,
enrollment 1000 in both, starts 11 days apart, countries Denmark, interventions chloride,
hydrocortisone, sodium)" in the ICTRP export of 2020-07-07: "Low dose hydrocortisone in
patients with COVID-19 and severe hypoxia – the COVID STEROID trial", sponsored by the
"Deparment of Intensive Care, Rigshospitalet" in EU CTR and by the "Scandinavian Critical Care
Trials Group" in ClinicalTrials.gov (other sponsors weigh -3). In the same export WHO's
SOLIDARITY is one finding: its ISRCTN, CTRI and LBCTR registrations and the German and Czech
EU CTR arms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from audit.dates import months_between, to_date
from audit.findings import Finding
from audit.frames import cells, each_distinct, strings
from audit.names import fold, name_key, not_a_person, word_set
from audit.orgs import org_tokens, related_org, same_org
from audit.registries import is_trial_id, registry_of
from audit.rules import Context, Delta, Linkage, rule
from audit.tables import Tables, among, only_rows

#: Titles with fewer content words than this are too generic to link trials on their own.
MIN_WORDS = 4
#: A found pair is linked when its field weights add up to this.
THRESHOLD = 7.0
#: Titles must be at least this alike (or share an acronym) for a pair to be linked.
TITLE_GATE = 0.65
#: Title blocking: MinHash of each title's distinctive words, BANDS keys of ROWS hashes each,
#: so titles sharing half their distinctive words share a key with probability ~0.95.
BANDS, ROWS = 10, 2
#: Blocks of more trials than this are not compared (their key is too common to tell).
MAX_BLOCK = 50
#: Candidate pairs share at least this share of their distinctive title words (Jaccard).
MIN_SHARED = 0.2

_EUDRACT = re.compile(
    r"^(?:EUCTR|EudraCT(?:\s*(?:N°|No\.?|number))?\s*:?\s*)?"
    r"((?:19|20)\d{2}-\d{6}-\d{2})(?:-(?:[A-Z]{2,3}|3RD))?$",
    re.IGNORECASE,
)
#: Words that do not tell titles apart.
_STOPWORDS = word_set(
    "a an and the of in on for with to by at as or vs versus from its their is are be "
    "study trial clinical s"
)
#: Words of trial design and framing, common to titles of every subject: they never block.
_GENERIC = word_set(
    "patients patient phase treatment treating treated randomized randomised randomly safety "
    "efficacy effect effects effectiveness evaluate evaluation evaluating assess assessment "
    "therapy therapeutic multicenter multicentre multi centre center centers centres "
    "doubleblind double blind blinded single openlabel open label controlled control placebo "
    "placebocontrolled prospective retrospective pilot subjects participants adults adult "
    "children comparison compared comparing use using plus combined combination studies "
    "trials observational cohort parallel parallelgroup group groups investigate impact role "
    "ii iii iv international national"
)
#: Upper-case words that are no trial's acronym.
_NOT_ACRONYMS = word_set(
    "covid sars ncov mers ards icu hiv rct who nhs usa dna rna pcr igg igm ace arb bcg "
    "tcm hcq azm ivig ecmo ards copd"
)


# --- ids ---------------------------------------------------------------------------------


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


# --- words -------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def title_words(title: str) -> tuple[str, ...]:
    """Lower-case ASCII words; hyphens inside words are dropped ("COVID-19" -> covid19)."""
    return tuple(re.findall(r"[a-z0-9]+", re.sub(r"(?<=\w)-\s?(?=\w)", "", fold(title))))


_LABEL = re.compile(r"^(.*\S)\s*(?:\s[-:–]\s*|\()([^:–()]+)\)?\W*$")


@lru_cache(maxsize=1 << 16)
def title_variants(title: str) -> tuple[tuple[str, ...], ...]:
    """The title's words, and also without one or two trailing labels of at most four words
    each ("... of care - SOLIDARITY TRIAL", "... Cohort Study (CovidSurg)", "... Adults -
    Adaptive COVID-19 Treatment Trial (ACTT-2)")."""
    variants = [title_words(title)]
    for _ in range(2):
        match = _LABEL.match(title)
        label = title_words(match.group(2)) if match else ()
        if not label or len(label) > 4 or all(w.isdigit() for w in label):
            break  # a number is no label: "Study of X (12345)" and "(67890)" are two trials
        title = match.group(1)
        variants.append(title_words(title))
    return tuple(variants)


@lru_cache(maxsize=1 << 16)
def _content(words: tuple[str, ...]) -> Counter[str]:
    return Counter(w for w in words if w not in _STOPWORDS)


@lru_cache(maxsize=1 << 16)
def acronyms(title: str) -> frozenset[str]:
    """Words a title sets apart as its trial's name, in lower case: upper-case words of 4
    letters or more standing alone or in pairs in a title that is not all upper case ("the
    COVID STEROID trial", but not "... - EFFICACY OF CONVALESCENT PLASMA"), camel-case words
    ("DisCoVeRy"), and a capitalised one-word label before a colon, in brackets or after a
    final dash ("SOLIDARITY: AN ...", "(TACROVID)", "- Solidarity", as EU CTR adds a trial's
    short name). Hyphenated names give each part ("WHO-SOLIDARITY-GERMANY" gives "solidarity"
    and "germany") with its version ("ACTT-2" and "ACTT-II" give "actt2")."""
    found = set(re.findall(r"^\s*([\w-]+)\s*:|\(([\w-]+)\)|\s[-–]\s*([\w-]+)\W*$", title))
    words = {w for group in found for w in group if w and _capitals(w) >= 1}
    if not title.isupper():
        words |= {w for w in _shouted(title) if _capitals(w) >= 4} | {
            w for w in re.findall(r"\b[\w-]+\b", title) if not w.isupper() and _capitals(w) >= 3
        }
    return frozenset(name for w in words for name in _parts(w) if _may_be_acronym(name))


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}


def _parts(word: str) -> list[str]:
    """A hyphenated name's parts, a version number kept with the part before it."""
    parts: list[str] = []
    for part in re.split(r"[-_]+", fold(word)):
        version = _ROMAN.get(part, part if part.isdigit() and len(part) == 1 else None)
        if version and parts:
            parts[-1] += version
        elif part.isalnum():
            parts.append(part)
    return parts


def _may_be_acronym(word: str) -> bool:
    letters = word.rstrip("0123456789")
    return len(letters) >= 4 and letters not in _NOT_ACRONYMS | _UNBLOCKING


def _capitals(word: str) -> int:
    return sum(c.isupper() for c in word)


def _shouted(title: str) -> list[str]:
    """Upper-case words in runs of at most two (longer runs are shouted text, not names)."""
    runs = re.findall(r"(?:\b[A-Z][A-Z0-9-]*\b[\s,]*)+", title)
    return [w for run in runs if len(words := run.split()) <= 2 for w in words]


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


def _same_words(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """``title_difference(a, b) == []``, after the quick test it needs: as many content words
    in both (a word left over has no spelling twin)."""
    return _content(a).total() == _content(b).total() and title_difference(a, b) == []


@lru_cache(maxsize=1 << 16)
def _title_text(title: str) -> str:
    """The title's content words, for fuzzy comparison."""
    return " ".join(w for w in title_words(title) if w not in _STOPWORDS)


def title_similarity(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1: the mean of rapidfuzz's token-set ratio of their
    content words (a title inside the other scores 1) and their token-sort ratio (words the
    longer title adds count against it), so "... in Critically Ill Patients" and "... in
    Patients Hospitalized But Not Critically Ill" differ; the token-set ratio counts only when
    the shorter title has at least ``MIN_WORDS`` content words. Titles 85% alike or more that
    have the same words (``_same_words``, or once trailing labels are dropped) score 1."""
    ta, tb = _title_text(a), _title_text(b)
    unordered = fuzz.token_sort_ratio(ta, tb)
    if min(len(ta.split()), len(tb.split())) >= MIN_WORDS:
        unordered = (unordered + fuzz.token_set_ratio(ta, tb)) / 2
    if unordered >= 85 and any(
        _same_words(wa, wb) for wa in title_variants(a) for wb in title_variants(b)
    ):
        return 1.0
    return round(min(unordered / 100, 0.99), 2)


# --- trials ------------------------------------------------------------------------------


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
    collaborators: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)  # name keys
    countries: set[str] = field(default_factory=set)
    enrollments: set[int] = field(default_factory=set)
    starts: set[date] = field(default_factory=set)
    interventions: set[str] = field(default_factory=set)  # distinctive words of the names
    protocol_ids: set[str] = field(default_factory=set)  # secondary ids in no registry's format

    @property
    def every_title(self) -> set[str]:
        return self.titles | self.official_titles

    @property
    def registry(self) -> str:
        return registry(self.canonical)


def _records(studies: pd.DataFrame) -> pd.DataFrame:
    """The studies rows whose trial id is a registry's, with their ``canonical`` id (records
    without a source are left to the schema layer, which reports them)."""
    studies = studies[studies["source"].notna()]
    canonical = pd.Series(
        each_distinct(studies["trial_id"], canonical_id, None), index=studies.index, dtype=object
    )
    return studies[canonical.notna()].assign(canonical=canonical[canonical.notna()])


def _owners(records: pd.DataFrame) -> pd.Series:
    """Each record file's canonical id."""
    return records.drop_duplicates("record_file", keep="last").set_index("record_file")["canonical"]


def _named_ids(identifiers: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Every other trial a record names by NCT id or secondary id (of ``identifiers`` rows):
    ``record_file``, ``mine`` (its canonical id), ``other`` (the named one's), ``kind`` and
    ``identifier``."""
    ids = identifiers[identifiers["kind"].isin(("nct_id", "secondary"))]
    ids = ids.assign(
        mine=ids["record_file"].map(_owners(records)).astype(object),
        other=pd.Series(
            each_distinct(ids["identifier"], canonical_id, None), index=ids.index, dtype=object
        ),
    )
    return ids[ids["mine"].notna() & ids["other"].notna() & (ids["mine"] != ids["other"])]


def _declared(named: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Each pair of trials one names the other in, and how (the first naming of each side)."""
    how: dict[tuple[str, str], dict[str, str]] = {}
    for mine, other, kind, identifier in zip(
        cells(named["mine"]),
        cells(named["other"]),
        cells(named["kind"]),
        cells(named["identifier"]),
        strict=True,
    ):
        pair = (min(mine, other), max(mine, other))
        what = "NCT id" if kind == "nct_id" else "secondary id"
        how.setdefault(pair, {}).setdefault(mine, f"{mine} lists {identifier} as its {what}")
    return {pair: "; ".join(sides[c] for c in sorted(sides)) for pair, sides in how.items()}


def _trials(tables: Tables, records: pd.DataFrame, wanted: set[str]) -> dict[str, Trial]:
    """The ``wanted`` trials, each from all its records (``_records``) and their people,
    sites and interventions."""
    rows = records[records["canonical"].isin(wanted)]
    trials: dict[str, Trial] = {}
    owner: dict[str, Trial] = {}
    columns = ("canonical", "trial_id", "record_file", "source", "title", "official_title")
    more = ("sponsor", "collaborators", "enrollment_count", "start_date")
    for canonical, trial_id, file, source, title, official, sponsor, others, count, start in zip(
        *(cells(rows[c]) for c in (*columns, *more)), strict=True
    ):
        trial = owner[file] = trials.setdefault(canonical, Trial(canonical))
        trial.trial_ids.add(trial_id)
        trial.record_files.add(file)
        trial.sources.add(source)
        trial.titles |= {title} - {None}
        trial.official_titles |= {official} - {None}
        trial.sponsors |= {sponsor} - {None, ""}
        trial.collaborators |= set(others.split("|")) if others else set()
        trial.enrollments |= {int(count)} if count else set()
        trial.starts |= {to_date(start)} - {None}
    for file, name in _items(tables.people, "name", owner):
        if not not_a_person(name) and (key := name_key(name)):
            owner[file].people.add(key)
    for file, country in _items(tables.sites, "country", owner):
        owner[file].countries.add(" ".join(w for w in title_words(country) if w != "the"))
    for file, name in _items(tables.interventions, "name", owner):
        owner[file].interventions |= _intervention_words(name)
    secondary = tables.identifiers[tables.identifiers["kind"] == "secondary"]
    for file, identifier in _items(secondary, "identifier", owner):
        if canonical_id(identifier) is None and (key := _protocol_key(identifier)):
            owner[file].protocol_ids.add(key)
    return trials


def _protocol_key(identifier: str) -> str:
    """A sponsor's protocol number compared without case, spaces or punctuation."""
    return "".join(ch for ch in identifier.upper() if ch.isalnum())


#: A protocol number of a series: a stem with a digit, then one or two letters ("048A", "AVEG
#: 003B", "012L").
_SERIES = re.compile(r"(.*\d)([A-Z]{1,2})")


def _sister_protocols(a: Trial, b: Trial) -> tuple[str, str] | None:
    """Two protocol numbers of one series, one on each side and none shared: "048A" and
    "048B" are two protocols of one programme (AIDS trials of the 1990s registered each part
    under the programme's title), not one trial registered twice."""
    if a.protocol_ids & b.protocol_ids:
        return None
    stems = {}
    for key in a.protocol_ids:
        if found := _SERIES.fullmatch(key):
            stems[found.group(1)] = key
    for key in sorted(b.protocol_ids):
        found = _SERIES.fullmatch(key)
        if found and found.group(1) in stems:
            return stems[found.group(1)], key
    return None


def _items(table: pd.DataFrame, column: str, owner: dict[str, Trial]) -> Iterator[tuple]:
    """(record file, value) of a table's filled ``column`` for the records in ``owner``."""
    rows = table[table[column].notna() & table["record_file"].isin(list(owner))]
    return zip(cells(rows["record_file"]), cells(rows[column]), strict=True)


#: Intervention words that name no particular treatment.
_PLAIN_INTERVENTIONS = word_set(
    "placebo standard care usual treatment therapy drug dose doses group arm control saline "
    "tablet tablets capsule capsules oral injection infusion product name form trade "
    "pharmaceutical concentration number unit type equal proposed code route administration "
    "current sponsor other none mg milligram milligrams ml inn cas per day days daily week "
    "weeks times hours solution intravenous subcutaneous use",
)


@lru_cache(maxsize=1 << 16)
def _intervention_words(name: str) -> frozenset[str]:
    """The distinctive words of an intervention's name: of 3 letters or more ("BCG"), or of
    6 or more in a name of over 8 words, which is a description (ICTRP gives some registries'
    whole intervention text)."""
    words = title_words(name)
    shortest = 3 if len(words) <= 8 else 6
    return frozenset(
        w
        for w in words
        if len(w) >= shortest and not w.isdigit() and w not in _PLAIN_INTERVENTIONS | _UNBLOCKING
    )


# --- blocking ----------------------------------------------------------------------------

#: title_words' hyphen inside a word, ``(?<=\w)-\s?(?=\w)``, for ASCII text in RE2 (no lookaround).
_ASCII_HYPHEN = r"([0-9A-Za-z_])-[\t\n\x0b\x0c\r\x1c-\x1f ]?([0-9A-Za-z_])"
_UNBLOCKING = _STOPWORDS | _GENERIC


def _blocking_words(title: str) -> list[str]:
    """The title's words that may block: not short, not a stop or generic word, not a number."""
    return [
        w for w in title_words(title) if len(w) > 2 and w not in _UNBLOCKING and not w.isdigit()
    ]


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
    unblocking = pc.is_in(words, pa.array(sorted(_UNBLOCKING)))
    number = pc.ascii_is_decimal(words)
    keep = pc.and_(pc.greater(pc.utf8_length(words), 2), pc.invert(pc.or_(unblocking, number)))
    positions = np.flatnonzero(ascii_only)[pc.list_parent_indices(split).to_numpy()]
    others = [(i, w) for i in np.flatnonzero(~ascii_only) for w in _blocking_words(titles.iloc[i])]
    return (
        np.concatenate(
            [positions[keep.to_numpy(zero_copy_only=False)], np.array([i for i, _ in others], int)]
        ),
        pa.concat_arrays([words.filter(keep), pa.array([w for _, w in others], pa.string())]),
    )


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a well-spread 64-bit hash of 64-bit values."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def _hashed(texts: Iterable[str]) -> np.ndarray:
    """A stable 64-bit hash of each text (pandas' SipHash with its fixed key)."""
    return pd.util.hash_array(np.asarray(list(texts), dtype=object))


@dataclass(frozen=True)
class Titles:
    """Every title (brief or official) of some records: ``rows`` (``record``, the record's
    position, and ``title``, the title's number) and the distinct ``texts`` by number."""

    rows: pd.DataFrame
    texts: pd.Series

    @classmethod
    def of(cls, records: pd.DataFrame) -> Titles:
        position = np.arange(len(records))
        rows = pd.concat(
            [
                pd.DataFrame({"record": position, "text": records[c].to_numpy()})
                for c in ("title", "official_title")
            ]
        ).dropna()
        number, texts = pd.factorize(rows["text"])
        found = pd.DataFrame({"record": rows["record"].to_numpy(), "title": number})
        return cls(found, pd.Series(texts))

    def words(self) -> pd.DataFrame:
        """Every blocking word (hashed) of every distinct title: ``title`` and ``word``."""
        position, words = _title_words_in_bulk(self.texts)
        code, distinct = pd.factorize(words.to_pandas(types_mapper=pd.ArrowDtype))
        return pd.DataFrame({"title": position, "word": _hashed(distinct.astype(str))[code]})

    def keyed(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Keys of titles (``title``, ``key``) as keys of the records that have them."""
        return self.rows.merge(keys, on="title")[["record", "key"]]


def _title_keys(words: pd.DataFrame) -> pd.DataFrame:
    """MinHash bands of every title's blocking words (``Titles.words``): ``title`` and ``key``.
    Two titles share a band when the ROWS words of least hash are the same in both, so the
    more words they share, the likelier one of the BANDS keys is shared; no word counts are
    needed."""
    found = words.sort_values("title", kind="stable")
    position = found["title"].to_numpy()
    word = found["word"].to_numpy(dtype=np.uint64)
    if not len(word):
        return pd.DataFrame({"title": np.array([], int), "key": np.array([], np.uint64)})
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    enough = np.diff(np.r_[starts, len(position)]) >= ROWS
    keys = []
    for band in range(BANDS):
        key = np.full(len(starts), np.uint64(band))
        for row in range(ROWS):
            seed = _mix(np.array([band * ROWS + row + 1], np.uint64))
            key = _mix(key ^ np.minimum.reduceat(_mix(word ^ seed), starts))
        keys.append(pd.DataFrame({"title": position[starts][enough], "key": key[enough]}))
    return pd.concat(keys, ignore_index=True)


def _acronym_keys(titles: Titles) -> pd.DataFrame:
    """Each title's acronyms ("SOLIDARITY"): ``title`` and ``key``. Only titles with a word
    of two capitals besides COVID and SARS are read (no other has an acronym)."""
    plain = pc.replace_substring_regex(strings(titles.texts), r"\b(?:COVID|SARS|CoV|MERS)\b", "")
    marked = pc.match_substring_regex(plain, r"[A-Z]\S*[A-Z]")
    found = [
        (i, f"acronym:{word}")
        for i in np.flatnonzero(marked.to_numpy(zero_copy_only=False))
        for word in sorted(acronyms(titles.texts.iloc[i]))
    ]
    numbers = np.array([i for i, _ in found], dtype=int)
    return pd.DataFrame({"title": numbers, "key": _hashed(w for _, w in found)})


def _sponsor_keys(records: pd.DataFrame) -> pd.DataFrame:
    """The sponsor's words with the planned enrollment and the start month ("hospices civils
    lyon|304|2020-04"): ``record`` (position) and ``key``. Trials whose titles are in two
    languages still meet."""
    stated = (
        records["sponsor"].notna()
        & records["enrollment_count"].notna()
        & records["start_date"].notna()
    ).to_numpy(dtype=bool)
    rows = records[stated]
    words = each_distinct(rows["sponsor"], lambda s: " ".join(sorted(set(org_tokens(s)))), "")
    texts = [
        f"{w}|{count}|{start[:7]}"
        for w, count, start in zip(
            words, cells(rows["enrollment_count"]), cells(rows["start_date"]), strict=True
        )
    ]
    named = np.array([bool(w) for w in words], dtype=bool)
    keys = _hashed(texts) if texts else np.array([], np.uint64)
    return pd.DataFrame({"record": np.flatnonzero(stated)[named], "key": keys[named]})


def _record_keys(records: pd.DataFrame, titles: Titles, words: pd.DataFrame) -> pd.DataFrame:
    """Every blocking key of every record (``record``, its position, and ``key``): title
    bands, acronyms, sponsor with enrollment and start."""
    by_title = pd.concat([_title_keys(words), _acronym_keys(titles)], ignore_index=True)
    return pd.concat([titles.keyed(by_title), _sponsor_keys(records)], ignore_index=True)


def _candidate_pairs(records: pd.DataFrame) -> set[tuple[str, str]]:
    """Pairs of trials (canonical ids) sharing a blocking key of at most MAX_BLOCK trials and
    MIN_SHARED of their distinctive title words (Jaccard)."""
    trial, names = pd.factorize(records["canonical"], sort=True)
    titles = Titles.of(records)
    words = titles.words()
    keys = _record_keys(records, titles, words)
    held = pd.DataFrame({"trial": trial[keys["record"].to_numpy()], "key": keys["key"].to_numpy()})
    pairs = _sharing(held.drop_duplicates())
    return _alike(pairs, trial, titles, words, names.to_numpy())


def _alike(
    pairs: pd.DataFrame, trial: np.ndarray, titles: Titles, words: pd.DataFrame, names: np.ndarray
) -> set[tuple[str, str]]:
    """The pairs (numbers ``trial_x``, ``trial_y``) sharing MIN_SHARED of their distinctive
    title words, as canonical ids (``names``); ``trial`` numbers the titles' records."""
    rows = titles.rows.assign(trial=trial[titles.rows["record"]])
    rows = rows[np.isin(rows["trial"], pd.unique(pairs.to_numpy().ravel()))]
    trial_words = rows.merge(words, on="title")[["trial", "word"]].drop_duplicates()
    pairs = pairs[_jaccard(pairs, trial_words) >= MIN_SHARED]
    return set(zip(names[pairs["trial_x"]], names[pairs["trial_y"]], strict=True))


def _sharing(held: pd.DataFrame) -> pd.DataFrame:
    """Pairs of trials (``trial_x`` < ``trial_y``) sharing a key of ``held`` (distinct
    ``trial``, ``key`` rows) that at most MAX_BLOCK trials hold."""
    size = held.groupby("key")["trial"].transform("size")
    found = held[(size > 1) & (size <= MAX_BLOCK)]
    pairs = found.merge(found, on="key")
    pairs = pairs[pairs["trial_x"] < pairs["trial_y"]]
    return pairs[["trial_x", "trial_y"]].drop_duplicates(ignore_index=True)


def _jaccard(pairs: pd.DataFrame, words: pd.DataFrame) -> np.ndarray:
    """Each pair's share of distinctive title words in common (``words``: trial, word)."""
    count = words.groupby("trial").size()
    left = pairs.merge(words.rename(columns={"trial": "trial_x"}), on="trial_x")
    both = left.merge(words.rename(columns={"trial": "trial_y"}), on=["trial_y", "word"])
    shared = both.groupby(["trial_x", "trial_y"]).size().rename("shared")
    shared = pairs.join(shared, on=["trial_x", "trial_y"])["shared"].fillna(0).to_numpy()
    union = sum(count.reindex(pairs[c]).fillna(0).to_numpy() for c in ("trial_x", "trial_y"))
    return shared / np.maximum(union - shared, 1)


# --- comparing two trials ----------------------------------------------------------------

#: Each field's levels of agreement and their weights, Fellegi-Sunter style: log2(m/u),
#: m the level's share among pairs the records themselves declare (cross-registrations named
#: by a secondary id in the ICTRP and classic ClinicalTrials.gov exports of July 2020), u its
#: share among the candidate pairs blocking gives there (nearly all different trials),
#: rounded (README, "Evaluation"). Two levels that corpus cannot measure, as all its
#: trials are of 2020 and few titles carry numbers, are set by hand: titles with other
#: numbers ("Phase 2" / "Phase 3", "(12345)" / "(67890)") and starts over a year apart. A
#: field that a record does not state weighs nothing.
WEIGHTS: dict[str, dict[str, float]] = {
    "title": {
        "same": 6.5,
        "90%": 4,
        "85%": 2,
        "80%": 0.5,
        "65%": -2,
        "unlike": -4,
        "other numbers": -6,
    },
    "acronym": {"shared": 5, "named": 3},
    "sponsor": {"same": 4.5, "alike": 2, "other": -3},
    "people": {"shared": 3.5},
    "enrollment": {"equal": 4.5, "within 10%": 1, "apart": -1, "over twice apart": -4},
    "start": {
        "within a month": 0.5,
        "within 3 months": -1.5,
        "further apart": -1.5,
        "over a year apart": -6,
    },
    "countries": {"shared": 1.5, "none shared": -6},
    "interventions": {"shared": 1.5, "none shared": -1},
}
#: Title similarity floors and their levels.
_TITLE_LEVELS = ((0.9, "90%"), (0.85, "85%"), (0.8, "80%"), (TITLE_GATE, "65%"), (0.0, "unlike"))


@dataclass(frozen=True)
class Agreement:
    """How one field of two trials compares: its level, weight and the values behind it."""

    field: str
    level: str
    detail: str  # for the message: "titles 95% alike"
    values: tuple[Any, Any] | None = None
    similarity: float | None = None

    @property
    def weight(self) -> float:
        return WEIGHTS[self.field][self.level]

    def evidence(self) -> dict[str, Any]:
        item: dict[str, Any] = {"level": self.level, "weight": self.weight, "says": self.detail}
        if self.similarity is not None:
            item["similarity"] = self.similarity
        if self.values is not None:
            item["values"] = list(self.values)
        return item


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    agreements: tuple[Agreement, ...]

    @property
    def score(self) -> float:
        return round(sum(item.weight for item in self.agreements), 2)

    def field(self, name: str) -> Agreement | None:
        return next((item for item in self.agreements if item.field == name), None)

    def explain(self) -> str:
        told = [item.detail for item in self.agreements if item.weight > 0]
        return f"score {self.score:g}: {', '.join(told)}"

    def evidence(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "threshold": THRESHOLD,
            "fields": {item.field: item.evidence() for item in self.agreements},
        }


#: Numbers that name the disease ("COVID 19", "coronavirus disease 2019"), not a trial.
_DISEASE_NUMBERS = frozenset({"19", "2019"})


@lru_cache(maxsize=1 << 16)
def _numbers(title: str) -> frozenset[str]:
    """A title's numbers ("Phase 2/3" gives 2 and 3), those naming the disease aside."""
    return frozenset(w for w in title_words(title) if w.isdigit()) - _DISEASE_NUMBERS


def _other_numbers(a: str, b: str) -> bool:
    """Each title has a number the other lacks ("Phase 2" / "Phase 3", "(12345)" /
    "(67890)"); a title adding a number ("A Phase 2/3 Study of ...") is no other trial."""
    na, nb = _numbers(a), _numbers(b)
    return bool(na - nb) and bool(nb - na)


def _title(a: Trial, b: Trial) -> Agreement:
    similarity, x, y = max(
        (title_similarity(x, y), x, y) for x in sorted(a.every_title) for y in sorted(b.every_title)
    )
    informative = min(len(_title_text(x).split()), len(_title_text(y).split())) >= MIN_WORDS
    if similarity >= 1 and informative:
        return Agreement("title", "same", "same title", (x, y), similarity)
    if _other_numbers(x, y):
        return Agreement("title", "other numbers", "titles with other numbers", (x, y), similarity)
    level = next(name for floor, name in _TITLE_LEVELS if similarity >= floor)
    return Agreement("title", level, f"titles {similarity:.0%} alike", (x, y), similarity)


def _acronyms(trial: Trial) -> set[str]:
    return {w for t in trial.every_title for w in acronyms(t)}


def _trial_names(a: Trial, b: Trial) -> set[str]:
    """The acronyms both trials' titles mark that name no intervention of either: the name of
    a trial ("SOLIDARITY"), not of a product ("rhACE2", "ChAdOx1")."""
    return (_acronyms(a) & _acronyms(b)) - a.interventions - b.interventions


def _acronym(a: Trial, b: Trial) -> Agreement | None:
    """A trial name both titles mark ("shared"), or one marks and the other's titles say.
    Product names ("ChAdOx1") count as interventions, not here."""
    products = a.interventions | b.interventions
    of_a, of_b = _acronyms(a) - products, _acronyms(b) - products
    if shared := sorted(of_a & of_b):
        return Agreement("acronym", "shared", f"acronym {', '.join(shared).upper()}")
    words_a = {w for t in a.every_title for w in title_words(t)}
    words_b = {w for t in b.every_title for w in title_words(t)}
    if named := sorted((of_a & words_b) | (of_b & words_a)):
        return Agreement("acronym", "named", f"acronym {', '.join(named).upper()}")
    return None


#: Words of organisation names that do not tell organisations apart.
_ORG_WORDS = word_set(
    "university universities universitaire universitaires universitari universitario "
    "universitaria universitat hospital hospitals hopital hopitaux hospitalier ospedale "
    "medical medicine medicina center centre centro centers college school institute "
    "institut instituto clinic clinics clinical clinique clinica research foundation "
    "fundacion fondazione trust health healthcare sciences science national group company "
    "limited department faculty general azienda sanitaria ministry public pharma "
    "pharmaceuticals pharmaceutical international world organization organisation society "
    "association network first second third affiliated peoples people"
)


def _org_words(name: str) -> set[str]:
    return {w for w in org_tokens(name) if len(w) >= 5 and w not in _ORG_WORDS}


def _alike_orgs(a: str, b: str) -> bool:
    """Names that share a distinctive word, up to spelling ("Universitätsklinikum Tübingen" /
    "University Hospital Tuebingen"); weaker than ``same_org``."""
    wa, wb = _org_words(a), _org_words(b)
    return any(x == y or _twins(x, y) for x in wa for y in wb)


def _sponsor(a: Trial, b: Trial) -> Agreement | None:
    """Sponsors: the same (``same_org``, a collaborator of one counting as its sponsor, or
    ``related_org``), alike (``_alike_orgs``), or other."""
    if not a.sponsors or not b.sponsors:
        return None
    pairs = [(x, y) for x in sorted(a.sponsors) for y in sorted(b.sponsors)]
    wider = pairs + [(x, y) for x in sorted(a.sponsors) for y in sorted(b.collaborators)]
    wider += [(x, y) for x in sorted(a.collaborators) for y in sorted(b.sponsors)]
    same = next(((x, y) for x, y in pairs if related_org(x, y)), None)
    same = same or next(((x, y) for x, y in wider if same_org(x, y)), None)
    if same:
        return Agreement("sponsor", "same", "same sponsor", same)
    alike = next(((x, y) for x, y in wider if _alike_orgs(x, y)), None)
    if alike:
        return Agreement("sponsor", "alike", "sponsors alike", alike)
    return Agreement("sponsor", "other", "other sponsors", pairs[0])


def _people(a: Trial, b: Trial) -> Agreement | None:
    shared = sorted(a.people & b.people)
    if not shared:
        return None
    return Agreement("people", "shared", f"same people ({', '.join(shared[:3])})")


def _enrollment(a: Trial, b: Trial) -> Agreement | None:
    if not a.enrollments or not b.enrollments:
        return None
    x, y = min(
        ((x, y) for x in a.enrollments for y in b.enrollments),
        key=lambda p: abs(p[0] - p[1]) / max(*p, 1),
    )
    apart = abs(x - y) / max(x, y, 1)
    if apart == 0:
        return Agreement("enrollment", "equal", f"enrollment {x} in both", (x, y))
    level = (
        "within 10%"
        if apart <= 0.1
        else "over twice apart"
        if max(x, y) > 2 * min(x, y)
        else "apart"
    )
    return Agreement("enrollment", level, f"enrollments {x} and {y}", (x, y))


_START_LEVELS = (
    (31, "within a month"),
    (92, "within 3 months"),
    (366, "further apart"),
    (float("inf"), "over a year apart"),
)


def _start(a: Trial, b: Trial) -> Agreement | None:
    if not a.starts or not b.starts:
        return None
    x, y = min(((x, y) for x in a.starts for y in b.starts), key=lambda p: abs(p[0] - p[1]))
    days = abs((x - y).days)
    level = next(name for most, name in _START_LEVELS if days <= most)
    detail = "same start" if days == 0 else f"starts {days} days apart"
    return Agreement("start", level, detail, (x.isoformat(), y.isoformat()))


def _countries(a: Trial, b: Trial) -> Agreement | None:
    if not a.countries or not b.countries:
        return None
    shared = sorted(a.countries & b.countries)
    if not shared:
        return Agreement("countries", "none shared", "no country in common")
    named = ", ".join(c.title() for c in shared[:3]) + (" ..." if len(shared) > 3 else "")
    return Agreement("countries", "shared", f"countries {named}")


def _interventions(a: Trial, b: Trial) -> Agreement | None:
    if not a.interventions or not b.interventions:
        return None
    shared = sorted(a.interventions & b.interventions)
    if not shared:
        return Agreement("interventions", "none shared", "no intervention in common")
    return Agreement("interventions", "shared", f"interventions {', '.join(shared[:3])}")


#: The fields compared after the title and acronym (see ``linked``).
FIELDS = (_sponsor, _people, _enrollment, _start, _countries, _interventions)


def compare(a: Trial, b: Trial) -> Comparison:
    """Every field of two trials compared: the score and its explanation."""
    return _compared(a, b, _title(a, b), _acronym(a, b))


def _compared(a: Trial, b: Trial, *naming: Agreement | None) -> Comparison:
    found = (*naming, *(compare_field(a, b) for compare_field in FIELDS))
    return Comparison(a.canonical, b.canonical, tuple(item for item in found if item))


def _same_registry_titles(a: Trial, b: Trial) -> bool:
    """Within one registry a double registration copies its titles: every kind of title both
    state (brief, official) has the same words, trailing labels included."""
    kinds = [(a.titles, b.titles), (a.official_titles, b.official_titles)]
    stated = [(x, y) for x, y in kinds if x and y]
    return bool(stated) and all(
        any(_same_words(title_words(p), title_words(q)) for p in x for q in y) for x, y in stated
    )


def _distinct(a: Trial, b: Trial) -> str | None:
    """Why two trials of one title in one registry are evidently two trials, if they are:
    sites in different countries (a US and an ex-US study), planned sizes more than twice
    apart (a pilot and its main trial), starts more than 6 months apart (a follow-up), or
    protocol numbers of one series and none shared ("048A" and "048B": parts of a programme).
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
    if sisters := _sister_protocols(a, b):
        return f"protocols {sisters[0]} and {sisters[1]} of one series"
    return None


def _arms(a: Trial, b: Trial, title: Agreement | None = None) -> bool:
    """Two registrations of one protocol: titles with the same words that mark the same trial
    name, as a national arm of an international trial copies its protocol's title."""
    return (title or _title(a, b)).level == "same" and bool(_trial_names(a, b))


def _two_in_one_registry(a: Trial, b: Trial) -> bool:
    """Two ids of one registry that are evidently two trials: titles with other words, or
    sites, sizes or starts far apart (``_distinct``)."""
    return a.registry == b.registry and (
        not _same_registry_titles(a, b) or _distinct(a, b) is not None
    )


def _apart(a: Trial, b: Trial) -> bool:
    """Two trials that one trial never holds, however other records link them: two in one
    registry, unless they are arms of one protocol."""
    return _two_in_one_registry(a, b) and not _arms(a, b)


def linked(a: Trial, b: Trial) -> Comparison | None:
    """The comparison of two trials when it links them, else None: the titles are alike (or
    name one trial) and the score reaches THRESHOLD; or, across registries, the titles have
    the same words and mark the same trial name, as a national arm of an international trial
    copies its protocol's title (whatever its own sponsor, size and countries)."""
    if _two_in_one_registry(a, b):
        return None
    title, acronym = _title(a, b), _acronym(a, b)
    if title.similarity < TITLE_GATE and not acronym:
        return None  # most candidate pairs: the other fields need not be compared
    comparison = _compared(a, b, title, acronym)
    if a.registry != b.registry and _arms(a, b, title):
        return comparison
    return comparison if comparison.score >= THRESHOLD else None


# --- findings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    declared: str | None  # how a record names the other
    comparison: Comparison | None

    def evidence(self) -> dict[str, Any]:
        item: dict[str, Any] = {"ids": [self.a, self.b]}
        if self.declared:
            item["declared"] = self.declared
        if self.comparison:
            item |= self.comparison.evidence()
        return item

    def explain(self) -> str:
        return self.declared or (self.comparison.explain() if self.comparison else "")


def _clusters(links: list[Link], trials: dict[str, Trial]) -> list[list[Link]]:
    """Links grouped by the trial they make: ids linked directly or through others. Declared
    links join first, then found ones from the highest score down; a found link that would
    put two ids of one registry that are ``_apart`` in one trial is dropped, so a record
    linked to two trials of one sponsor (a pilot and its main trial) joins the likelier."""
    found = [x for x in links if not x.declared]
    ordered = [x for x in links if x.declared]
    ordered += sorted(found, key=lambda x: (-x.comparison.score, x.a, x.b))
    group: dict[str, list[str]] = {}  # id -> the members of its cluster (one shared list)
    kept: list[Link] = []
    for link in ordered:
        one = group.setdefault(link.a, [link.a])
        other = group.setdefault(link.b, [link.b])
        if one is not other:
            if not link.declared and _joins_apart(one, other, trials):
                continue
            one.extend(other)
            for member in other:
                group[member] = one
        kept.append(link)
    clusters: dict[str, list[Link]] = {}
    for link in kept:
        clusters.setdefault(min(group[link.a]), []).append(link)
    return [clusters[c] for c in sorted(clusters)]


def _joins_apart(one: list[str], other: list[str], trials: dict[str, Trial]) -> bool:
    return any(_apart(trials[x], trials[y]) for x in one for y in other)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _message(members: list[Trial], cluster: list[Link]) -> str:
    """ "A and B: one trial cross-registered in ... (how)", "... registered twice in ...",
    "look like one trial in ..." for a found link; a cluster counts its links."""
    names = _listed([t.canonical for t in members])
    registries = _listed(sorted({t.registry for t in members}))
    unnamed = sum(not x.declared for x in cluster)
    if len(cluster) > 1:
        named = f"{unnamed} named by no record" if unnamed else "each named by a record"
        what = "one trial" if not unnamed else "look like one trial"
        return f"{names}: {what} in {registries} ({len(cluster)} links, {named})"
    twice = members[0].registry == members[1].registry
    if unnamed and twice:
        what = f"look like one trial registered twice in {registries}"
    elif unnamed:
        what = f"look like one trial in {registries}, and neither record names the other"
    else:
        what = (
            f"registered twice in {registries}"
            if twice
            else (f"one trial cross-registered in {registries}")
        )
    return f"{names}: {what} ({cluster[0].explain()})"


def _finding(ctx: Context, trials: dict[str, Trial], cluster: list[Link]) -> Finding:
    members = [trials[c] for c in sorted({c for x in cluster for c in (x.a, x.b)})]
    declared = all(x.declared for x in cluster)
    twice = len({t.registry for t in members}) < len(members)
    return ctx.finding(
        _message(members, cluster),
        severity="info" if declared and not twice else "warning",
        trial_ids=sorted(i for t in members for i in t.trial_ids),
        record_files=sorted(f for t in members for f in t.record_files),
        sources=sorted(s for t in members for s in t.sources),
        field="trial_id",
        key="declared" if declared else "found",
        evidence={
            "ids": [t.canonical for t in members],
            "registries": [t.registry for t in members],
            "links": [x.evidence() for x in sorted(cluster, key=lambda x: (x.a, x.b))],
            "titles": {t.canonical: sorted(t.titles) for t in members},
            "official_titles": {t.canonical: sorted(t.official_titles) for t in members},
            "sponsors": {t.canonical: sorted(t.sponsors) for t in members},
        },
    )


def _links(
    declared: dict[tuple[str, str], str], candidates: set[tuple[str, str]], trials: dict[str, Trial]
) -> list[Link]:
    links = [Link(a, b, how, None) for (a, b), how in sorted(declared.items())]
    for a, b in sorted(candidates - set(declared)):
        comparison = linked(trials[a], trials[b])
        if comparison:
            links.append(Link(a, b, None, comparison))
    return links


# --- incremental re-check ----------------------------------------------------------------


def record_keys(tables: Tables) -> pd.DataFrame:
    """Every record's blocking keys as ``_candidate_pairs`` keys them (each record's depend
    on that record alone): ``record_file``, ``trial`` (its canonical id) and ``key``."""
    records = _records(tables.studies)
    titles = Titles.of(records)
    keys = _record_keys(records, titles, titles.words())
    row = keys["record"].to_numpy()
    text = pd.ArrowDtype(pa.string())  # typed even when empty, in a kept Arrow file too
    found = pd.DataFrame(
        {
            "record_file": pd.array(records["record_file"].to_numpy(dtype=object)[row], text),
            "trial": pd.array(records["canonical"].to_numpy(dtype=object)[row], text),
            "key": keys["key"].to_numpy(np.uint64),
        }
    )
    return found.drop_duplicates(ignore_index=True)


def recheck(tables: Tables, delta: Delta, ctx: Context) -> tuple[set[str], list[Finding]] | None:
    """The clusters a change can alter, found again as a full run finds them: the record
    files concerned and the findings about them (None when that is over half the records).

    A link between two trials changes only if one of them changed (a changed record's trial,
    before or after) or a block they share crossed MAX_BLOCK; a cluster changes only if one
    of its links did, or one of its trials is linked anew. So the re-check starts from those
    trials and the members of their former clusters, and follows links from there, whole."""
    studies = tables.studies
    seeds = set(_records_in(studies, delta.files)["canonical"])
    seeds |= set(_records(delta.previous.studies)["canonical"]) | _crossed(delta)
    files = delta.files | set(_records_of(studies, seeds)["record_file"])
    for cluster in delta.clusters:
        if not cluster.isdisjoint(files):
            files |= cluster
            seeds |= set(_records_in(studies, cluster)["canonical"])
    most = len(studies) // 2
    found = _linked_from(tables, delta.keys, seeds, most)
    if found is None:
        return None
    links, trials = found
    files |= {f for trial in trials.values() for f in trial.record_files}
    if len(files) > most:
        return None
    return files, [_finding(ctx, trials, cluster) for cluster in _clusters(links, trials)]


def _records_in(studies: pd.DataFrame, files: Iterable[str]) -> pd.DataFrame:
    """The records (``_records``) of these record files."""
    return _records(only_rows(studies, among(studies["record_file"], files)))


def _records_of(studies: pd.DataFrame, trials: set[str]) -> pd.DataFrame:
    """The records (``_records``) of these canonical ids, reading only the rows whose trial id
    mentions one of them."""
    found = _records(only_rows(studies, _mentioning(studies["trial_id"], trials)))
    return found[found["canonical"].isin(list(trials))]


def _mentioning(texts: pd.Series, trials: set[str]) -> np.ndarray:
    """Which texts contain one of these canonical ids (an EU CTR id: its EudraCT number): the
    only ones whose ``canonical_id`` can be one of them."""
    if not trials:
        return np.zeros(len(texts), dtype=bool)
    pattern = "|".join(re.escape(c.removeprefix("EUCTR")) for c in sorted(trials))
    found = pc.match_substring_regex(strings(texts), pattern, ignore_case=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _crossed(delta: Delta) -> set[str]:
    """The trials holding a key that the change moved into or out of use (shared by 2 to
    MAX_BLOCK trials): pairs of them appear or vanish though neither changed."""
    keys, files = delta.keys, pa.array(list(delta.files), pa.string())
    changed = among(keys["record_file"], files)
    before = delta.keys_before[["trial", "key"]]
    touched = np.union1d(
        keys["key"][changed].to_numpy(np.uint64), before["key"].to_numpy(np.uint64)
    )
    rows = keys["key"].isin(touched).to_numpy(dtype=bool)
    # The rows of the touched keys now, then those the changed files had before: numbered
    # together once (most rows are both now's and then's).
    pairs = keys[["trial", "key"]]  # not the file names: filtering them costs most
    held = pd.concat([only_rows(pairs, rows), before], ignore_index=True)
    now = np.arange(len(held)) < np.count_nonzero(rows)
    then = ~np.r_[changed[rows], np.zeros(len(before), dtype=bool)]  # unchanged, or before
    trial = pd.factorize(held["trial"])[0].astype(np.int64)
    key, numbers = pd.factorize(held["key"].to_numpy(np.uint64))
    # Each row's (trial, key) pair as one number: a key a change touches may be held by
    # thousands of trials, and rows of text made unique took twice as long.
    trials = int(trial.max(initial=0)) + 1
    pair, distinct = pd.factorize(key.astype(np.int64) * trials + trial)
    moved = _in_use(pair[now], distinct // trials, len(numbers))
    moved ^= _in_use(pair[then], distinct // trials, len(numbers))
    return set(held["trial"][moved[key]])


def _in_use(held: np.ndarray, key_of: np.ndarray, keys: int) -> np.ndarray:
    """Per key number (of ``keys``), whether 2 to MAX_BLOCK trials hold it, from the numbers
    of the (trial, key) pairs ``held`` (each may repeat) and each pair's key number."""
    present = np.zeros(len(key_of), dtype=bool)
    present[held] = True
    counts = np.bincount(key_of[present], minlength=keys)
    return (counts > 1) & (counts <= MAX_BLOCK)


def _linked_from(
    tables: Tables, keys: pd.DataFrame, seeds: set[str], most: int
) -> tuple[list[Link], dict[str, Trial]] | None:
    """Every link of the trials linked to ``seeds`` directly or through others, and those
    trials (None when they are more than ``most``): each round compares the trials newly
    reached with those they share a key in use with (by the whole corpus's ``keys``), name or
    are named by, and goes on from the ones they link."""
    trials: dict[str, Trial] = {}
    alike: set[tuple[str, str]] = set()
    reached: set[str] = set()
    frontier = seeds
    while frontier:
        trials |= _trials_of(tables, frontier - set(trials))
        frontier &= set(trials)  # trials no record has any more link nothing
        reached |= frontier
        if len(reached) > most:
            return None
        held = keys["key"][keys["trial"].isin(list(frontier))].unique()
        rows = only_rows(keys[["trial", "key"]], keys["key"].isin(held).to_numpy(dtype=bool))
        pairs = _sharing(_distinct_pairs(rows))
        pairs = pairs[pairs["trial_x"].isin(frontier) | pairs["trial_y"].isin(frontier)]
        found = _alike_ids(pairs, tables.studies)
        named = _naming(tables, frontier, {f for c in frontier for f in trials[c].record_files})
        trials |= _trials_of(tables, {c for pair in found | named for c in pair} - set(trials))
        alike |= found
        partners = {c for pair in named for c in pair}
        partners |= {c for a, b in found - named if linked(trials[a], trials[b]) for c in (a, b)}
        frontier = partners - reached
    files = [f for c in reached for f in trials[c].record_files]
    identifiers = tables.identifiers[among(tables.identifiers["record_file"], files)]
    named = _declared(_named_ids(identifiers, _records_of(tables.studies, reached)))
    declared = {pair: how for pair, how in named.items() if set(pair) <= reached}
    inside = {pair for pair in alike if set(pair) <= reached}
    return _links(declared, inside, trials), {c: trials[c] for c in reached}


def _distinct_pairs(rows: pd.DataFrame) -> pd.DataFrame:
    """The distinct (``trial``, ``key``) rows, found over numbers (text rows made unique
    took twice as long)."""
    trial = pd.factorize(rows["trial"])[0]
    again = pd.DataFrame({"trial": trial, "key": rows["key"].to_numpy(np.uint64)}).duplicated()
    return only_rows(rows, ~again.to_numpy(dtype=bool))


def _trials_of(tables: Tables, wanted: set[str]) -> dict[str, Trial]:
    return _trials(tables, _records_of(tables.studies, wanted), wanted) if wanted else {}


def _alike_ids(pairs: pd.DataFrame, studies: pd.DataFrame) -> set[tuple[str, str]]:
    """The pairs of canonical ids (``trial_x`` < ``trial_y``) that ``_alike`` keeps."""
    if pairs.empty:
        return set()
    rows = _records_of(studies, set(pairs.to_numpy().ravel()))
    trial, names = pd.factorize(rows["canonical"], sort=True)
    numbered = pd.DataFrame({c: names.get_indexer(pairs[c]) for c in ("trial_x", "trial_y")})
    titles = Titles.of(rows)
    return _alike(numbered, trial, titles, titles.words(), names.to_numpy())


def _naming(tables: Tables, trials: set[str], files: set[str]) -> set[tuple[str, str]]:
    """The pairs of trials (ids in order) of which one names the other, one of them among
    ``trials`` (whose records are ``files``): their records' identifiers, and those of other
    records that mention one of their ids."""
    ids, studies = tables.identifiers, tables.studies
    chosen = among(ids["record_file"], files) | _mentioning(ids["identifier"], trials)
    rows = ids[chosen]
    owners = _records_in(studies, strings(rows["record_file"]))
    named = _named_ids(rows, owners)
    pairs = {
        (mine, other)
        for mine, other in zip(cells(named["mine"]), cells(named["other"]), strict=True)
        if mine in trials or other in trials
    }
    known = set(_records_of(studies, {other for _, other in pairs})["canonical"])
    return {(min(pair), max(pair)) for pair in pairs if pair[1] in known}


@rule(
    "duplicate-registration",
    severity="warning",
    scope="corpus",
    linkage=Linkage(record_keys, recheck),
)
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    records = _records(tables.studies)
    known = set(records["canonical"])
    declared = {
        pair: how
        for pair, how in _declared(_named_ids(tables.identifiers, records)).items()
        if set(pair) <= known
    }
    candidates = _candidate_pairs(records)
    wanted = {c for pair in (*declared, *candidates) for c in pair}
    trials = _trials(tables, records, wanted)
    for cluster in _clusters(_links(declared, candidates, trials), trials):
        yield _finding(ctx, trials, cluster)
