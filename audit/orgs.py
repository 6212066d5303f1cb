"""Organisation names compared: the same organisation written two ways ("APHP" /
"Assistance Publique - Hôpitaux de Paris"), or one inside the other ("Tongji University" /
"Shanghai East Hospital of Tongji University")."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from audit.names import fold

#: Words that do not tell organisations apart.
_GENERIC_TEXT = (
    "the of and for de la del di des du y e a an university universitaire universitario "
    "hospital hospitals hopital hospitalier medical center centre centro college school "
    "institute clinic inc ltd llc co gmbh sa ag bv nv plc corp corporation company limited "
    "foundation trust nhs group"
)
_GENERIC = set(_GENERIC_TEXT.split())
_FOLD_EXTRA = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae"})


def org_tokens(name: str) -> list[str]:
    """An organisation name as lower-case ASCII-ish words ("Uşak Üniversitesi" -> usak ...)."""
    return list(_org_tokens(name))


@lru_cache(maxsize=1 << 16)
def _org_tokens(name: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", fold(name.translate(_FOLD_EXTRA)).translate(_FOLD_EXTRA)))


def _acronym(tokens: list[str]) -> str:
    return "".join(t[0] for t in tokens if t not in {"of", "the", "and", "de", "la", "des"})


def same_org(a: str, b: str) -> bool:
    """Equal up to case, accents, punctuation, word order and small spelling differences,
    or one is the other's acronym ("APHP" / "Assistance Publique Hopitaux de Paris")."""
    ta, tb = org_tokens(a), org_tokens(b)
    if not ta or not tb:
        return False
    if fuzz.token_sort_ratio(" ".join(ta), " ".join(tb)) >= 90:
        return True
    short, _ = sorted(("".join(ta), "".join(tb)), key=len)
    return len(short) >= 3 and len(ta) != len(tb) and short in (_acronym(ta), _acronym(tb))


def related_org(a: str, b: str) -> bool:
    """One name's distinctive words all appear in the other ("Tongji University" /
    "Shanghai East Hospital of Tongji University")."""
    da = {t for t in org_tokens(a) if t not in _GENERIC}
    db = {t for t in org_tokens(b) if t not in _GENERIC}
    return bool(da and db) and (da <= db or db <= da)
