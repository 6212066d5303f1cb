"""Person-name normalization shared by the people rules and the report's people view.

``name_key`` folds case, accents, punctuation, titles and degrees and sorts the tokens, so
"Zhongming Liu, MD", "liu zhongming" and "Dr. LIU Zhongming" share one key while their
spellings stay visible elsewhere.
"""

from __future__ import annotations

import re
import unicodedata

TITLES = {"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "sir", "madam", "mme",
          "assoc", "associate", "assistant", "asst"}
DEGREES = {
    "md", "phd", "msc", "ms", "mph", "mba", "rn", "do", "bsc", "bs", "ba", "ma", "mbbs", "frcp",
    "frcpc", "facp", "facs", "pharmd", "dds", "dmd", "dvm", "mbchb", "frcs", "mpharm", "bpharm",
    "np", "pa", "psyd", "edd", "dnp", "msn", "bsn", "ccrc", "ccrp", "crc", "lpn", "otr", "pt",
    "dpt", "mhs", "mhsc", "mscr", "mas", "ms", "drph", "scd", "dsc", "mmed", "mmsc", "mphil",
    "dphil", "frcog", "mrcp", "frcr", "frca", "fracp", "mch", "ms-md", "msc-md", "med", "bm",
    "bch", "mbbch", "mbbs", "fmedsci", "cnm", "fnp", "aprn", "crnp", "pac", "dr.med", "prof.dr",
}
_SPLIT = re.compile(r"[\s,;./()\-_'’]+")


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def name_tokens(name: str) -> list[str]:
    """The name's words, without titles, degrees and punctuation, in their original order."""
    words = [w for w in _SPLIT.split(fold(name)) if w]
    return [w for w in words if w not in TITLES and w not in DEGREES]


def name_key(name: str) -> str:
    """Order-independent key: the sorted tokens joined by spaces ('' for no real name)."""
    return " ".join(sorted(name_tokens(name)))


def email_local(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return fold(email.split("@", 1)[0]).strip() or None
