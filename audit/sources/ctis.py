"""EU Clinical Trials Information System (CTIS) records as ctrdata stores them (``ctrname``
CTIS).

CTIS's public API changed shape in 2024, and ctrdata exports hold both: the older records
keep the authorised application at the top (``authorizedPartI``, ``authorizedPartsII``,
``primarySponsor``, ``ctStatus`` in words), the newer ones under ``authorizedApplication``
(``ctStatus`` and ``ctPublicStatusCode`` as numbers, ``events``, ``startDateEU``). Both are
read. Decisions worth knowing:

* ``trial_id`` is the CT number (``2022-500244-37-00``). ``secondary_ids`` are the EudraCT
  number of a trial transitioned from the EU CTR (written as CTIS gives it, "2019-003842-34";
  the duplicate-registration rule reads it as EUCTR2019-003842-34), the NCT and ISRCTN numbers
  and other registries' numbers. ``associatedClinicalTrials`` are other trials, not ids of this
  one, and are left out.
* Status: "Authorised, recruitment pending" / "Authorised, not started" NOT_YET_RECRUITING;
  "Authorised, recruiting" and "Ongoing, recruiting" RECRUITING; "Ongoing, recruitment ended"
  ACTIVE_NOT_RECRUITING; "Temporarily halted" and "Suspended" SUSPENDED. "Ended" includes
  early termination: it is TERMINATED when every member state that notified events notified an
  early termination, COMPLETED when they notified events but not all of them that, and null
  when there are no notifications. "Under evaluation", "Expired", "Revoked", "Not authorised"
  and "Cancelled" have no API v2 status and stay null; the words are kept in ``status_text``.
* Dates: the start is the start of the trial in the EU (``startDateEU``) or the earliest
  "start of trial" notification (ACTUAL), else the planned recruitment start (ESTIMATED). The
  completion is a global end of trial notification (ACTUAL), else the estimated global end
  (ESTIMATED). CTIS states no primary completion and no first-posted date.
* Enrollment is planned (ESTIMATED): the member states' numbers plus the rest of the world's.
* Ages are age-range categories (0-17, 18-64, 65+ years), not limits, and stay null; there
  are no arms, masking or allocation fields in the authorised Part I, so those stay null too.
* People: the sponsor's public and scientific contacts, and each site's investigator.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from audit.record import intervention, new_record, outcome, person, site
from audit.registries import sole_nct_id
from audit.sources import MAX_DIGITS, SourceError, ctrdata, whole_number
from audit.sources.ctrdata import block, day, line, obj, objs, unique
from audit.vocab import SEXES, enum_key, to_enums, to_phases

NAME = "ctis"

CANNOT_CARRY = frozenset(
    {
        "status_verified",
        "last_known_status",
        "primary_completion_date",
        "masking",
        "allocation",
        "eligibility.min_age_years",
        "eligibility.max_age_years",
        "outcomes.time_frame",
    }
)  # CTIS has no design fields, ages only as age-range categories, and end points as texts
CTRNAME = "CTIS"

#: CTIS's public status codes (``ctStatus``, ``ctPublicStatusCode``) and their words.
STATUS_CODES = {
    1: "Under evaluation",
    2: "Authorised, recruitment pending",
    3: "Authorised, recruiting",
    4: "Ongoing, recruiting",
    5: "Ongoing, recruitment ended",
    6: "Temporarily halted",
    7: "Suspended",
    8: "Ended",
    9: "Expired",
    10: "Revoked",
    11: "Not authorised",
    12: "Cancelled",
}
_STATUSES = {
    "authorised, recruitment pending": "NOT_YET_RECRUITING",
    "authorised, not started": "NOT_YET_RECRUITING",
    "ongoing, not yet recruiting": "NOT_YET_RECRUITING",
    "authorised, recruiting": "RECRUITING",
    "ongoing, recruiting": "RECRUITING",
    "ongoing, recruitment ended": "ACTIVE_NOT_RECRUITING",
    "temporarily halted": "SUSPENDED",
    "suspended": "SUSPENDED",
}


def sniff(path: Path, head: str) -> bool:
    return ctrdata.sniff(head, CTRNAME)


def parse(path: Path, text: str) -> list[dict]:
    return ctrdata.parse(path, text, NAME)


def record(path: Path, value: dict, where: str) -> dict:
    trial_id = line(value.get("ctNumber")) or line(value.get("_id"))
    if not trial_id:
        raise SourceError(path, f"{where}: no ctNumber")
    # Newer records hold the authorised application in a member, older ones at the top.
    application = obj(value, "authorizedApplication") or value
    part1 = obj(application, "authorizedPartI")
    details = obj(part1, "trialDetails")
    info = obj(details, "trialInformation")
    notices = _notifications(value)
    status, status_text = _status(value, notices)
    secondary = _secondary_ids(value, application, details)
    population = obj(info, "populationOfTrialSubjects")
    return new_record(
        trial_id=trial_id,
        nct_id=sole_nct_id(secondary),
        secondary_ids=secondary,
        source=NAME,
        source_file=str(path),
        title=line(obj(details, "clinicalTrialIdentifiers").get("publicTitle"))
        or line(value.get("title")),
        official_title=line(obj(details, "clinicalTrialIdentifiers").get("fullTitle")),
        overall_status=status,
        status_text=status_text,
        phases=to_phases(line(value.get("trialPhase"))),
        study_type="INTERVENTIONAL",
        enrollment=_enrollment(value, application, part1),
        start_date=_start(value, info, notices),
        completion_date=_completion(info, notices),
        last_update_posted=day(value.get("lastPublicationUpdate") or value.get("lastUpdated")),
        sponsor=_sponsor(value, part1),
        collaborators=_collaborators(value, part1, info),
        conditions=unique(
            text
            for c in objs(info, "medicalCondition", "partIMedicalConditions")
            if (text := line(c.get("medicalCondition")))
        ),
        interventions=_interventions(part1),
        people=_people(application, part1),
        sites=_sites(application, part1),
        outcomes=_outcomes(info),
        eligibility={
            "sex": _sex(value, population),
            "min_age_years": None,
            "max_age_years": None,
            "healthy_volunteers": _healthy(population),
            "inclusion": _criteria(info, "principalInclusionCriteria"),
            "exclusion": _criteria(info, "principalExclusionCriteria"),
        },
        descriptions={
            "brief_summary": block(obj(info, "trialObjective").get("mainObjective")),
            "detailed_description": None,
        },
    )


# --- ids, status and dates -------------------------------------------------------------------


def _secondary_ids(value: dict, application: dict, details: dict) -> list[str]:
    numbers = obj(details, "clinicalTrialIdentifiers", "secondaryIdentifyingNumbers")
    written = [
        obj(application, "eudraCt").get("eudraCtCode"),
        obj(value, "eudraCtInfo").get("eudraCtCode"),
        *(obj(numbers, key).get("number") for key in ("nctNumber", "isrctnNumber", "whoUtrn")),
        *(r.get("number") for r in objs(numbers, "additionalRegistries")),
    ]
    own = line(value.get("ctNumber"))
    return unique(text for item in written if (text := line(item)) and text != own)


def _status_words(value: dict) -> str | None:
    """The status in words: ``ctStatus`` is words in older records and a code in newer ones."""
    for key in ("ctStatus", "ctPublicStatusCode"):
        raw = value.get(key)
        code = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if code is None and isinstance(raw, str) and raw.strip().isdecimal():
            code = int(raw)
        if code is not None:
            return STATUS_CODES.get(code)
        if text := line(raw):
            return text
    return None


def _notifications(value: dict) -> dict[str, list[tuple[str, str | None]]]:
    """Per member state, the (TYPE_OF_NOTIFICATION, date) it notified: ``events`` in newer
    records, ``mscTrialNotificationsInfoList`` (types in words) in older ones."""
    states = [(s, objs(s, "events")) for s in objs(value, "events", "trialEvents")]
    states += [
        (s, objs(s, "mscNotificationsListInfo"))
        for s in objs(value, "mscTrialNotificationsInfoList")
    ]
    found: dict[str, list[tuple[str, str | None]]] = {}
    for state, events in states:
        found.setdefault(line(state.get("mscName")) or "", []).extend(
            (enum_key(line(event.get("notificationType")) or ""), day(event.get("date")))
            for event in events
        )
    return {state: events for state, events in found.items() if events}


def _status(value: dict, notices: dict) -> tuple[str | None, str | None]:
    words = _status_words(value)
    key = (words or "").lower()
    if key == "ended" and notices:
        early = all(any("EARLY_TERMINATION" in kind for kind, _ in e) for e in notices.values())
        return ("TERMINATED" if early else "COMPLETED"), words
    return _STATUSES.get(key), words


def _dated(date: str | None, kind: str) -> dict:
    return {"date": date, "type": kind if date else None}


def _start(value: dict, info: dict, notices: dict) -> dict:
    starts = sorted(
        d for events in notices.values() for kind, d in events if kind == "START_OF_TRIAL" and d
    )
    actual = day(value.get("startDateEU")) or (starts[0] if starts else None)
    if actual:
        return _dated(actual, "ACTUAL")
    planned = obj(info, "trialDuration").get("estimatedRecruitmentStartDate")
    return _dated(day(planned), "ESTIMATED")


def _completion(info: dict, notices: dict) -> dict:
    ends = sorted(
        d
        for events in notices.values()
        for kind, d in events
        if kind.startswith("GLOBAL_END") and d
    )
    if ends:
        return _dated(ends[-1], "ACTUAL")
    duration = obj(info, "trialDuration")
    planned = line(duration.get("estimatedGlobalEndDate")) or line(duration.get("estimatedEndDate"))
    return _dated(day(planned), "ESTIMATED")


def _enrollment(value: dict, application: dict, part1: dict) -> dict:
    """Planned: the member states' numbers (Parts II) and the rest of the world's (Part I)."""
    parts = objs(application, "authorizedPartsII")
    states = [n for p in parts if (n := _count(p.get("recruitmentSubjectCount"))) is not None]
    eea = sum(states) if states else _count(value.get("totalNumberEnrolled"))
    if eea is None:
        return {"count": None, "type": None}
    return {"count": eea + (_count(part1.get("rowSubjectCount")) or 0), "type": "ESTIMATED"}


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10**MAX_DIGITS else None
    return whole_number(line(value))


# --- sponsor, products, people, sites --------------------------------------------------------


def _sponsors(part1: dict) -> list[dict]:
    return objs(part1, "sponsors")


def _primary(part1: dict) -> list[dict]:
    """The primary sponsor (all sponsors when none is marked primary)."""
    return [s for s in _sponsors(part1) if s.get("primary") is True] or _sponsors(part1)


def _sponsor(value: dict, part1: dict) -> str | None:
    names = [
        obj(s, "organisation").get("name") for s in [obj(value, "primarySponsor"), *_primary(part1)]
    ]
    return next((text for name in names if (text := line(name))), None)


def _collaborators(value: dict, part1: dict, info: dict) -> list[str]:
    """Co-sponsors and the sources of monetary support, other than the sponsor."""
    lead = (_sponsor(value, part1) or "").casefold()
    names = [
        obj(s, "organisation").get("name") for s in _sponsors(part1) if s.get("primary") is False
    ]
    names += [s.get("organisationName") for s in objs(info, "sourceOfMonetarySupport")]
    return unique(text for n in names if (text := line(n)) and text.casefold() != lead)


def _interventions(part1: dict) -> list[dict]:
    found = []
    for group in objs(part1, "productRoleGroupInfos"):
        role = line(group.get("productRoleName"))
        for product in objs(group, "products"):
            dictionary = obj(product, "productDictionaryInfo")
            name = (
                line(product.get("productName"))
                or line(dictionary.get("prodName"))
                or line(product.get("jsonActiveSubstanceNames"))
            )
            if name:
                described = f"product role: {role}" if role else None
                found.append(intervention(_product_type(product), name, described))
    return unique(found)


def _product_type(product: dict) -> str | None:
    """BIOLOGICAL for an advanced therapy, DRUG when every substance is chemical."""
    if product.get("anAdvancedTherapyMedicinalProduct") is True:
        return "BIOLOGICAL"
    origins = {
        (line(s.get("actSubstOrigin")) or line(s.get("substanceOrigin")) or "").lower()
        for s in objs(product, "productDictionaryInfo", "productSubstances")
    }
    if product.get("allSubstancesChemicals") is True or origins == {"chemical"}:
        return "DRUG"
    return None


def _people(application: dict, part1: dict) -> list[dict]:
    """The primary sponsor's public and scientific contacts, and each site's investigator."""
    return unique(_contacts(part1) + _investigators(application))


def _contacts(part1: dict) -> list[dict]:
    found = []
    for sponsor in _primary(part1):
        organisation = line(obj(sponsor, "organisation").get("name"))
        for key, role in (
            ("publicContacts", "PUBLIC_CONTACT"),
            ("scientificContacts", "SCIENTIFIC_CONTACT"),
        ):
            found += [
                person(
                    name,
                    role,
                    email=line(contact.get("functionalEmailAddress")),
                    phone=line(contact.get("telephone")),
                    affiliation=organisation,
                )
                for contact in objs(sponsor, key)
                if (name := line(contact.get("functionalName")))
            ]
    return found


def _investigators(application: dict) -> list[dict]:
    found = []
    for trial_site in _trial_sites(application):
        who = obj(trial_site, "personInfo")
        name = " ".join(filter(None, (line(who.get("firstName")), line(who.get("lastName")))))
        if name:
            email, phone = line(who.get("email")), line(who.get("telephone"))
            found.append(person(name, "SITE_INVESTIGATOR", [], email, phone, _facility(trial_site)))
    return found


def _trial_sites(application: dict) -> list[dict]:
    return [s for part in objs(application, "authorizedPartsII") for s in objs(part, "trialSites")]


def _facility(trial_site: dict) -> str | None:
    return line(obj(trial_site, "organisationAddressInfo", "organisation").get("name"))


def _sites(application: dict, part1: dict) -> list[dict]:
    """Each site in the member states, and the other countries of the trial (Part I)."""
    found = []
    for trial_site in _trial_sites(application):
        address = obj(trial_site, "organisationAddressInfo", "address")
        found.append(
            site(
                _facility(trial_site),
                line(address.get("city")),
                None,
                line(address.get("postcode")),
                line(address.get("countryName")),
            )
        )
    listed = {s["country"] for s in found}
    others = unique(
        name
        for c in objs(part1, "rowCountriesInfo")
        if (name := line(c.get("name"))) and name not in listed
    )
    return unique(found) + [site(None, country=country) for country in others]


# --- population and outcomes ---------------------------------------------------------------


def _sex(value: dict, population: dict) -> str | None:
    female, male = population.get("isFemaleSubjects"), population.get("isMaleSubjects")
    if isinstance(female, bool) and isinstance(male, bool) and (female or male):
        return "ALL" if female and male else ("FEMALE" if female else "MALE")
    said = to_enums(re.split(r"\s*,\s*", line(value.get("gender")) or ""), SEXES)
    return "ALL" if set(said) == {"FEMALE", "MALE"} else (said[0] if len(said) == 1 else None)


def _healthy(population: dict) -> bool | None:
    groups = [(line(g.get("name")) or "").lower() for g in objs(population, "clinicalTrialGroups")]
    if not groups:
        return None
    return any("healthy" in g for g in groups)


def _numbered(items: list[dict], field: str) -> list[str]:
    """The texts of a numbered list (criteria, end points) in the order of their numbers."""
    ordered = sorted(items, key=lambda i: _count(i.get("number")) or 0)
    return unique(text for i in ordered if (text := block(i.get(field))))


def _criteria(info: dict, key: str) -> list[str]:
    return _numbered(objs(info, "eligibilityCriteria", key), key)


def _outcomes(info: dict) -> list[dict]:
    return [
        outcome(kind, measure)
        for kind, key in (("primary", "primaryEndPoints"), ("secondary", "secondaryEndPoints"))
        for measure in _numbered(objs(info, "endPoint", key), "endPoint")
    ]
