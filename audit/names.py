"""Person-name normalization shared by the people rules and the report's people view.

``name_key`` folds case, accents, punctuation, titles and degrees and sorts the tokens, so
"Zhongming Liu, MD", "liu zhongming" and "Dr. LIU Zhongming" share one key while their
spellings stay visible elsewhere. ``not_a_person`` recognizes entries that name no person
(an organization, a role, a help desk, "TBD", a bare degree) from word lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from itertools import permutations

from rapidfuzz import fuzz


def word_set(text: str) -> frozenset[str]:
    """A word list written as one string."""
    return frozenset(text.split())


TITLES = word_set(
    "dr doctor prof professor mr mrs ms miss sir madam mme assoc associate assistant asst "
    "pr profesor professeur univprof"
)
DEGREES = word_set(
    "md phd msc ms mph mba rn do bsc bs ba ma mbbs frcp frcpc facp facs pharmd dds dmd "
    "dvm mbchb frcs mpharm bpharm np pa psyd edd dnp msn bsn ccrc ccrp crc lpn otr pt dpt "
    "mhs mhsc mscr mas drph scd dsc mmed mmsc mphil dphil frcog mrcp frcr frca fracp mch "
    "ms-md msc-md med bm bch mbbch fmedsci cnm fnp aprn crnp pac dr.med prof.dr mdphd "
    "dmsc msce kmd faan mrcpi frcsc fcps mres msw mrc fesc ffp bds dm dc nd lcgc cpnp mpa "
    "mshs msba drmed drintmed dnsc msci bao fcfp cpi ccm rd ld fcp mb chb fams fscai sc "
    "be mbiomede"
)
# Degrees that are also common name words ("Ma Jun", "Do Van Thanh", "Thi-Bich Pa"): removed
# only where a degree is expected (after a comma) or when written with dots ("M.A.").
_AMBIGUOUS_DEGREES = word_set("do ma pa ba bs ms mas med bm pt np dm dc nd rd ld mb sc be")
# Words that describe the person's job, written after the name ("Jane Roe, Study Nurse").
_PROFESSIONS = word_set(
    "nurse coordinator monitor physician pi co-investigator investigator postgraduate "
    "post-doc postdoc master bachelor student resident fellow consultant registrar "
    "specialist staff grade cand candidate lead overall study site senior junior lecturer "
    "operator doc family pharm chiro clinical research principal head chief director"
)
_PROFESSION_ENDINGS = ("ologist", "iatrist", "ician", "pist")
_SPLIT = re.compile(r"[\s,;./()\-_'’‘`´\":]+")
_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ı": "i", "þ": "th", "ð": "d"}
)
_PARENTHESES = re.compile(r"\([^()]*\)?")


def fold(text: str) -> str:
    """Lower case without accents."""
    if text.isascii():  # nothing to decompose or translate
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c)).lower().translate(_LETTERS)
    )


def _is_degree_word(word: str, *, strict: bool) -> bool:
    """A degree or title written as one word ("Ph.D.", "MD", "Prof."); ambiguous ones such as
    "Ma" count only when ``strict`` is off or they are written with dots ("M.A.")."""
    compact = re.sub(r"[.\-/]", "", word)
    if compact in TITLES:
        return True
    if compact not in DEGREES:
        return False
    return not strict or compact not in _AMBIGUOUS_DEGREES or "." in word


def _is_suffix_part(part: str) -> bool:
    """A comma part after the name that holds degrees, titles or a job ("MD PhD", "Nurse",
    "Site 109", "Consultant Dermatologist"), not a name ("Liu, Zhongmin")."""
    words = [w for w in re.split(r"[\s/&]+", part) if w]
    if not words or re.sub(r"[^a-z]", "", part) in DEGREES:
        return True
    for word in words:
        bare = word.strip(".-")
        if not (
            _is_degree_word(word, strict=False)
            or bare.isdigit()
            or bare in _PROFESSIONS
            or any(piece in _PROFESSIONS for piece in bare.split("-"))
            or bare.endswith(_PROFESSION_ENDINGS)
            or re.fullmatch(r"[a-z]\.?", word)
        ):
            return False
    return not all(re.fullmatch(r"[a-z]\.?", w) for w in words)


def name_part(name: str) -> str:
    """The folded name without parenthesized notes and trailing degree or job parts."""
    text = _PARENTHESES.sub(" ", fold(name))
    parts = [p.strip() for p in re.split(r"[,;]", text)]
    kept = [parts[0]] + [p for p in parts[1:] if p and not _is_suffix_part(p)]
    return " ".join(p for p in kept if p)


def name_tokens(name: str) -> list[str]:
    """The name's words, without titles, degrees and punctuation, in their original order."""
    return list(_tokens(name))


