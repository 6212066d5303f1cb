"""One person's name is spelled two ways: the same contact or official, a misspelled word.

What it detects: people who are evidently the same person but whose names differ in one
misspelled word, e.g. "Zhongming Liu" in NCT04216849 and "liu zhongmin" in NCT04441658.
People are linked only by strong evidence, never by comparing everyone with everyone:

* the same email address;
* an email whose local part reads as a name (two or more words of at least two letters, as in
  liu.zhongmin@...; "info", "jsmith2", "wcr601" or "clinical.trials" do not count), and a
  person of that name, or with that same local part, at the same institution;
* the same name at the same institution.

"Same institution" compares the affiliation, the record's sponsor and the email domain with
rapidfuzz, after dropping generic words (Hospital, University, ...). A shared phone number never
links people: departments share phones. Within linked people, two spellings are reported when
they agree in every word but one, and that word is at least four letters long and at least 80%
similar ("zhongming" vs "zhongmin", "Fritsch" vs "Fritsche"). Not reported: differences of
case, accents, punctuation, spacing ("Mc Call"), titles and degrees ("Dr.", "MD", "MSc-MD"),
name order ("wang congrong" = "Congrong Wang"), German umlauts ("Wössmann" = "Woessmann"),
missing initials or name parts ("Pilar Palomo" vs "Pilar M Palomo Moraleda"), and different
names behind one shared mailbox (an office address used by several investigators).

A name that differs in one word from its own email address when no second spelling exists
("Daniel Fortan", email daniel.forton@...) is reported at ``info``: the address may be the
misspelled one. Entries that name no person (see placeholder-contact) are left out.

Why it matters: a misspelled name splits one investigator into two people, so searches by
investigator, conflict-of-interest checks and contact look-ups miss trials, and readers cannot
tell which spelling is right.

How to fix: check the person (the email address and the institution's staff page usually
settle it), correct the wrong spelling in the source registry entry and re-import.

Example: "Zhongming Liu" (NCT04216849, ctgov-classic, email liu.zhongmin@tongji.edu.cn) and
"liu zhongmin" (NCT04441658, veeva) -> warning "One person is spelled 2 ways ... ("zhongmin"
vs "zhongming"). The email liu.zhongmin@tongji.edu.cn reads "liu zhongmin"."
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import combinations
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from audit.findings import Finding
from audit.names import (
    ORG_WORDS,
    email_name_tokens,
    fold,
    name_key,
    name_tokens,
    not_a_person,
    same_name,
    spelling_difference,
    word_set,
)
from audit.rules import Context, rule
from audit.tables import Tables

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


class Person(NamedTuple):
    """One people row with what linking and comparing need."""

    name: str
    tokens: tuple[str, ...]
    key: str
    email: str | None
    email_key: str
    institutions: tuple[str, ...]
    record_file: str
    trial_id: str | None
    source: str | None
    role: str | None


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


def _cells(column: pd.Series) -> list[Any]:
    """A table column as plain values, None for missing."""
    return column.astype(object).where(column.notna(), None).tolist()


def _each_distinct(column: pd.Series, function: Callable[[str], Any], missing: Any) -> list[Any]:
    """``function`` of every cell of a text column, computed once per distinct text
    (``missing`` for nulls)."""
    codes, texts = pd.factorize(column)
    results = [function(text) for text in texts] + [missing]  # code -1 (null) takes the last
    return [results[code] for code in codes]


def _email_details(email: str) -> tuple[str, str]:
    """The address as compared (stripped, lower case) and the name it reads as ('' for none)."""
    return email.strip().lower(), " ".join(sorted(email_name_tokens(email)))


def _names_a_person(name: str) -> bool:
    return not not_a_person(name)


def _linkable(tables: Tables) -> pd.DataFrame:
    """People rows with a name: the row's name, name key, email as compared (None for none)
    and the name the email reads as, each computed once per distinct name or address."""
    table = tables.people
    emails = _each_distinct(table["email"], _email_details, (None, ""))
    frame = pd.DataFrame(
        {
            "name": _cells(table["name"]),
            "key": _each_distinct(table["name"], name_key, ""),
            "email": [
                email if raw else None
                for raw, (email, _) in zip(_cells(table["email"]), emails, strict=True)
            ],
            "email_key": [key for _, key in emails],
        }
    )
    return frame[frame["key"] != ""]


def _in_reported_clusters(rows: pd.DataFrame) -> np.ndarray:
    """Which rows may be in a cluster of two or more names (keys or email names).

    Links keep the name, except an address shared by two names, so such a cluster has a seed:
    a row whose email reads as another name, or an address shared by two names. The seeds'
    clusters are found by adding, until nothing new comes, every row that shares a name, an
    email name or an address with the rows found. Only rows that name a person count."""
    count = len(rows)
    codes, labels = pd.factorize(pd.concat([rows["key"], rows["email_key"]], ignore_index=True))
    key, local = codes[:count], codes[count:].copy()
    local[(rows["email_key"] == "").to_numpy()] = -1  # -1: no name, no address
    email, addresses = pd.factorize(rows["email"])
    names_of = pd.DataFrame({"email": email, "key": key})[email >= 0].drop_duplicates()
    shared = names_of["email"][names_of["email"].duplicated()]
    new = ((local >= 0) & (local != key)) | np.isin(email, shared)
    checked, found = np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
    names = rows["name"].to_numpy(dtype=object)
    while new.any():
        checked |= new
        candidates = np.flatnonzero(new)
        found[candidates[[_names_a_person(name) for name in names[candidates]]]] = True
        label_seen = np.zeros(len(labels) + 1, dtype=bool)  # the last place stands for -1
        label_seen[key[found]] = label_seen[local[found]] = True
        address_seen = np.zeros(len(addresses) + 1, dtype=bool)
        address_seen[email[found]] = True
        label_seen[-1] = address_seen[-1] = False
        new = (label_seen[key] | label_seen[local] | address_seen[email]) & ~checked
    return found


def _people(tables: Tables) -> list[Person]:
    """People rows that name a person and may be in a cluster of two names, each with its
    record's institutions pooled with those of same-named rows of the same record (the contact
    row rarely repeats the PI's affiliation)."""
    rows = _linkable(tables)
    rows = rows[_in_reported_clusters(rows)]
    table = tables.people.iloc[rows.index]
    studies = tables.studies
    sponsors = dict(zip(_cells(studies["record_file"]), _cells(studies["sponsor"]), strict=True))
    files, keys = _cells(table["record_file"]), rows["key"].tolist()
    raw_emails = _cells(table["email"])
    pooled: dict[tuple[str, str], set[str]] = defaultdict(set)
    for file, key, affiliation, email in zip(
        files, keys, _cells(table["affiliation"]), raw_emails, strict=True
    ):
        texts = [affiliation, sponsors.get(file), *_domain(email)]
        pooled[(file, key)] |= {t for t in texts if isinstance(t, str)}
    institutions = {
        group: tuple(sorted({_distinctive(t) for t in texts} - {""}))
        for group, texts in pooled.items()
    }
    return [
        Person(
            name,
            tuple(name_tokens(name)),
            key,
            email,
            email_key,
            institutions[(file, key)],
            file,
            trial_id,
            source,
            role,
        )
        for name, key, email, email_key, file, trial_id, source, role in zip(
            _cells(rows["name"]),
            keys,
            _cells(rows["email"]),
            _cells(rows["email_key"]),
            files,
            _cells(table["trial_id"]),
            _cells(table["source"]),
            _cells(table["role"]),
            strict=True,
        )
    ]


