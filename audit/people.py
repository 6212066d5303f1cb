"""Who is who among the people entries (officials, investigators, contacts): one answer for the
contact-name-mismatch rule and the report's people view, so that the two never disagree.

Entries are one person when linked, directly or through other entries, by

* the same email address;
* an email whose local part reads as a name (liu.zhongmin@...; ``names.email_name_tokens``) and
  an entry of that name, or with that same local part, at the same institution;
* the same name (``names.name_key``: case, accents, order, titles and degrees aside) at the same
  institution.

"Same institution" compares the distinctive words of the affiliation, the record's sponsor and
the email's domain with rapidfuzz. A phone number never links people: departments share phones.
An entry that names no person (``no_person``, placeholder-contact's judgement: an organization,
a role, "TBD") is nobody and links nobody. An entry without a name joins the person of its email
address (``everyone``); it has no spelling.

Two names with no word in common and no two words alike (``may_be_one_person``) are clearly
different people: ``addresses_of_others`` finds an address given for such people when it spells
one's name (the shared-email rule).

How a person's name is written, and misspelled, is ``audit.spellings``'s part.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import combinations, groupby
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray
from rapidfuzz import fuzz

from audit.frames import cells, components, each_distinct, strings, value
from audit.names import (
    ORG_WORDS,
    WORD_SIMILARITY,
    email_name_key,
    fold,
    may_repeat_a_sponsor,
    name_key,
    name_tokens,
    not_a_person,
    not_a_person_in_record,
    same_name,
    word_set,
)
from audit.spellings import Spelling, misspellings, same_word, spellings
from audit.tables import Tables, among, only_rows, positions

INSTITUTION_SIMILARITY = 90  # token_set_ratio of the institutions' distinctive words
_WEBMAIL = word_set(
    "gmail googlemail yahoo hotmail outlook live msn aol icloud qq 163 126 sina sohu "
    "foxmail mail email yandex gmx web orange free wanadoo naver hanmail rediffmail "
    "protonmail"
)
_STOPWORDS = word_set(
    "of the and for de la del di du des der at in affiliated first second third general "
    "people s peoples"
)


# --- entries that name no person ----------------------------------------------------------


def no_person(tables: Tables, rows: Iterable[int] | None = None) -> list[tuple[str, str] | None]:
    """For each people row (or each of ``rows``, positions in the people table): ``(kind,
    why)`` when its entry names no person (``names.not_a_person_in_record``), else None."""
    people = tables.people[["name", "degrees", "record_file"]]
    people = people if rows is None else people.iloc[list(rows)]
    # Most names are plainly people's: each distinct name is judged once, and only one-word
    # names without degrees are compared with their record's sponsor and collaborators.
    codes, distinct = pd.factorize(people["name"])
    judged = [not_a_person(name) for name in distinct.tolist()]
    pairs = zip(distinct.tolist(), judged, strict=True)
    alias = [not kind and may_repeat_a_sponsor(name) for name, kind in pairs]
    # An entry without a name (a contact known by its email or phone) has no name to judge.
    kinds = [judged[code] if code >= 0 else None for code in codes.tolist()]
    degrees = cells(people["degrees"])
    doubtful = [i for i, code in enumerate(codes) if code >= 0 and alias[code] and not degrees[i]]
    if doubtful:
        files = people["record_file"].iloc[doubtful].tolist()
        organizations = _organizations(tables.studies, set(files))
        names = people["name"].iloc[doubtful].tolist()
        for i, name, file in zip(doubtful, names, files, strict=True):
            kinds[i] = not_a_person_in_record(name, None, organizations.get(file, []))
    return kinds


def _organizations(studies: pd.DataFrame, files: set[str]) -> dict[str, list[str]]:
    """The sponsor and collaborators of each of these record files."""
    chosen = studies[studies["record_file"].isin(files)]
    return {
        record_file: [o for o in [value(sponsor), *(value(collaborators) or "").split("|")] if o]
        for record_file, sponsor, collaborators in zip(
            chosen.record_file, chosen.sponsor, chosen.collaborators, strict=True
        )
    }


# --- entries as linking sees them ---------------------------------------------------------


class Entry(NamedTuple):
    """One people row with what linking and comparing need (``name`` None: no name given)."""

    name: str | None
    tokens: tuple[str, ...]
    key: str
    email: str | None
    email_key: str
    institutions: tuple[str, ...]
    row: int
    record_file: str
    trial_id: str | None
    source: str | None
    role: str | None
    item: int  # the entry's index in its record's people (SARIF points at it)


def _address(email: str) -> str | None:
    """The address as compared: stripped, lower case; None for ''."""
    return email.strip().lower() or None


def _email_details(email: str) -> tuple[str | None, str]:
    """The address as compared and the name it reads as ('' for none)."""
    return _address(email), email_name_key(email)


_KEPT: dict[tuple[int, str], Any] = {}


def _kept(owner: object, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, once per living ``owner``: an incremental run's contact-name-mismatch
    rule and its report resolve the same change's persons over the same tables."""
    key = (id(owner), name)
    if key not in _KEPT:
        _KEPT[key] = compute()
        weakref.finalize(owner, _KEPT.pop, key, None)
    return _KEPT[key]


