"""Trial id formats of the registries the audit knows (WHO ICTRP primary and partner registries)."""

from __future__ import annotations

import re

NCT_ID = r"NCT\d{8}"

REGISTRY_ID_PATTERNS: dict[str, str] = {
    "ClinicalTrials.gov": NCT_ID,
    "ChiCTR": r"ChiCTR(?:\d{10}|-[A-Za-z]{2,6}-\d{8})",
    "EU CTR": r"EUCTR\d{4}-\d{6}-\d{2}(?:-[A-Z]{2,3})?",
    "EU CTIS": r"\d{4}-5\d{5}-\d{2}-\d{2}",
    "IRCT": r"IRCT\d{8,14}N\d{1,3}",
    "CTRI": r"CTRI/\d{4}/\d{2,3}/\d{6}",
    "ISRCTN": r"ISRCTN\d{8}",
    "ANZCTR": r"ACTRN\d{14}",
    "DRKS": r"DRKS\d{8}",
    "JPRN": r"JPRN-(?:UMIN\d{9}|jRCTs?\d{9,10}|JapicCTI-\d{6}|JMA-IIA\d{5})",
    "NTR": r"(?:NL\d{1,5}|NTR\d{1,5}|NL-OMON\d+)",
    "CRIS": r"KCT\d{7}",
    "TCTR": r"TCTR\d{11}",
    "PACTR": r"PACTR\d{15}",
    "LBCTR": r"LBCTR\d{10}",
    "REBEC": r"RBR-[0-9a-z]{4,8}",
    "REPEC": r"PER-\d{3}-\d{2}",
    "RPCEC": r"RPCEC\d{8}",
    "SLCTR": r"SLCTR/\d{4}/\d{3}",
    "ITMCTR": r"ITMCTR\d{10}",
}

TRIAL_ID = "^(?:" + "|".join(REGISTRY_ID_PATTERNS.values()) + ")$"
_TRIAL_ID = re.compile(TRIAL_ID)
_NCT = re.compile(f"^{NCT_ID}$")


def is_trial_id(text: str) -> bool:
    return bool(_TRIAL_ID.match(text))


def is_nct_id(text: str) -> bool:
    return bool(_NCT.match(text))


def registry_of(text: str) -> str | None:
    for registry, pattern in REGISTRY_ID_PATTERNS.items():
        if re.fullmatch(pattern, text):
            return registry
    return None
