"""Trial id formats of the registries the audit knows (WHO ICTRP primary and partner registries)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

NCT_ID = r"NCT\d{8}"

REGISTRY_ID_PATTERNS: dict[str, str] = {
    "ClinicalTrials.gov": NCT_ID,
    "ChiCTR": r"ChiCTR(?:\d{10}|-[A-Za-z]{2,6}-\d{8})",
    # A member state's copy ends in its code, or 3RD for a trial run outside the EEA only.
    "EU CTR": r"EUCTR\d{4}-\d{6}-\d{2}(?:-(?:[A-Z]{2,3}|3RD))?",
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

# Each registry's page of one trial; ICTRP's record is the fallback for the others. A template
# names {id} (the id, URL-encoded) or {eudract} (an EU CTR id's EudraCT number); the HTML
# report fills them in the browser the same way (registry_links).
ICTRP_URL = "https://trialsearch.who.int/Trial2.aspx?TrialID={id}"
REGISTRY_URLS: dict[str, str] = {
    "ClinicalTrials.gov": "https://clinicaltrials.gov/study/{id}",
    "ChiCTR": "https://www.chictr.org.cn/searchprojEN.html?regno={id}",
    "EU CTR": "https://www.clinicaltrialsregister.eu/ctr-search/search?query={eudract}",
    "EU CTIS": "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={id}",
    "ISRCTN": "https://www.isrctn.com/{id}",
    "DRKS": "https://drks.de/search/en/trial/{id}",
    "ANZCTR": "https://www.anzctr.org.au/{id}.aspx",
    "NTR": "https://onderzoekmetmensen.nl/en/trial/{id}",
}

TRIAL_ID = "^(?:" + "|".join(REGISTRY_ID_PATTERNS.values()) + ")$"
_TRIAL_ID = re.compile(TRIAL_ID)
_NCT = re.compile(f"^{NCT_ID}$")


def is_trial_id(text: str) -> bool:
    return bool(_TRIAL_ID.match(text))


def is_nct_id(text: str) -> bool:
    return bool(_NCT.match(text))


def sole_nct_id(ids: Iterable[str]) -> str | None:
    """The NCT id among ``ids`` when they name exactly one (a cross-registration), else None."""
    found = {i for i in ids if is_nct_id(i)}
    return found.pop() if len(found) == 1 else None


def registry_of(text: str) -> str | None:
    for registry, pattern in REGISTRY_ID_PATTERNS.items():
        if re.fullmatch(pattern, text):
            return registry
    return None


def registry_links() -> list[tuple[str, str, str]]:
    """(registry, id pattern, URL template) per registry, ICTRP last, for the report's page."""
    known = [
        (name, pattern, REGISTRY_URLS.get(name, ICTRP_URL))
        for name, pattern in REGISTRY_ID_PATTERNS.items()
    ]
    return [*known, ("ICTRP", ".*", ICTRP_URL)]


def registry_url(trial_id: str) -> str:
    """The trial's page at its registry, else its ICTRP record (every id ICTRP knows)."""
    template = REGISTRY_URLS.get(registry_of(trial_id) or "", ICTRP_URL)
    return template.format(
        id=quote(trial_id, safe=""),
        eudract=trial_id.removeprefix("EUCTR")[:14],
    )