# Each distinct name's key, and each address as compared with the name it reads as: pure
# functions of the text, kept between runs beside the table cache (``known_keys``,
# ``learn_keys``) and looked up in bulk, so an incremental run keys only the names and
# addresses it has not seen. Per kind: the texts (Arrow) and, per result, an array. Each
# kind's function, its results for a missing text and the kept file's column of each result.
_KNOWN: dict[str, tuple[pa.Array, list[np.ndarray]]] = {}
_KINDS: dict[str, tuple[Callable[[str], tuple[Any, ...]], tuple[Any, ...], tuple[str, ...]]] = {
    "name": (lambda text: (name_key(text),), ("",), ("key",)),
    "email": (_email_details, (None, ""), ("address", "key")),
}
PERSON_KEY_COLUMNS = ["kind", "text", "key", "address"]  # of the kept keys (`known_keys`)


def _each_text(column: pd.Series, kind: str) -> list[ArrowStringArray]:
    """Per result of ``kind``'s function, its value for every cell of a text column (the
    missing value for nulls), as Arrow text, which later steps number in bulk (a registry's
    rows as Python objects took a second to number): looked up among the texts known
    (Arrow's hash lookup; a dictionary of a registry's million addresses took seconds to
    build), computed once per other distinct text, which is known from then on."""
    compute, missing, _ = _KINDS[kind]
    codes, distinct = pd.factorize(column)
    texts = pa.array(distinct.array, type=pa.string())
    known, results = _known(kind)
    at = positions(texts, known)
    fresh, hit = np.flatnonzero(at < 0), np.flatnonzero(at >= 0)
    computed = list(zip(*map(compute, texts.take(fresh).to_pylist()), strict=True))
    found = []
    for index, empty in enumerate(missing):
        values = np.empty(len(texts) + 1, dtype=object)  # the last: code -1 (null)
        values[hit] = results[index][at[hit]]
        values[fresh] = computed[index] if computed else []
        values[-1] = empty
        found.append(values)
    if len(fresh):
        _KNOWN[kind] = _joined(known, results, texts.take(fresh), [v[fresh] for v in found])
    rows = pa.array(np.where(codes < 0, len(texts), codes))
    return [ArrowStringArray(pa.array(values, pa.string()).take(rows)) for values in found]


def _known(kind: str) -> tuple[pa.Array, list[np.ndarray]]:
    empty = (pa.array([], pa.string()), [np.empty(0, dtype=object) for _ in _KINDS[kind][1]])
    return _KNOWN.get(kind) or empty


def _joined(
    texts: pa.Array, results: list[np.ndarray], more: pa.Array, more_results: list[np.ndarray]
) -> tuple[pa.Array, list[np.ndarray]]:
    joined = pa.concat_arrays([texts, more])
    return joined, [np.concatenate(pair) for pair in zip(results, more_results, strict=True)]


