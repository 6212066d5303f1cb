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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import combinations, groupby
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from audit.findings import Finding
from audit.frames import cells, components, each_distinct, strings
from audit.names import (
    ORG_WORDS,
    email_name_tokens,
    fold,
    local_part_words,
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
MAX_EMAILS_SAID = 5  # in the message; the evidence lists every email
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


def _email_details(email: str) -> tuple[str | None, str]:
    """The address as compared (stripped, lower case; None for '') and the name it reads as
    ('' for none)."""
    return email.strip().lower() if email else None, " ".join(sorted(email_name_tokens(email)))


#: What ``str.strip()`` removes from ASCII text.
_ASCII_SPACE = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def _email_columns(emails: pd.Series) -> tuple[list[str | None], list[str]]:
    """``_email_details`` of every cell (None and '' for nulls). ASCII addresses are read in
    bulk as ``email_name_tokens`` reads them (lower case, stripped, the local part before the
    first '@' without digits; no '@', no name), each local part's name once; others one by
    one."""
    raw = strings(emails)
    compared = pc.ascii_lower(pc.utf8_trim(raw, _ASCII_SPACE))
    compared = pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), compared)
    local = pc.list_element(pc.split_pattern(raw, "@", max_splits=1), 0)
    local = pc.utf8_trim(pc.ascii_lower(local), _ASCII_SPACE)
    local = pc.replace_substring_regex(local, "[0-9]+", "")
    local = pc.if_else(pc.match_substring(raw, "@"), local, "")
    codes, parts = pd.factorize(local.to_pandas())
    names = [" ".join(sorted(local_part_words(part))) for part in parts.tolist()] + [""]
    addresses, keys = compared.to_pylist(), [names[code] for code in codes]
    unicode = pc.invert(pc.fill_null(pc.string_is_ascii(raw), True))
    details: dict[str, tuple[str | None, str]] = {}
    for i in np.flatnonzero(unicode.to_numpy(zero_copy_only=False)):
        email = raw[i].as_py()
        addresses[i], keys[i] = details.setdefault(email, _email_details(email))
    return addresses, keys


def _names_a_person(name: str) -> bool:
    return not not_a_person(name)


