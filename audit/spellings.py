"""How one person's name is written (``audit.people`` decides who is one person): spellings,
and the groups of spellings that differ by a misspelled word.

Entries whose names are equal up to order and spacing are one spelling (``names.same_name``);
an email that reads as a name that no spelling is adds one. Misspellings are spellings that
differ in one similar word (``names.spelling_difference``): order, case, titles, degrees,
initials, missing name parts and umlaut spellings never are, and neither are two
transliterations of one name ("Tereshchenko" / "tereshenko", "Davoodian" / "davoudian",
"Elashmawy" / "elashmawi", "Masoumeh" / "masoume") or a nickname ("Josh" / "Joshua").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz, process

from audit.frames import components
from audit.names import email_name_tokens, same_name, spelling_difference

if TYPE_CHECKING:
    from audit.people import Entry


@dataclass
class Spelling:
    """One way a person's name is written, with every entry that writes it so."""

    tokens: tuple[str, ...]
    entries: list[Entry]
    from_email: str | None = None  # set for a spelling seen only in an email address

    @cached_property
    def label(self) -> str:
        """The spelling as shown (asked only once the person's entries are all placed)."""
        if self.from_email:
            return self.from_email.split("@")[0]
        return str(Counter(e.name for e in self.entries).most_common(1)[0][0])


def spellings(entries: list[Entry]) -> list[Spelling]:
    """The spellings of one person's entries: each named entry joins the first spelling that is
    the same name (the same tokens always join the same one), then each email that reads as a
    name no spelling is adds one."""
    written: list[Spelling] = []
    joined: dict[tuple[str, ...], Spelling] = {}
    named = [e for e in entries if e.name is not None]
    for entry in sorted(named, key=lambda e: (e.key, e.record_file, e.name)):
        if entry.tokens not in joined:
            match = next((s for s in written if same_name(s.tokens, entry.tokens)), None)
            if match is None:
                match = Spelling(entry.tokens, [])
                written.append(match)
            joined[entry.tokens] = match
        joined[entry.tokens].entries.append(entry)
    read: set[tuple[str, ...]] = set()
    keys = {" ".join(sorted(s.tokens)) for s in written}  # an email reading one is no spelling
    for email in sorted({e.email for e in named if e.email_key and e.email_key not in keys}):
        tokens = email_words(email)
        if tokens not in read and not any(same_name(s.tokens, tokens) for s in written):
            written.append(Spelling(tokens, [e for e in named if e.email == email], email))
        read.add(tokens)
    return written


@lru_cache(maxsize=1 << 12)
def email_words(email: str) -> tuple[str, ...]:
    """``email_name_tokens`` (asked again for the same person's finding)."""
    return tuple(email_name_tokens(email))


# Nicknames and national forms of one first name spelled near enough to pass for a misspelling
# (``names.WORD_SIMILARITY``); "Mike" and "Michael" never do.
_NICKNAMES = {
    frozenset(pair)
    for pair in (
        ("josh", "joshua"),
        ("tony", "antony"),
        ("kathy", "kathryn"),
        ("nathan", "nathaniel"),
        ("christoph", "christopher"),
        ("bill", "billy"),
        ("john", "johnny"),
        ("jack", "jackie"),
        ("jack", "jacky"),
        ("rick", "ricky"),
        ("steve", "stevie"),
    )
}
# One sound written two ways by transliteration conventions, word by word: Russian "shch" /
# "sh", Persian and Arabic "oo" / "ou" / "u", a final "y" / "ey" / "i", a final "h" after a
# vowel (Persian "Masoumeh" / "Masoume").
_TRANSLITERATIONS = (
    (re.compile(r"shch"), "sh"),
    (re.compile(r"oo|ou"), "u"),
    (re.compile(r"(?:ey|y)$"), "i"),
    (re.compile(r"(?<=[aeiou])h$"), ""),
)


@lru_cache(maxsize=1 << 12)
def _transliterated(word: str) -> str:
    for pattern, replacement in _TRANSLITERATIONS:
        word = pattern.sub(replacement, word)
    return word


def same_word(x: str, y: str) -> bool:
    """Two words of a name that are one name: transliterations of it, or a nickname."""
    return _transliterated(x) == _transliterated(y) or frozenset((x, y)) in _NICKNAMES


def difference(a: Spelling, b: Spelling) -> tuple[str, str] | None:
    """The differing word of two spellings, the email one (if any) second; None when the two
    differ only by a transliteration or a nickname (``same_word``)."""
    if a.from_email and b.from_email:
        return None
    if a.from_email:
        a, b = b, a
    found = spelling_difference(a.tokens, b.tokens, email=bool(b.from_email))
    return None if found is None or same_word(*found) else found


def misspellings(written: list[Spelling]) -> list[list[Spelling]]:
    """Connected groups of spellings that differ by one similar word."""
    if len(written) < 2:
        return []
    keys = [" ".join(sorted(s.tokens)) for s in written]
    scores = process.cdist(keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=60)
    pairs = [
        (i, j)
        for i, j in combinations(range(len(written)), 2)
        if scores[i][j] and difference(written[i], written[j])
    ]
    group = components(len(written), [np.array(pairs, dtype=int).reshape(-1, 2).T])
    sizes = Counter(group.tolist())
    found: dict[int, list[Spelling]] = {}
    for k, at in enumerate(group.tolist()):
        if sizes[at] > 1:
            found.setdefault(at, []).append(written[k])
    return list(found.values())