def known_keys(tables: Tables) -> pd.DataFrame:
    """The keys known of the names and addresses in ``tables``'s people: rows of ``kind``
    (name or email), ``text``, ``key`` (the name key, or the name the address reads as) and
    ``address`` (the address as compared; None for names)."""
    parts = []
    for kind, (*_, columns) in _KINDS.items():  # the people table's column of that name
        texts, results = _known(kind)
        if not len(texts):
            continue
        wanted = pc.unique(pa.array(tables.people[kind], type=pa.string()).drop_null())
        rows = np.flatnonzero(pc.is_in(texts, value_set=wanted).to_numpy(zero_copy_only=False))
        frame = {"kind": kind, "text": texts.take(rows).to_numpy(zero_copy_only=False)}
        frame |= {"address": None}  # a name's results have none
        frame |= {c: found[rows] for c, found in zip(columns, results, strict=True)}
        parts.append(pd.DataFrame(frame, columns=PERSON_KEY_COLUMNS, dtype=object))
    empty = pd.DataFrame(columns=PERSON_KEY_COLUMNS)
    return pd.concat(parts, ignore_index=True) if parts else empty


def learn_keys(known: pd.DataFrame) -> None:
    """Take back keys ``known_keys`` gave (computed by this same code)."""
    for kind, (*_, columns) in _KINDS.items():
        rows = only_rows(known, (known["kind"] == kind).to_numpy(dtype=bool))
        texts = strings(rows["text"])
        results = [rows[c].to_numpy(dtype=object, na_value=None) for c in columns]
        held, held_results = _known(kind)
        others = np.flatnonzero(positions(held, texts) < 0)
        _KNOWN[kind] = _joined(texts, results, held.take(others), [r[others] for r in held_results])


def named(tables: Tables) -> pd.DataFrame:
    """People rows with a name, indexed by position: the name, its key, the email as compared
    and the name the email reads as, each computed once per distinct name or address (and
    once per tables)."""
    return _kept(tables, "named", lambda: _named(tables.people))


def _named(table: pd.DataFrame) -> pd.DataFrame:
    [key] = _each_text(table["name"], "name")
    address, email_key = _each_text(table["email"], "email")
    frame = pd.DataFrame(
        {"name": table["name"].array, "key": key, "email": address, "email_key": email_key}
    )
    return only_rows(frame, (frame["key"] != "").to_numpy(dtype=bool))


@lru_cache(maxsize=1 << 16)
def _distinctive(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold(text))
    kept = [w for w in words if w not in ORG_WORDS and w not in _STOPWORDS and len(w) > 1]
    return " ".join(sorted(set(kept)))


def _domain(email: str | None) -> tuple[str, ...]:
    if not email or "@" not in email:
        return ()
    return _domain_words(email.split("@", 1)[1])


@lru_cache(maxsize=1 << 16)
def _domain_words(domain: str) -> tuple[str, ...]:
    labels = fold(domain).split(".")[:-1]
    return tuple(w for w in labels if len(w) > 3 and w not in _WEBMAIL)


def _shared(rows: pd.DataFrame) -> np.ndarray:
    """Which rows (of ``named``) share their name, or their email's name, with another row:
    only those are ever linked by institution."""
    said = pd.DataFrame(
        {
            "row": np.tile(np.arange(len(rows)), 2),
            "name": pd.concat([rows["key"], rows["email_key"]], ignore_index=True),
        }
    )
    said = said[said["name"] != ""].drop_duplicates()
    many = said["name"].duplicated(keep=False).to_numpy()
    return np.isin(np.arange(len(rows)), said["row"].to_numpy()[many])


def _institutions(
    tables: Tables, table: pd.DataFrame, keys: list[str], needed: np.ndarray
) -> list[tuple[str, ...]]:
    """For each people row, the distinctive words of its affiliation, its record's sponsor and
    its email's domain, pooled with those of same-named rows of the same record (the contact
    row rarely repeats the PI's affiliation): a sorted tuple of texts; () where not
    ``needed``."""
    files, emails = cells(table["record_file"]), cells(table["email"])
    affiliations = cells(table["affiliation"])
    pooled: dict[tuple[str, str], set[str]] = defaultdict(set)
    chosen = np.flatnonzero(needed).tolist()
    studies = tables.studies  # only the records of the rows needed: a registry has 625,219
    studies = only_rows(studies, among(studies["record_file"], {files[i] for i in chosen}))
    sponsor_of = dict(zip(cells(studies["record_file"]), cells(studies["sponsor"]), strict=True))
    for i in chosen:
        said = pooled[(files[i], keys[i])]
        for text in (affiliations[i], sponsor_of.get(files[i]), *_domain(emails[i])):
            if text and (words := _distinctive(text)):
                said.add(words)
    found: list[tuple[str, ...]] = [()] * len(table)
    done = {group: tuple(sorted(texts)) for group, texts in pooled.items()}
    for i in chosen:
        found[i] = done[(files[i], keys[i])]
    return found