def _linkable(tables: Tables) -> pd.DataFrame:
    """People rows with a name: the row's name, name key, email as compared (None for none)
    and the name the email reads as, each computed once per distinct name or address."""
    table = tables.people
    emails, email_keys = _email_columns(table["email"])
    frame = pd.DataFrame(
        {
            "name": cells(table["name"]),
            "key": each_distinct(table["name"], name_key, ""),
            "email": emails,
            "email_key": email_keys,
        },
        dtype=object,
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


def _institutions(tables: Tables, table: pd.DataFrame, keys: list[str]) -> list[tuple[str, ...]]:
    """For each people row, the distinctive words of its affiliation, its record's sponsor and
    its email's domain, pooled with those of same-named rows of the same record (the contact
    row rarely repeats the PI's affiliation): a sorted tuple of texts."""
    studies = tables.studies.drop_duplicates("record_file", keep="last")
    sponsors = pd.Series(cells(studies["sponsor"]), index=cells(studies["record_file"]))
    files = cells(table["record_file"])
    group = (
        pd.DataFrame({"file": files, "key": keys}).groupby(["file", "key"], sort=False).ngroup()
    ).to_numpy()
    said = pd.concat(
        [
            pd.DataFrame({"group": group, "text": cells(table["affiliation"])}),
            pd.DataFrame({"group": group, "text": sponsors.reindex(files).tolist()}),
            pd.DataFrame(
                {"group": group, "text": each_distinct(table["email"], _domain, ())}
            ).explode("text"),
        ]
    ).dropna()
    said["text"] = each_distinct(said["text"].astype(object), _distinctive, "")
    said = said[said["text"] != ""].drop_duplicates().sort_values(["group", "text"])
    pooled = [()] * (int(group.max(initial=-1)) + 1)
    pairs = zip(said["group"].tolist(), said["text"].tolist(), strict=True)
    for at, texts in groupby(pairs, key=itemgetter(0)):
        pooled[at] = tuple(text for _, text in texts)
    return [pooled[at] for at in group.tolist()]


def _people(tables: Tables) -> list[Person]:
    """People rows that name a person and may be in a cluster of two names, each with its
    institutions (see ``_institutions``)."""
    rows = _linkable(tables)
    rows = rows[_in_reported_clusters(rows)]
    table = tables.people.iloc[rows.index]
    names, keys = cells(rows["name"]), rows["key"].tolist()
    tokens = {name: tuple(name_tokens(name)) for name in dict.fromkeys(names)}
    return list(
        map(
            Person._make,
            zip(
                names,
                [tokens[name] for name in names],
                keys,
                cells(rows["email"]),
                cells(rows["email_key"]),
                _institutions(tables, table, keys),
                cells(table["record_file"]),
                cells(table["trial_id"]),
                cells(table["source"]),
                cells(table["role"]),
                strict=True,
            ),
        )
    )


@lru_cache(maxsize=200_000)
def _same_institution(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return any(fuzz.token_set_ratio(x, y) >= INSTITUTION_SIMILARITY for x in a for y in b)


class _Links:
    """Union-find over the numbers 0 .. size-1: which are linked, directly or not."""

    def __init__(self, parent: list[int]) -> None:
        self.parent = parent  # each number's parent; roots are their own parent

    def root(self, i: int) -> int:
        """The representative of ``i``'s group (halving the path on the way)."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(self, i: int, j: int) -> None:
        self.parent[self.root(i)] = self.root(j)

    def grouped(self) -> list[list[int]]:
        """Every group, members ascending, groups in order of their smallest member."""
        groups: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            groups[self.root(i)].append(i)
        return list(groups.values())


def _numbered(people: list[Person]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The people as numbers: ``row``; ``name`` and ``local`` (the name an email reads as, -1
    for none) numbered alike; ``email`` (-1 for none); ``place``, their institutions. And one
    row per text of each person's institutions (``text``)."""
    count = len(people)
    names = pd.factorize(pd.Series([p.key for p in people] + [p.email_key for p in people]))[0]
    place, places = pd.factorize(pd.Series([p.institutions for p in people], dtype=object))
    frame = pd.DataFrame(
        {
            "row": np.arange(count),
            "name": names[:count],
            "local": np.where([p.email_key != "" for p in people], names[count:], -1).astype(int),
            "email": pd.factorize(pd.Series([p.email or None for p in people], dtype=object))[0],
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


def _split(groups: pd.DataFrame) -> pd.DataFrame:
    """The groups (``part``) whose rows are not all linked (``root``)."""
    return groups[groups.groupby("part")["root"].transform("nunique") > 1]


def _compare_institutions(people: list[Person], frame: pd.DataFrame, links: _Links) -> None:
    """Link the people whom only a comparison of institutions links: within one name, or a
    local part with its owners and its name, the distinct institutions are compared (once per
    pair, not linked yet) where the group is still split."""
    frame = frame.assign(root=links.parent)
    names = _split(frame.assign(part=frame["name"], owner=True))
    parts = _split(_local_parts(frame))
    for groups in (names, parts):
        ordered = groups.sort_values(["part", "owner", "row"], ascending=[True, False, True])
        listed = zip(*(ordered[c].tolist() for c in ("part", "row", "owner")), strict=True)
        for _, members in groupby(listed, key=itemgetter(0)):
            _link_similar(people, ((i, owner) for _, i, owner in members), links)


def _link_similar(people: list[Person], rows: Iterable[tuple[int, bool]], links: _Links) -> None:
    """Link the rows (number, owner?; owners first) at similar institutions not linked yet,
    where one of the two institutions must be an owner's."""
    places: dict[tuple[str, ...], tuple[int, bool]] = {}
    for i, owner in rows:
        places.setdefault(people[i].institutions, (i, owner))
    listed = list(places.items())
    for k, (a, (i, owner)) in enumerate(listed):
        if not owner:
            return
        for b, (j, _) in listed[k + 1 :]:
            if links.root(i) != links.root(j) and _same_institution(a, b):
                links.link(i, j)


def _clusters(people: list[Person]) -> list[list[Person]]:
    """People linked by email, name-like email local part or name at one institution, in
    groups of two or more names (keys or email names).

    The links that need no comparison are made in bulk (``_exact_links``); institutions are
    compared only where those leave a name or a local part split."""
    frame, texts = _numbered(people)
    links = _Links(components(len(people), _exact_links(frame, texts)).tolist())
    _compare_institutions(people, frame, links)
    return [[people[i] for i in rows] for rows in _named_groups(frame, links)]


def _named_groups(frame: pd.DataFrame, links: _Links) -> list[np.ndarray]:
    """The linked groups of rows with two or more names (keys or email names), each group
    ascending, groups in order of their smallest row."""
    root = np.array(links.parent, dtype=int)
    while not np.array_equal(root, jumped := root[root]):  # every row straight to its root
        root = jumped
    with_local = frame["local"].to_numpy() >= 0
    names = pd.DataFrame(
        {
            "root": np.concatenate([root, root[with_local]]),
            "name": np.concatenate([frame["name"], frame["local"][with_local]]),
        }
    ).drop_duplicates()
    named = names["root"].value_counts()
    rows = np.flatnonzero(np.isin(root, named.index[named > 1]))
    rows = rows[np.argsort(root[rows], kind="stable")]
    groups = np.split(rows, np.flatnonzero(np.diff(root[rows])) + 1) if len(rows) else []
    return sorted(groups, key=lambda group: group[0])


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
    """The cluster's spellings: each person joins the first spelling that is the same name
    (the same tokens always join the same one), then each email that reads as a name no
    spelling is adds one."""
    spellings: list[Spelling] = []
    joined: dict[tuple[str, ...], Spelling] = {}
    for person in sorted(cluster, key=lambda p: (p.key, p.record_file, p.name)):
        if person.tokens not in joined:
            match = next((s for s in spellings if same_name(s.tokens, person.tokens)), None)
            if match is None:
                match = Spelling(person.tokens, [])
                spellings.append(match)
            joined[person.tokens] = match
        joined[person.tokens].people.append(person)
    read: set[tuple[str, ...]] = set()
    for email in sorted({p.email for p in cluster if p.email_key}):
        tokens = _email_words(email)
        if tokens not in read and not any(same_name(s.tokens, tokens) for s in spellings):
            spellings.append(Spelling(tokens, [p for p in cluster if p.email == email], email))
        read.add(tokens)
    return spellings


@lru_cache(maxsize=1 << 12)
def _email_words(email: str) -> tuple[str, ...]:
    """``email_name_tokens`` (asked again for the same cluster's finding)."""
    return tuple(email_name_tokens(email))


def _variant_groups(spellings: list[Spelling]) -> Iterator[list[Spelling]]:
    """Connected groups of spellings that differ by one similar word."""
    keys = [" ".join(sorted(s.tokens)) for s in spellings]
    scores = process.cdist(keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=60)
    links = _Links(list(range(len(spellings))))
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
    read = {p.email: _email_words(p.email) for p in people if p.email and p.email_key}
    readers = {
        (email, s.label)
        for s in names
        for email, tokens in read.items()
        if same_name(tokens, s.tokens)
    }
    sentences = [f' The email {email} reads "{label}".' for email, label in sorted(readers)]
    sentences += [f' The email {s.from_email} reads "{" ".join(s.tokens)}".' for s in emails]
    message += "".join(sentences[:MAX_EMAILS_SAID])
    if len(sentences) > MAX_EMAILS_SAID:
        message += f" ({len(sentences) - MAX_EMAILS_SAID} more emails read as names.)"
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


def blocks(tables: Tables) -> pd.DataFrame:
    """Blocking keys: each person's name key, email address and the name its email reads as.
    Every link the rule makes (and so every cluster) runs through records sharing one."""
    rows = _linkable(tables)
    files = tables.people["record_file"].iloc[rows.index].to_numpy(dtype=object)
    keys = [
        pd.DataFrame({"record_file": files, "block": "n:" + rows["key"]}),
        pd.DataFrame({"record_file": files, "block": "e:" + rows["email"]}),
        pd.DataFrame({"record_file": files, "block": "n:" + rows["email_key"]}),
    ]
    found = pd.concat(keys, ignore_index=True).dropna()
    return found[~found["block"].isin(["n:", "e:"])].drop_duplicates(ignore_index=True)


@rule("contact-name-mismatch", severity="warning", scope="corpus", blocks=blocks)
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    for cluster in _clusters(_people(tables)):
        for group in _variant_groups(_spellings(cluster)):
            yield _finding(ctx, group)