@lru_cache(maxsize=200_000)
def _same_institution(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return any(fuzz.token_set_ratio(x, y) >= INSTITUTION_SIMILARITY for x in a for y in b)


def _by_institutions(
    members: Iterable[int], people: list[Person]
) -> dict[tuple[str, ...], list[int]]:
    """People (by index) grouped by their institutions, in order of first appearance."""
    grouped: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in members:
        grouped[people[i].institutions].append(i)
    return grouped


class _Links:
    """Union-find over the numbers 0 .. size-1: which are linked, directly or not."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.groups = size

    def root(self, i: int) -> int:
        """The representative of ``i``'s group (halving the path on the way)."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(self, i: int, j: int) -> None:
        ri, rj = self.root(i), self.root(j)
        if ri != rj:
            self.parent[ri] = rj
            self.groups -= 1

    def link_all(self, members: list[int]) -> None:
        for i in members[1:]:
            self.link(members[0], i)

    def grouped(self) -> list[list[int]]:
        """Every group, members ascending, groups in order of their smallest member."""
        groups: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            groups[self.root(i)].append(i)
        return list(groups.values())


def _linked_places(places: list[tuple[str, ...]], hubs: int) -> list[list[int]]:
    """Places (by position) linked by being the same institution, directly or through other
    places, where a link needs one of the first ``hubs`` places; unlinked places come back
    alone. Places sharing a text are the same institution without comparing; other pairs are
    compared only while they are not linked yet."""
    links = _Links(len(places))
    hub_with: dict[str, int] = {}
    for k, place in enumerate(places):
        for text in place:
            if k < hubs:
                hub_with.setdefault(text, k)
            if text in hub_with:
                links.link(k, hub_with[text])
    for k in range(hubs):
        for j in range(k + 1, len(places)):
            if links.groups == 1:
                break
            if links.root(k) != links.root(j) and _same_institution(places[k], places[j]):
                links.link(k, j)
    return links.grouped()


def _clusters(people: list[Person]) -> list[list[Person]]:
    """People linked by email, name-like email local part or name at one institution.

    Institutions are compared once per pair of distinct institutions of a name or a local part
    (not per pair of people), and only while the two are not linked yet."""
    links = _Links(len(people))
    by_email, by_local, by_key = defaultdict(list), defaultdict(list), defaultdict(list)
    for i, p in enumerate(people):
        if p.email:
            by_email[p.email].append(i)
        if p.email_key:
            by_local[p.email_key].append(i)
        by_key[p.key].append(i)
    for members in by_email.values():
        links.link_all(members)
    for local_key, owners in by_local.items():
        # Owners link to anyone of the local part's name or owning it at the same institution.
        hubs = len(dict.fromkeys(people[i].institutions for i in owners))
        at = _by_institutions(dict.fromkeys([*owners, *by_key.get(local_key, [])]), people)
        places = list(at)  # the owners' institutions first
        for group in _linked_places(places, hubs):
            if len(group) > 1 or (group[0] < hubs and places[group[0]]):
                links.link_all([i for k in group for i in at[places[k]]])
    for members in by_key.values():
        # One name at one institution (or at none) is one person; so at similar institutions.
        at = _by_institutions(members, people)
        places = list(at)
        for group in _linked_places(places, len(places)):
            links.link_all([i for k in group for i in at[places[k]]])
    clusters = [[people[i] for i in group] for group in links.grouped()]
    return [g for g in clusters if len({p.key for p in g} | {p.email_key for p in g} - {""}) > 1]


@dataclass
class Spelling:
    """One way a cluster writes the name, with everyone who writes it so."""

    tokens: tuple[str, ...]
    people: list[Person]
    from_email: str | None = None  # set for a spelling seen only in an email address

    @cached_property
    def label(self) -> str:
        """The spelling as shown (asked only once the cluster's people are all placed)."""
        if self.from_email:
            return self.from_email.split("@")[0]
        return Counter(p.name for p in self.people).most_common(1)[0][0]


def _spellings(cluster: list[Person]) -> list[Spelling]:
    spellings: list[Spelling] = []
    for person in sorted(cluster, key=lambda p: (p.key, p.record_file, p.name)):
        match = next((s for s in spellings if same_name(s.tokens, person.tokens)), None)
        if match:
            match.people.append(person)
        else:
            spellings.append(Spelling(person.tokens, [person]))
    for email in sorted({p.email for p in cluster if p.email_key}):
        tokens = tuple(email_name_tokens(email))
        if not any(same_name(s.tokens, tokens) for s in spellings):
            spellings.append(Spelling(tokens, [p for p in cluster if p.email == email], email))
    return spellings


def _variant_groups(spellings: list[Spelling]) -> Iterator[list[Spelling]]:
    """Connected groups of spellings that differ by one similar word."""
    keys = [" ".join(sorted(s.tokens)) for s in spellings]
    scores = process.cdist(keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=60)
    links = _Links(len(spellings))
    for i, j in combinations(range(len(spellings)), 2):
        if scores[i][j] and _differ(spellings[i], spellings[j]):
            links.link(i, j)
    yield from ([spellings[k] for k in g] for g in links.grouped() if len(g) > 1)


def _differ(a: Spelling, b: Spelling) -> tuple[str, str] | None:
    """The differing word of two spellings, the email one (if any) second."""
    if a.from_email and b.from_email:
        return None
    if a.from_email:
        a, b = b, a
    return spelling_difference(a.tokens, b.tokens, email=bool(b.from_email))


def _where(people: list[Person]) -> str:
    trials = sorted({f"{p.trial_id} ({p.source})" for p in people})
    more = f" and {len(trials) - 3} more" if len(trials) > 3 else ""
    return ", ".join(trials[:3]) + more


def _occurrence(p: Person) -> dict[str, str | None]:
    return {
        "record_file": p.record_file,
        "trial_id": p.trial_id,
        "source": p.source,
        "role": p.role,
        "email": p.email,
    }


def _finding(ctx: Context, group: list[Spelling]) -> Finding:
    names = [s for s in group if not s.from_email]
    emails = [s for s in group if s.from_email]
    people = [p for s in group for p in s.people]
    pairs = [d for a, b in combinations(group, 2) if (d := _differ(a, b))]
    words = "; ".join(f'"{x}" vs "{y}"' for x, y in dict.fromkeys(pairs))
    if len(names) > 1:
        shown = " and ".join(f'"{s.label}" in {_where(s.people)}' for s in names)
        message = f"One person is spelled {len(names)} ways: {shown} ({words})."
        severity = None
    else:
        message = (
            f'The name "{names[0].label}" in {_where(names[0].people)} does not match '
            f"the email address given with it ({words})."
        )
        severity = "info"
    read = {p.email: tuple(email_name_tokens(p.email)) for p in people if p.email and p.email_key}
    readers = {
        (email, s.label)
        for s in names
        for email, tokens in read.items()
        if same_name(tokens, s.tokens)
    }
    for email, label in sorted(readers):
        message += f' The email {email} reads "{label}".'
    for s in emails:
        message += f' The email {s.from_email} reads "{" ".join(s.tokens)}".'
    evidence = {
        "spellings": [
            {
                "name": s.label,
                "variants": sorted({p.name for p in s.people}),
                "occurrences": [_occurrence(p) for p in s.people[:25]],
                "occurrence_count": len(s.people),
            }
            for s in names
        ],
        "emails": sorted({p.email for p in people if p.email}),
        "differing_words": sorted({tuple(sorted(d)) for d in pairs}),
    }
    key = " | ".join(
        sorted(("email: " if s.from_email else "") + " ".join(sorted(s.tokens)) for s in group)
    )
    return ctx.finding(
        message,
        severity=severity,
        field="people.name",
        evidence=evidence,
        key=key,
        trial_ids=[p.trial_id for p in people if p.trial_id],
        record_files=[p.record_file for p in people],
        sources=[p.source for p in people if p.source],
    )


@rule("contact-name-mismatch", severity="warning", scope="corpus")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    for cluster in _clusters(_people(tables)):
        for group in _variant_groups(_spellings(cluster)):
            yield _finding(ctx, group)