def _entries(tables: Tables, rows: pd.DataFrame) -> list[Entry]:
    """``rows`` (of ``named``) as entries, each with its institutions."""
    table = tables.people.iloc[rows.index]
    names, keys = cells(rows["name"]), rows["key"].tolist()
    tokens = {name: tuple(name_tokens(name)) for name in dict.fromkeys(names)}
    return list(
        map(
            Entry._make,
            zip(
                names,
                [tokens[name] for name in names],
                keys,
                cells(rows["email"]),
                cells(rows["email_key"]),
                _institutions(tables, table, keys, _shared(rows)),
                rows.index.tolist(),
                cells(table["record_file"]),
                cells(table["trial_id"]),
                cells(table["source"]),
                cells(table["role"]),
                table["item"].tolist(),
                strict=True,
            ),
        )
    )


# --- linking ------------------------------------------------------------------------------


def _numbered(entries: list[Entry]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The entries as numbers: ``row``; ``name`` and ``local`` (the name an email reads as, -1
    for none) numbered alike; ``email`` (-1 for none); ``place``, their institutions. And one
    row per text of each entry's institutions (``text``)."""
    count = len(entries)
    names = pd.factorize(pd.Series([e.key for e in entries] + [e.email_key for e in entries]))[0]
    place, places = pd.factorize(pd.Series([e.institutions for e in entries], dtype=object))
    frame = pd.DataFrame(
        {
            "row": np.arange(count),
            "name": names[:count],
            "local": np.where([e.email_key != "" for e in entries], names[count:], -1).astype(int),
            "email": pd.factorize(pd.Series([e.email for e in entries], dtype=object))[0],
            "place": place,
        }
    )
    listed = [(k, text) for k, texts in enumerate(places) for text in texts]
    texts = pd.DataFrame(listed, columns=["place", "text"]).astype({"place": "int64"})
    texts["text"] = pd.factorize(texts["text"])[0]
    return frame, frame.merge(texts, on="place")


def _local_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """Each name-like local part (``part``) with its ``owner`` rows and the rows of its name."""
    owners = frame[frame["local"] >= 0]
    named = frame[frame["name"].isin(owners["local"])]
    return pd.concat(
        [
            owners.assign(part=owners["local"], owner=True),
            named.assign(part=named["name"], owner=False),
        ]
    )


def _to_first(frame: pd.DataFrame, by: list[str], leads: str | None = None) -> np.ndarray:
    """Links (pairs of ``row``) from each row to the first leading row (the first row when
    ``leads`` is None) of its group; rows of groups without a leading row get none."""
    group = frame.groupby(by, sort=False).ngroup().to_numpy()
    rows = frame["row"].to_numpy()
    lead = frame[leads].to_numpy(dtype=bool) if leads else np.ones(len(frame), dtype=bool)
    first = np.full(len(frame), -1)
    led, at = np.unique(group[lead], return_index=True)
    first[led] = rows[lead][at]
    target = first[group]
    return np.stack([rows[target >= 0], target[target >= 0]])


def _exact_links(frame: pd.DataFrame, texts: pd.DataFrame) -> list[np.ndarray]:
    """The links that need no comparison of institutions: one address; one name at the same
    institutions; one name at institutions sharing a text (the same institution, whatever
    else they list); a name-like local part's owner with anyone of its name or owning it at
    institutions sharing a text."""
    return [
        _to_first(frame[frame["email"] >= 0], ["email"]),
        _to_first(frame, ["name", "place"]),
        _to_first(texts, ["name", "text"]),
        _to_first(_local_parts(texts), ["part", "text"], leads="owner"),
    ]


@lru_cache(maxsize=200_000)
def _same_institution(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return any(fuzz.token_set_ratio(x, y) >= INSTITUTION_SIMILARITY for x in a for y in b)


def _similar_links(entries: list[Entry], frame: pd.DataFrame, apart: np.ndarray) -> np.ndarray:
    """Links that need a comparison of institutions: within one name, or a local part with its
    owners and its name, where the exact links leave the group in several parts (``apart``:
    each row's exact group), each owner's institutions with every other distinct institutions
    of the group in another part."""
    frame = frame.assign(root=apart)
    pairs: list[tuple[int, int]] = []
    for groups in (frame.assign(part=frame["name"], owner=True), _local_parts(frame)):
        groups = groups[groups.groupby("part")["root"].transform("nunique") > 1]
        ordered = groups.sort_values(["part", "owner", "row"], ascending=[True, False, True])
        listed = zip(*(ordered[c].tolist() for c in ("part", "row", "owner", "root")), strict=True)
        for _, members in groupby(listed, key=itemgetter(0)):
            places: dict[tuple[str, ...], tuple[int, bool, int]] = {}
            for _, i, owner, root in members:
                places.setdefault(entries[i].institutions, (i, owner, root))
            pairs += _similar_places(list(places.items()))
    return np.array(pairs, dtype=int).reshape(-1, 2).T


def _similar_places(
    places: list[tuple[tuple[str, ...], tuple[int, bool, int]]],
) -> Iterable[tuple[int, int]]:
    """Pairs of the rows standing for similar institutions (owners' first), one of them an
    owner's, in different exact groups."""
    for k, (a, (i, owner, root)) in enumerate(places):
        if not owner:
            return
        for b, (j, _, other) in places[k + 1 :]:
            if root != other and _same_institution(a, b):
                yield (i, j)


def _link(entries: list[Entry]) -> np.ndarray:
    """Each entry's person, named by its smallest entry number. The links that need no
    comparison are made in bulk; institutions are compared only where those leave a name or
    a local part in several parts."""
    frame, texts = _numbered(entries)
    exact = _exact_links(frame, texts)
    apart = components(len(entries), exact)
    return components(len(entries), [*exact, _similar_links(entries, frame, apart)])


def _several_names(entries: list[Entry], person: np.ndarray) -> np.ndarray:
    """Which entries' persons have two or more names (name keys or names emails read as)."""
    said = pd.DataFrame(
        {
            "person": np.concatenate([person, person]),
            "name": [e.key for e in entries] + [e.email_key for e in entries],
        }
    )
    said = said[said["name"] != ""].drop_duplicates()
    counted = said["person"].value_counts()
    return np.isin(person, counted.index[counted > 1])


def _may_have_several_names(tables: Tables, rows: pd.DataFrame) -> np.ndarray:
    """Which rows (of ``named``) may belong to a person of two or more names.

    Links keep the name, except an address shared by two names, so such a person has a seed:
    a row whose email reads as another name, or an address shared by two names. The seeds'
    persons are found by adding, until nothing new comes, every row that shares a name, an
    email name or an address with the rows found. Rows that name no person never count."""
    count = len(rows)
    key, local, email = _name_numbers(rows)
    names_of = pd.DataFrame({"email": email, "key": key})[email >= 0].drop_duplicates()
    shared = names_of["email"][names_of["email"].duplicated()]
    new = ((local >= 0) & (local != key)) | np.isin(email, shared)
    checked, found = np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
    people_rows = rows.index.to_numpy()
    labels = max(key.max(initial=-1), local.max(initial=-1)) + 1
    while new.any():
        checked |= new
        candidates = np.flatnonzero(new)
        judged = no_person(tables, people_rows[candidates])
        found[candidates[[kind is None for kind in judged]]] = True
        label_seen = np.zeros(labels + 1, dtype=bool)  # the last place stands for -1
        label_seen[key[found]] = label_seen[local[found]] = True
        address_seen = np.zeros(email.max(initial=-1) + 2, dtype=bool)
        address_seen[email[found]] = True
        label_seen[-1] = address_seen[-1] = False
        new = (label_seen[key] | label_seen[local] | address_seen[email]) & ~checked
    return found


# --- who is who ---------------------------------------------------------------------------


@dataclass
class Person:
    """One person: their entries, the ways their name is written, and the groups of those
    that differ by a misspelled word (each worked out when first asked)."""

    entries: list[Entry]

    @cached_property
    def spellings(self) -> list[Spelling]:
        return spellings(self.entries)

    @cached_property
    def misspellings(self) -> list[list[Spelling]]:
        return misspellings(self.spellings)


def _grouped(entries: list[Entry], labels: np.ndarray) -> list[list[Entry]]:
    """The entries of each person (``labels``: their persons), each list in entry order, lists
    in order of their first entries."""
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    groups = [[entries[i] for i in part] for part in np.split(order, bounds)] if len(order) else []
    return sorted(groups, key=lambda group: group[0].row)


def spelled_several_ways(tables: Tables) -> list[Person]:
    """The persons with two or more names (name keys, or names their emails read as): the only
    ones that can have misspellings. Only the rows that may belong to one are linked."""
    rows = named(tables)
    rows = rows[_may_have_several_names(tables, rows)]
    entries = _entries(tables, rows)
    labels = _link(entries)
    several = _several_names(entries, labels)
    kept = [e for e, keep in zip(entries, several, strict=True) if keep]
    return [Person(group) for group in _grouped(kept, labels[several])]


def everyone(tables: Tables) -> list[Person]:
    """Every person, in order of their first entries: entries that name a person are linked;
    an entry without a name joins the person of its email address, else the other nameless
    entries of that address, else stands alone."""
    return [Person(entries) for entries in _grouped(*_everyone(tables))]


def _everyone(tables: Tables) -> tuple[list[Entry], np.ndarray]:
    """Every entry that may be a person's, with its person's number."""
    rows = named(tables)
    rows = rows[np.array([kind is None for kind in no_person(tables, rows.index)], dtype=bool)]
    entries = _entries(tables, rows)
    labels = _link(entries).tolist()
    person_of = {e.email: at for e, at in zip(entries, labels, strict=True) if e.email}
    nameless = _nameless(tables)
    for k, entry in enumerate(nameless, start=len(entries)):
        labels.append(person_of.setdefault(entry.email, k) if entry.email else k)
    return entries + nameless, np.array(labels, dtype=int)


def _nameless(tables: Tables) -> list[Entry]:
    """The entries that give no name (none, or only white space)."""
    table = tables.people
    rows = np.flatnonzero(_no_name(tables))
    chosen = table.iloc[rows]
    addresses = each_distinct(chosen["email"], _address, None)
    columns = [cells(chosen[c]) for c in ("record_file", "trial_id", "source", "role")]
    columns.append(chosen["item"].tolist())
    return [
        Entry(None, (), "", address, "", (), row, *rest)
        for address, row, *rest in zip(addresses, rows.tolist(), *columns, strict=True)
    ]


def _no_name(tables: Tables) -> np.ndarray:
    """Which people rows give no name (none, or only white space): looked for among the rows
    ``named`` leaves out only (a name with a key is not blank), which are few."""
    table = tables.people
    blank = np.ones(len(table), dtype=bool)
    blank[named(tables).index.to_numpy()] = False
    rows = np.flatnonzero(blank)
    names = table["name"].iloc[rows]
    blank[rows] = (names.isna() | (names.astype(str).str.strip() == "")).to_numpy(dtype=bool)
    return blank


# --- the persons of some entries, for incremental runs -----------------------------------


def reach(tables: Tables, seeds: np.ndarray) -> np.ndarray:
    """Which people rows belong to the person of a ``seeds`` row (a boolean per people row;
    seeds included), found without linking the whole corpus: each round links the rows found
    so far with every row sharing a name key, an email name or an address with them (every
    link runs through one of these exact keys, the institutions are compared after: a new
    kind of link must bring its key here) and keeps the rows of their persons. Entries that
    name no person are linked here too, so the rows found may be more than the persons'."""
    rows = named(tables)
    count = len(rows)
    positions = rows.index.to_numpy()
    found = np.asarray(seeds, dtype=bool)[positions]
    key, local, email, pooled = _kept(tables, "keys", lambda: _keys(tables))
    while True:
        names = np.zeros(max(key.max(initial=-1), local.max(initial=-1)) + 2, dtype=bool)
        names[key[found]] = names[local[found]] = True
        names[-1] = False
        addresses = np.zeros(email.max(initial=-1) + 2, dtype=bool)
        addresses[email[found]] = True
        addresses[-1] = False
        near = found | names[key] | names[local] | addresses[email]
        near |= np.isin(pooled, pooled[near])
        chosen = np.flatnonzero(near)
        labels = _link(_entries(tables, rows.iloc[chosen]))
        grown = np.zeros(count, dtype=bool)
        grown[chosen[np.isin(labels, labels[found[chosen]])]] = True
        if (grown == found).all():
            break
        found = grown
    result = np.zeros(len(tables.people), dtype=bool)
    result[positions[found]] = True
    return result


def _keys(tables: Tables) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_name_numbers`` of the rows of ``named`` and, for each, its name in its record as a
    number (the institutions of a row pool those of the rows of its name in its record, so a
    row is linked with all of them)."""
    rows = named(tables)
    key, local, email = _name_numbers(rows)
    files = pd.factorize(tables.people["record_file"].iloc[rows.index.to_numpy()])[0]
    # (file, name key) pairs numbered as one integer each: joining the two as text was most of
    # this function's time over a registry's people.
    pooled = pd.factorize(files.astype(np.int64) * (int(key.max(initial=0)) + 1) + key)[0]
    return key, local, email, pooled


def _name_numbers(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``named``, as numbers: its name key, the name its email reads as (-1
    for none; numbered as the keys) and its address (-1 for none)."""
    count = len(rows)
    codes = pd.factorize(pd.concat([rows["key"], rows["email_key"]], ignore_index=True))[0]
    no_local = (rows["email_key"] == "").to_numpy(dtype=bool)
    return codes[:count], np.where(no_local, -1, codes[count:]), pd.factorize(rows["email"])[0]


_BEFORE = "\x00before/"  # marks the rows changed files had before, beside their rows now

Key = tuple[str, int]  # an entry: its record file and its index in the record's people


def with_previous(tables: Tables, changed: set[str], previous: Tables) -> tuple[Tables, np.ndarray]:
    """The tables now and, as records of their own, the studies and people rows the changed
    files had before (``previous``); and which people rows are the changed files', now or
    before (``entry_keys`` names them as entries of their files again). Made once per
    change (so ``named`` of them is computed once)."""
    made = _kept(previous, "with", dict)
    if made.get("tables") is not tables or made.get("changed") != changed:
        made |= {
            "tables": tables,
            "changed": set(changed),
            "both": _with_previous(tables, changed, previous),
        }
    both, seeds = made["both"]
    return both, seeds.copy()


def _with_previous(
    tables: Tables, changed: set[str], previous: Tables
) -> tuple[Tables, np.ndarray]:
    before = {
        name: frame.assign(record_file=_BEFORE + frame["record_file"].astype(str))
        for name, frame in previous.items()
        if name in ("studies", "people")
    }
    both = Tables(
        **{
            name: pd.concat([frame, before[name]], ignore_index=True) if name in before else frame
            for name, frame in tables.items()
        }
    )
    # The rows now are ``tables``'s: their ``named`` rows are taken, not made again.
    earlier = _named(before["people"])
    earlier.index += len(tables.people)
    _kept(both, "named", lambda: pd.concat([named(tables), earlier]))
    files = both.people["record_file"].astype(str)
    changed_rows = files.isin(changed | {_BEFORE + name for name in changed}).to_numpy(dtype=bool)
    return both, changed_rows


def entry_keys(people: pd.DataFrame, rows: np.ndarray) -> set[Key]:
    """The entries of these people rows (of ``with_previous``'s tables)."""
    found = people[rows]
    return {
        (file.removeprefix(_BEFORE), int(item))
        for file, item in zip(found["record_file"].astype(str), found["item"], strict=True)
    }


def reach_everyone(tables: Tables, seeds: np.ndarray) -> np.ndarray:
    """``reach`` for persons as ``everyone`` resolves them, which also hold the entries
    without a name: those join the person of their address, so the named entries of a seed's
    address are seeds too, and every nameless entry of an address found is found."""
    nameless = _kept(tables, "nameless", lambda: _no_name(tables))
    address = _kept(tables, "addresses", lambda: _addresses(tables, nameless))
    given = np.zeros(address.max(initial=-1) + 2, dtype=bool)  # the last: no address
    given[address[seeds & nameless]] = True
    given[-1] = False
    found = reach(tables, seeds | (~nameless & given[address]))
    given[address[found]] = True
    given[-1] = False
    return found | (seeds & nameless) | (nameless & given[address])


def _addresses(tables: Tables, nameless: np.ndarray) -> np.ndarray:
    """Each people row's address as compared, as a number (-1: none; -1 too for a row that
    is neither ``named`` nor ``nameless``: no person's). ``named`` holds the named rows'
    addresses already; reached persons are followed through these numbers, not texts."""
    rows = named(tables)
    texts = np.full(len(tables.people), None, dtype=object)
    texts[rows.index.to_numpy()] = rows["email"].to_numpy()
    chosen = tables.people["email"].iloc[np.flatnonzero(nameless)]
    texts[nameless] = each_distinct(chosen, _address, None)
    return pd.factorize(texts)[0]


def persons_changed(
    tables: Tables, changed: set[str], previous: Tables, also: set[str]
) -> tuple[set[Key], list[Person]]:
    """The entries of every person (as ``everyone`` resolves them) that an entry of the
    changed files, now or before the change (``previous``: the rows they had), or of the
    files ``also`` belongs to, now or before; and those persons as they are now, in the
    order ``everyone`` gives them. Only their records are resolved."""
    both, seeds = with_previous(tables, changed, previous)
    if also:
        seeds |= among(both.people["record_file"], also)
    found = entry_keys(both.people, reach_everyone(both, seeds))
    files = tables.studies["record_file"]
    now = set(files[among(files, changed)])
    persons = everyone(tables.subset(({file for file, _ in found} - changed) | now))
    return found, [p for p in persons if (p.entries[0].record_file, p.entries[0].item) in found]


# --- one address, different people -------------------------------------------------------

OWNER_WORD = 4  # a name word the address spells must be this long to say whose it is


def may_be_one_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names (``names.name_tokens``) may be one person's: they share a word, or
    have two words alike (a misspelling, a transliteration, a nickname: ``same_word``).
    Names with no common or similar word are clearly different people."""
    return same_name(a, b) or any(
        x == y or same_word(x, y) or fuzz.ratio(x, y) >= WORD_SIMILARITY for x in a for y in b
    )


@dataclass
class SharedAddress:
    """An email address given for clearly different people, one of whom it spells the name
    of (``owner``); ``others``: the entries of each other person."""

    address: str
    owner: list[Entry]
    others: list[list[Entry]]


def _full_name(entry: Entry) -> bool:
    return len([t for t in entry.tokens if len(t) > 1]) >= 2


def _spells(local: str, tokens: tuple[str, ...], shortest: int) -> bool:
    return any(len(t) >= shortest and t in local for t in tokens)


def addresses_of_others(tables: Tables) -> list[SharedAddress]:
    """Addresses given for two or more clearly different people (``may_be_one_person``),
    each with a full name (two words), when the address spells a name word of exactly one
    of them ("sangeeta.pathak@..." for "Sangeeta Pathak" and "Rajesh Saxena"): the address
    is that person's, and the others' entries give someone else's. An address that spells
    nobody's name (a study or department mailbox, "research@...", "55815147@qq.com") may
    serve several people and is left out, as are entries that name no person."""
    rows = named(tables)
    rows = rows[rows["email"].notna()]
    rows = rows[rows.groupby("email")["key"].transform("nunique") > 1]
    if rows.empty:
        return []
    rows = rows[np.array([kind is None for kind in no_person(tables, rows.index)], dtype=bool)]
    found = []
    entries = sorted(_entries(tables, rows), key=lambda e: (e.email or "", e.row))
    for address, group in groupby(entries, key=lambda e: e.email or ""):
        people = [e for e in group if _full_name(e)]
        if len({e.key for e in people}) < 2:
            continue
        pairs = [
            (i, j)
            for i, j in combinations(range(len(people)), 2)
            if may_be_one_person(people[i].tokens, people[j].tokens)
        ]
        labels = components(len(people), [np.array(pairs, dtype=int).reshape(-1, 2).T])
        persons = [[people[i] for i in part] for part in _parts(labels)]
        if len(persons) < 2:
            continue
        local = re.sub(r"[^a-z]", "", fold(address.split("@", 1)[0]))
        owners = [p for p in persons if any(_spells(local, e.tokens, OWNER_WORD) for e in p)]
        if len(owners) != 1:
            continue
        others = [p for p in persons if p is not owners[0]]
        if any(_spells(local, e.tokens, 3) for p in others for e in p):
            continue
        found.append(SharedAddress(address, owners[0], others))
    return found


def _parts(labels: np.ndarray) -> list[list[int]]:
    """The positions of each label, in order of first position."""
    parts: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        parts.setdefault(label, []).append(i)
    return list(parts.values())