@lru_cache(maxsize=100_000)
def _tokens(name: str) -> tuple[str, ...]:
    words = [w for w in name_part(name).split() if not _is_degree_word(w, strict=True)]
    tokens = [t for t in _SPLIT.split(" ".join(words)) if t]
    return tuple(
        t for t in tokens if t not in TITLES and (t not in DEGREES or t in _AMBIGUOUS_DEGREES)
    )


def name_key(name: str) -> str:
    """Order-independent key: the sorted tokens joined by spaces ('' for no real name)."""
    return " ".join(sorted(name_tokens(name)))


_DIGITS = re.compile(r"\d+")


def email_name_tokens(email: str | None) -> list[str]:
    """The words of an email's local part when it reads as a name: at least two words of two
    or more letters split by '.', '_' or '-', none a mailbox word ("liu.zhongmin" ->
    [liu, zhongmin]); [] for "info", "jsmith2", "clinical.trials" or "a.b"."""
    if not email or "@" not in email:
        return []
    return list(local_part_words(_plain_local(email.split("@", 1)[0])))


def email_name_key(email: str | None) -> str:
    """``email_name_tokens`` as a name key (sorted, space-separated; '' for none)."""
    if not email or "@" not in email:
        return ""
    return _local_name_key(_plain_local(email.split("@", 1)[0]))


def _plain_local(local: str) -> str:
    """A local part folded and stripped, without digits (addresses are many, these fewer)."""
    return _DIGITS.sub("", fold(local).strip())


@lru_cache(maxsize=1 << 17)
def _local_name_key(plain: str) -> str:
    return " ".join(sorted(local_part_words(plain)))


@lru_cache(maxsize=1 << 17)
def local_part_words(local: str) -> tuple[str, ...]:
    """``email_name_tokens`` of a local part folded, stripped and without digits (many
    addresses share one)."""
    parts = [w for w in re.split(r"[._\-+]+", local) if w]
    parts = [w for w in parts if w not in TITLES and w not in DEGREES]
    if len(parts) < 2 or any(len(w) < 2 or not w.isalpha() for w in parts):
        return ()
    if any(w in _MAILBOX_WORDS or w in ORG_WORDS or w in ROLE_WORDS for w in parts):
        return ()
    return tuple(parts)


# --- comparing two spellings --------------------------------------------------------------

WORD_SIMILARITY = 80  # rapidfuzz ratio of the one differing word
MIN_WORD_LENGTH = 4  # the longer of the two differing words
SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


@lru_cache(maxsize=1 << 16)
def _glued(tokens: tuple[str, ...]) -> frozenset[str]:
    orders = permutations(tokens) if len(tokens) <= 4 else [tokens, tuple(sorted(tokens))]
    return frozenset("".join(order) for order in orders)


