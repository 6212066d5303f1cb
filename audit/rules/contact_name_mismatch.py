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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

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
from audit.rules.common import value
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


@dataclass(frozen=True)
class Person:
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


def _distinctive(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold(text))
    kept = [w for w in words if w not in ORG_WORDS and w not in _STOPWORDS and len(w) > 1]
    return " ".join(sorted(set(kept)))


def _domain(email: str | None) -> list[str]:
    if not email or "@" not in email:
        return []
    labels = fold(email.split("@", 1)[1]).split(".")[:-1]
    return [w for w in labels if len(w) > 3 and w not in _WEBMAIL]


def _people(tables: Tables) -> list[Person]:
    """People rows that name a person, each with its record's institutions pooled with those of
    same-named rows of the same record (the contact row rarely repeats the PI's affiliation)."""
    sponsors = dict(zip(tables.studies.record_file, tables.studies.sponsor, strict=True))
    rows = [
        r
        for r in tables.people.itertuples(index=False)
        if isinstance(value(r.name), str) and not not_a_person(r.name)
    ]
    pooled: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        texts = [value(r.affiliation), value(sponsors.get(r.record_file)), *_domain(value(r.email))]
        pooled[(r.record_file, name_key(r.name))] |= {t for t in texts if isinstance(t, str)}
    people = []
    for r in rows:
        key = name_key(r.name)
        email = value(r.email)
        institutions = {_distinctive(t) for t in pooled[(r.record_file, key)]} - {""}
        people.append(
            Person(
                r.name,
                tuple(name_tokens(r.name)),
                key,
                email.strip().lower() if email else None,
                " ".join(sorted(email_name_tokens(email))),
                tuple(sorted(institutions)),
                r.record_file,
                value(r.trial_id),
                value(r.source),
                value(r.role),
            )
        )
    return [p for p in people if p.key]


@lru_cache(maxsize=200_000)
def _same_institution(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return any(fuzz.token_set_ratio(x, y) >= INSTITUTION_SIMILARITY for x in a for y in b)


def _clusters(people: list[Person]) -> list[list[Person]]:
    """People linked by email, name-like email local part or name at one institution."""
    parent = list(range(len(people)))

    def union(i: int, j: int) -> None:
        parent[_root(parent, i)] = _root(parent, j)

    by_email, by_local, by_key = defaultdict(list), defaultdict(list), defaultdict(list)
    for i, p in enumerate(people):
        if p.email:
            by_email[p.email].append(i)
        if p.email_key:
            by_local[p.email_key].append(i)
        by_key[p.key].append(i)
    for members in by_email.values():
        for i in members[1:]:
            union(members[0], i)
    for local_key, owners in by_local.items():
        for i in owners:
            for j in {*owners, *by_key.get(local_key, [])} - {i}:
                if _same_institution(people[i].institutions, people[j].institutions):
                    union(i, j)
    for members in by_key.values():
        seen: dict[tuple[str, ...], int] = {}
        for i in members:
            seen.setdefault(people[i].institutions, i)
            union(i, seen[people[i].institutions])
        for (a, i), (b, j) in combinations(seen.items(), 2):
            if _same_institution(a, b):
                union(i, j)
    groups: dict[int, list[Person]] = defaultdict(list)
    for i, p in enumerate(people):
        groups[_root(parent, i)].append(p)
    return [
        g for g in groups.values() if len({p.key for p in g} | {p.email_key for p in g} - {""}) > 1
    ]


@dataclass
class Spelling:
    """One way a cluster writes the name, with everyone who writes it so."""

    tokens: tuple[str, ...]
    people: list[Person]
    from_email: str | None = None  # set for a spelling seen only in an email address

    @property
    def label(self) -> str:
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
    parent = list(range(len(spellings)))
    for i, j in combinations(range(len(spellings)), 2):
        if scores[i][j] and _differ(spellings[i], spellings[j]):
            parent[_root(parent, i)] = _root(parent, j)
    groups: dict[int, list[Spelling]] = defaultdict(list)
    for i, s in enumerate(spellings):
        groups[_root(parent, i)].append(s)
    yield from (g for g in groups.values() if len(g) > 1)


def _differ(a: Spelling, b: Spelling) -> tuple[str, str] | None:
    """The differing word of two spellings, the email one (if any) second."""
    if a.from_email and b.from_email:
        return None
    if a.from_email:
        a, b = b, a
    return spelling_difference(a.tokens, b.tokens, email=bool(b.from_email))


def _root(parent: list[int], i: int) -> int:
    """Union-find: the representative of ``i`` (halving the path on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


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
    readers = [
        (p.email, s)
        for s in names
        for p in people
        if p.email and p.email_key and same_name(tuple(email_name_tokens(p.email)), s.tokens)
    ]
    for email, s in sorted({(e, s.label) for e, s in readers}):
        message += f' The email {email} reads "{s}".'
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