def same_name(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Equal up to order and spacing ("Mc Call" = "McCall", "wang congrong" = "Congrong Wang")."""
    return sorted(a) == sorted(b) or bool(_glued(a) & _glued(b))


def spelling_difference(
    a: tuple[str, ...], b: tuple[str, ...], email: bool = False
) -> tuple[str, str] | None:
    """The one differing word of two spellings of a name, or None when they are the same name
    (up to order, spacing, initials, Jr/Sr and German umlauts) or too different to be one person.
    With ``email`` (``b`` read from an email address), two or more letters the address adds
    before or after the word ("drjianxing", "bonnetccf") and doubled letters ("Lluís" as
    "luis") are not a difference."""
    core_a = tuple(t for t in a if len(t) > 1 and t not in SUFFIXES)
    core_b = tuple(t for t in b if len(t) > 1 and t not in SUFFIXES)
    if not core_a or not core_b or same_name(a, b) or same_name(core_a, core_b):
        return None
    common = Counter(core_a) & Counter(core_b)
    rest_a = list((Counter(core_a) - common).elements())
    rest_b = list((Counter(core_b) - common).elements())
    if not common or len(rest_a) != 1 or len(rest_b) != 1:
        return None
    x, y = rest_a[0], rest_b[0]
    if max(len(x), len(y)) < MIN_WORD_LENGTH or fuzz.ratio(x, y) < WORD_SIMILARITY:
        return None
    if _umlauts(x) == _umlauts(y):
        return None
    added = len(y) - len(x) >= 2 and (y.startswith(x) or y.endswith(x))
    if email and (added or _single(x) == _single(y)):
        return None
    return (x, y)


def _single(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


def _umlauts(word: str) -> str:
    """German spellings of umlauts folded ("woessmann", "wössmann" -> "wossmann")."""
    return re.sub(r"([aou])e", r"\1", word.replace("ß", "ss"))


# --- entries that name no person ----------------------------------------------------------

# Words that make an entry an institution wherever they appear.
INSTITUTION_WORDS = word_set(
    "inc incorporated ltd limited llc llp plc gmbh ggmbh kgaa corp corporation company "
    "chemical chemicals pharmaceuticals pharmaceutical pharma therapeutics biosciences "
    "bioscience biotech biotechnology biopharma biologics laboratories laboratory labs "
    "vaccines hospital hospitals hopital hospitalier ospedale klinik klinikum clinique "
    "cliniques zentrum university universite universitat universidad universita "
    "universiteit universitatsklinikum college school faculty institute institut "
    "instituto istituto center centre centro clinic clinics unit department dept "
    "departement departamento dipartimento banc division direction section foundation "
    "fondation fundacion fondazione stiftung group groupe association society network "
    "consortium registry register studienregister office services service team committee "
    "agency ministry desk helpline hotline helpdesk mailbox"
)
# Words of department and job titles: the entry names no person unless two name words remain.
DESCRIPTOR_WORDS = word_set(
    "trials trial study studies research clinical medical healthcare health sciences "
    "science operations management development products information enquiries inquiries "
    "navigation program programme project international global worldwide transparency "
    "support referral regulatory strategy affairs coordinating quality innovation "
    "registration managing"
)
ORG_WORDS = INSTITUTION_WORDS | DESCRIPTOR_WORDS
ROLE_WORDS = word_set(
    "coordinator coordinators director manager investigator investigators monitor contact "
    "contacts officer administrator representative recruiter recruitment navigator "
    "physician sponsor pi registrar vp"
)
_PLACEHOLDER_WORDS = word_set(
    "tbd tba na n/a none unknown not applicable available provided pending determined "
    "announced nil null xxx same above use see refer to be site central public principal "
    "responsible party investigative local institution nurse leader lead scientist staff "
    "secretary chair chief head call line help email phone general main national of and "
    "the for de la del di du des at in on via or us & - ? trust specialist name person "
    "van der den von co fur y e et"
)
# Sponsors whose names read like a person's ("Bristol-Myers Squibb", "Boehringer Ingelheim").
COMPANIES = word_set(
    "novartis pfizer gsk glaxosmithkline glaxo boehringer ingelheim squibb astrazeneca "
    "sanofi genentech eisai astellas daiichi sankyo amgen gilead biogen abbvie celgene "
    "nordisk servier ucb teva mylan medtronic regeneron incyte alexion bms msd tibotec "
    "syndax hanmi genzyme allergan organon wyeth schering aventis novavax moderna "
    "biontech sinovac sinopharm jnj lundbeck"
)
_MAILBOX_WORDS = word_set(
    "info admin contact office mail email noreply no reply enquiries inquiries help "
    "support team medinfo registration participate this the in us dept"
)
# Company forms that are also name syllables ("Sa", "Ag", "Co"): only in capitals or with dots.
_ORG_ABBREVIATIONS = word_set("ag sa sas srl spa bv nv kk co lp ab as oy pty nhs r&d")
_NOT_NAME_WORDS = _PLACEHOLDER_WORDS | TITLES | DEGREES
_ORG_OR_ROLE_WORDS = ORG_WORDS | ROLE_WORDS
_CAMEL = re.compile(r"[A-Z][a-z]{2,}")


def _glued_organization(word: str) -> bool:
    """CamelCase words glued from three words or ending in an institution word
    ("StemCellUnit", "BioPharmaUnit"); "McCall", "VanHanh" and "DeLaCruz" stay names."""
    parts = _CAMEL.findall(word)
    if "".join(parts) != word or len(parts) < 2:
        return False
    return len(parts) >= 3 or fold(parts[-1]) in INSTITUTION_WORDS


def _acronym(word: str) -> bool:
    """Four or more capitals without a vowel: an institution's initials ("CKDRC")."""
    plain = fold(word)
    return len(word) >= 4 and word.isalpha() and word.isupper() and not re.search("[aeiouy]", plain)


def _org_abbreviation(word: str, *, last: bool) -> bool:
    """A company form such as "K.K.", "A/S", "R&D" anywhere, or "AG", "NV" ending the name
    (not "Peter AG De Smet", whose "AG" is two initials)."""
    if re.sub(r"[.]", "", word).lower() not in _ORG_ABBREVIATIONS:
        return False
    return any(c in word for c in "./&") or (last and word.isupper())


def _main_text(name: str) -> str:
    """The name without parenthesized notes and trailing degree or job parts, case kept."""
    parts = [p.strip() for p in re.split(r"[,;]", _PARENTHESES.sub(" ", name))]
    return ", ".join([parts[0], *(p for p in parts[1:] if p and not _is_suffix_part(fold(p)))])


def _several_people(name: str) -> bool:
    """Several names in one entry ("Zhong Nanshan / Song Yuanlin / Qiu Haibo", "Hongzhou Lu,
    Xiaorong Chen")."""
    parts = [
        p
        for p in re.split(r"[/;]| and ", _PARENTHESES.sub(" ", name))
        if p.strip() and not _is_suffix_part(fold(p.strip()))
    ]
    return (
        len(parts) >= 2 and all(len([t for t in name_tokens(p) if len(t) > 1]) >= 2 for p in parts)
    ) or _comma_list(name)


# Words that never stand in a name written after a comma: degrees, titles, jobs, departments.
_NOT_LISTED_NAME_WORDS = (
    DEGREES | TITLES | _PROFESSIONS | ROLE_WORDS | ORG_WORDS | _PLACEHOLDER_WORDS | COMPANIES
) | word_set("ph et al")  # "Bernard Maitre, Ph D", "et al"


def _comma_list(name: str) -> bool:
    """Names separated by commas, each of two to four words ("Tingrong Huang, Bangjiang Fang,
    Jun Feng", "Zhang DY, Huang CL, Cao B", "Chesney M, Coates T"). Not a name with its degrees
    or job after the comma ("Afroze Khan, MBBS MRCS", "Omid Ebrahimi, Cand Psychol", "Steven Lo,
    FRCS Plast"), nor "Surname, Given names" ("Mikaili, haleh"): every part has a word of two
    or more letters and no word with a digit, a dot, a degree, title, job or department word;
    capitals of four or more letters in a name that is not all capitals are degrees; two parts
    must have as many words each."""
    text = _PARENTHESES.sub(" ", name)
    parts = [p.split() for p in re.split(r"[,，、]", text) if p.strip()]
    if len(parts) < 2 or any(not 2 <= len(p) <= 4 for p in parts):
        return False
    if len(parts) == 2 and len(parts[0]) != len(parts[1]):
        return False
    one_case = text.isupper() or text.islower()
    for words in parts:
        if not any(re.fullmatch(r"[^\W\d_][^\W\d_'’-]+", w) for w in words):
            return False
        for word in words:
            if re.search(r"[\d.@]", word) or fold(word) in _NOT_LISTED_NAME_WORDS:
                return False
            if not one_case and word.isupper() and len(word) > 3:
                return False
    return True


def _word_kinds(text: str) -> dict[str, list[str]]:
    """The words of a name sorted into institution, descriptor, role and other (name) words;
    words with digits, titles, degrees, initials and placeholder words are left out."""
    words = [w.strip(",:[]") for w in text.split() if not re.search(r"\d", w) and w.strip(".,:[]")]
    found: dict[str, list[str]] = {"institution": [], "descriptor": [], "role": [], "other": []}
    for index, word in enumerate(words):
        compact = re.sub(r"[^a-z]", "", fold(word))
        if (
            compact in INSTITUTION_WORDS
            or compact in COMPANIES
            or word == "&"
            or _org_abbreviation(word, last=index == len(words) - 1)
            or _glued_organization(word)
            or _acronym(word)
        ):
            found["institution"].append(word)
            continue
        for token in [compact] if compact in _ORG_OR_ROLE_WORDS else _SPLIT.split(fold(word)):
            if token in INSTITUTION_WORDS or token in COMPANIES:
                found["institution"].append(word)
            elif token in DESCRIPTOR_WORDS:
                found["descriptor"].append(token)
            elif token in ROLE_WORDS:
                found["role"].append(token)
            elif len(token) > 1 and token not in _NOT_NAME_WORDS:
                found["other"].append(token)
    return found


#: A name that is one capitalized acronym and nothing but a degree ("MRC", "MPH") is as
#: often an organization's desk (Hamad's Medical Research Center, "MRC").
_ACRONYM = re.compile(r"\s*[A-Z]{3,}\s*")


@lru_cache(maxsize=100_000)
def not_a_person(name: str | None) -> tuple[str, str] | None:
    """``(kind, words)`` when the entry names no person, else None. Kinds: "empty" (nothing
    left after titles and degrees), "contact details" (a phone number, code, email or web
    address), "several people", "organization", "role" (a job instead of a name) and
    "placeholder" ("TBD", "Site 202"). A job title next to a real name ("Jatin Shah Chief
    Medical Officer", "Project management, Diane Egger-Adam") is a person."""
    if not isinstance(name, str) or not name_tokens(name):
        if isinstance(name, str) and _ACRONYM.fullmatch(name):
            return ("organization", name.strip())
        return ("empty", (name or "").strip())
    main = _main_text(name)
    if re.search(r"@|https?:|www\.", main) or len(re.findall(r"\d", name)) >= 5:
        return ("contact details", main.strip())
    if _several_people(name):
        return ("several people", "")
    if _initials_after_surname(main):
        return None
    parts = [_word_kinds(p) for p in re.split(r"[,;]", main)]
    if len(parts) > 1 and any(
        len(p["other"]) >= 2 and len(p["other"]) == sum(map(len, p.values())) for p in parts
    ):
        return None
    found = _word_kinds(main)
    if found["institution"]:
        return ("organization", _listed(found["institution"] + found["descriptor"]))
    if found["role"] and len(found["other"]) >= 2:
        return None
    if found["role"]:
        return ("role", _listed(found["role"]))
    if found["descriptor"]:
        return ("organization", _listed(found["descriptor"]))
    if not found["other"]:
        return ("placeholder", " ".join(name_tokens(main)))
    return None


_VANCOUVER = re.compile(r"([A-Z][a-z'’-]+),? ([A-Z]{2})")


def _initials_after_surname(text: str) -> str | None:
    """The surname of a name written "Surname INITIALS" whose initials read as a company form
    ("Spector SA", "Tacket CO": Stephen A. Spector, Carol O. Tacket), unless the surname is a
    company's ("Novartis AG"). A record whose sponsor bears that word makes it a company
    (``not_a_person_in_record``)."""
    found = _VANCOUVER.fullmatch(text.strip())
    if not found or fold(found[1]) in COMPANIES or fold(found[1]) in INSTITUTION_WORDS:
        return None
    return fold(found[1]) if fold(found[2]) in _ORG_ABBREVIATIONS else None


def _listed(words: list[str]) -> str:
    return ", ".join(dict.fromkeys(fold(w) for w in words))


def may_repeat_a_sponsor(name: str) -> bool:
    """The name has no degree word and is one word once titles are dropped: the tests of
    ``_sponsor_alias`` that look at the name alone."""
    if _initials_after_surname(name):
        return True
    if any(w in DEGREES for w in fold(name).replace(".", "").split()):
        return False
    return " " not in name_key(name)


def _sponsor_alias(name: str, degrees: str | None, organizations: list[str]) -> str | None:
    """The sponsor or collaborator that a one-word, degree-less name repeats without its company
    words ("Puma" for "Puma Biotechnology Inc"); never a person-named sponsor ("Tian Yi Zhang")."""
    if degrees or not may_repeat_a_sponsor(name):
        return None
    if surname := _initials_after_surname(name):  # "Roche SA" for "F. Hoffmann-La Roche"
        return next((o for o in organizations if surname in name_tokens(o)), None)
    key = name_key(name)
    for organization in organizations:
        kind = not_a_person(organization)
        if not kind or kind[0] != "organization":
            continue
        core = " ".join(sorted(t for t in name_tokens(organization) if t not in ORG_WORDS))
        if key == core:
            return organization
    return None


def not_a_person_in_record(
    name: str, degrees: str | None, organizations: list[str]
) -> tuple[str, str] | None:
    """``not_a_person``, or ("organization", ...) for a one-word name repeating one of its
    record's ``organizations`` (sponsor, collaborators): placeholder-contact's judgement."""
    found = not_a_person(name)
    if found:
        return found
    alias = _sponsor_alias(name, degrees, organizations)
    return ("organization", f"the sponsor {alias}") if alias else None
