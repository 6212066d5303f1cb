"""ISRCTN registry records as ctrdata stores them (``ctrname`` ISRCTN): the register's XML
converted to JSON (``isrctn``, ``trialDescription``, ``externalRefs``, ``trialDesign``,
``participants``, ``conditions``, ``interventions`` ...). Decisions worth knowing:

* ``trial_id`` is ``ISRCTN`` and the number. ``secondary_ids`` are the EudraCT, NCT and IRAS
  numbers, the protocol serial number and the other secondary numbers, as written; "Nil
  known" and the like are dropped.
* Status: ISRCTN states a status only when it overrides it ("Stopped" TERMINATED, "Suspended"
  SUSPENDED). Otherwise the register shows a status computed from the dates, and so does this
  importer, on the day ctrdata loaded the record (``captured``): overall end date passed
  COMPLETED, before the recruitment start NOT_YET_RECRUITING, within the recruitment period
  RECRUITING, after it ACTIVE_NOT_RECRUITING. ``status_text`` says what ISRCTN shows.
* Dates: the overall start date (or the recruitment start) and the overall end date. ISRCTN
  does not say whether they are actual or anticipated, so their types stay null.
* Enrollment: the total final enrolment (ACTUAL) when given, else the target (ESTIMATED).
* Interventions are named by their ``drugNames`` (split at commas); one without names (a
  procedure described only in words) is left out. The design is read from the study design
  pick-lists ("Randomised parallel trial"), never from the free-text description.
* These exports carry the sponsor, funder and contacts only as ids (``parties``), so sponsor
  and people stay empty.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from audit.record import intervention, new_record, outcome, site
from audit.registries import sole_nct_id
from audit.sources import SourceError, ctrdata, whole_number
from audit.sources.ctrdata import block, day, items, line, lines, obj, objs, unique
from audit.vocab import (
    OVERALL_STATUSES,
    PRIMARY_PURPOSES,
    SEXES,
    STUDY_TYPES,
    to_enum,
    to_phases,
    to_years,
)

NAME = "isrctn"

CANNOT_CARRY = frozenset(
    {
        "status_verified",
        "last_known_status",
        "primary_completion_date",
        "start_date.type",
        "completion_date.type",
        "sponsor",
        "people",
        "outcomes.time_frame",
    }
)  # ctrdata's ISRCTN records give the sponsor and people as party ids only, and each outcome
# as one text, its timing written in it ("... up to one year of age")
CTRNAME = "ISRCTN"

_NOTHING = {
    "",
    "-",
    "n/a",
    "na",
    "nil",
    "nil known",
    "none",
    "not applicable",
    "not known",
    "unknown",
}
_NOT_PROVIDED = "not provided at time of registration"
# ISRCTN's intervention types -> API v2 (where the wording is not the enum name).
_INTERVENTION_TYPES = {
    "drug": "DRUG",
    "device": "DEVICE",
    "biological/vaccine": "BIOLOGICAL",
    "behavioural": "BEHAVIORAL",
    "procedure/surgery": "PROCEDURE",
    "supplement": "DIETARY_SUPPLEMENT",
    "genetic": "GENETIC",
    "radiotherapy": "RADIATION",
    "other": "OTHER",
}
_OVERRIDES = {"stopped": "TERMINATED", "suspended": "SUSPENDED"}
# A list of names split at commas and semicolons outside parentheses.
_NAME_SEPARATOR = re.compile(r"\s*[,;]\s*(?![^()]*\))")


def sniff(path: Path, head: str) -> bool:
    return ctrdata.sniff(head, CTRNAME)


def parse(path: Path, text: str) -> list[dict]:
    return ctrdata.parse(path, text, NAME)


def record(path: Path, value: dict, where: str) -> dict:
    number = line(value.get("isrctn")) or ""
    if not re.fullmatch(r"(?:ISRCTN)?\d{8}", number):
        raise SourceError(path, f"{where}: no ISRCTN number in 'isrctn'")
    trial_id = number if number.startswith("ISRCTN") else f"ISRCTN{number}"
    description = obj(value, "trialDescription")
    design = obj(value, "trialDesign")
    participants = obj(value, "participants")
    secondary = _secondary_ids(obj(value, "externalRefs"), trial_id)
    status, status_text = _status(value, design, participants)
    interventions = objs(value, "interventions", "intervention")
    return new_record(
        trial_id=trial_id,
        nct_id=sole_nct_id(secondary),
        secondary_ids=secondary,
        source=NAME,
        source_file=str(path),
        title=line(description.get("title")),
        official_title=line(description.get("scientificTitle")),
        overall_status=status,
        status_text=status_text,
        phases=to_phases(" ".join(lines([i.get("phase") for i in interventions]))),
        study_type=to_enum(line(design.get("primaryStudyDesign")), STUDY_TYPES),
        **_design(line(design.get("secondaryStudyDesign"))),
        primary_purpose=_purpose(obj(design, "trialTypes").get("trialType")),
        enrollment=_enrollment(participants),
        start_date=_undated(design.get("overallStartDate") or participants.get("recruitmentStart")),
        completion_date=_undated(design.get("overallEndDate")),
        conditions=unique(
            text
            for c in objs(value, "conditions", "condition")
            if (text := line(c.get("description")))
        ),
        interventions=_interventions(interventions),
        sites=_sites(participants),
        outcomes=_outcomes(description),
        eligibility={
            "sex": to_enum(line(participants.get("gender")), SEXES),
            "min_age_years": to_years(line(participants.get("lowerAgeLimit"))),
            "max_age_years": to_years(line(participants.get("upperAgeLimit"))),
            "healthy_volunteers": _healthy(participants),
            "inclusion": items(participants.get("inclusion")),
            "exclusion": items(participants.get("exclusion")),
        },
        descriptions={
            "brief_summary": _provided(description.get("plainEnglishSummary")),
            "detailed_description": None,
        },
    )


def _provided(value: Any) -> str | None:
    text = block(value)
    return None if text is None or text.lower().startswith(_NOT_PROVIDED) else text


# --- ids, status, dates ------------------------------------------------------------------


def _secondary_ids(refs: dict, trial_id: str) -> list[str]:
    written = [
        refs.get("eudraCTNumber"),
        refs.get("clinicalTrialsGovNumber"),
        refs.get("irasNumber"),
        refs.get("protocolSerialNumber"),
        *lines(obj(refs, "secondaryNumbers").get("secondaryNumber")),
    ]
    ids = (text for item in written if (text := line(item)))
    return unique(i for i in ids if i.lower() not in _NOTHING and i != trial_id)


def _undated(value: Any) -> dict:
    return {"date": day(value), "type": None}


def _status(value: dict, design: dict, participants: dict) -> tuple[str | None, str | None]:
    """(API v2 status, what ISRCTN shows) from the override, else from the dates on the day
    of capture."""
    override = line(design.get("overallStatusOverride")) or line(
        participants.get("recruitmentStatusOverride")
    )
    if override:
        return _OVERRIDES.get(override.lower()) or to_enum(override, OVERALL_STATUSES), override
    on = ctrdata.captured(value)
    start = day(participants.get("recruitmentStart"))
    end = day(participants.get("recruitmentEnd"))
    overall_end = day(design.get("overallEndDate"))
    if not on:
        return None, None
    if overall_end and on > overall_end:
        return "COMPLETED", "Completed"
    if not (start and end and overall_end):
        return None, None
    if on < start:
        return "NOT_YET_RECRUITING", "Ongoing, not yet recruiting"
    if on <= end:
        return "RECRUITING", "Ongoing, recruiting"
    return "ACTIVE_NOT_RECRUITING", "Ongoing, no longer recruiting"


# --- design, population, interventions, sites, outcomes ----------------------------------------


def _design(text: str | None) -> dict[str, str]:
    """From the pick-list "Randomised parallel trial", "Non randomised study" ..."""
    key = (text or "").lower().replace("-", " ")
    found: dict[str, str] = {}
    if key.startswith("randomi"):
        found["allocation"] = "RANDOMIZED"
    elif key.startswith("non randomi"):
        found["allocation"] = "NON_RANDOMIZED"
    if "parallel" in key:
        found["intervention_model"] = "PARALLEL"
    elif "cross over" in key or "crossover" in key:
        found["intervention_model"] = "CROSSOVER"
    return found


def _purpose(value: Any) -> str | None:
    said = unique(p for word in lines(value) if (p := to_enum(word, PRIMARY_PURPOSES)))
    return said[0] if len(said) == 1 else None


def _enrollment(participants: dict) -> dict:
    final = whole_number(line(participants.get("totalFinalEnrolment")))
    if final is not None:
        return {"count": final, "type": "ACTUAL"}
    target = whole_number(line(participants.get("targetEnrolment")))
    return {"count": target, "type": "ESTIMATED" if target is not None else None}


def _healthy(participants: dict) -> bool | None:
    types = [t.lower() for t in lines(obj(participants, "participantTypes").get("participantType"))]
    return any("healthy" in t for t in types) if types else None


def _interventions(entries: list[dict]) -> list[dict]:
    found = []
    for entry in entries:
        kind = _INTERVENTION_TYPES.get((line(entry.get("interventionType")) or "").lower())
        names = _NAME_SEPARATOR.split(line(entry.get("drugNames")) or "")
        description = block(entry.get("description"))
        found += [
            intervention(kind, name, description) for name in names if name.lower() not in _NOTHING
        ]
    return unique(found)


def _sites(participants: dict) -> list[dict]:
    """The trial centres, and the recruitment countries that have none."""
    found = [
        site(
            line(centre.get("name")),
            line(centre.get("city")),
            line(centre.get("state")),
            _nothing_to_none(line(centre.get("zip"))),
            line(centre.get("country")),
        )
        for centre in objs(participants, "trialCentres", "trialCentre")
    ]
    listed = {s["country"] for s in found}
    countries = lines(obj(participants, "recruitmentCountries").get("country"))
    return unique(found) + [site(None, country=c) for c in countries if c not in listed]


def _nothing_to_none(text: str | None) -> str | None:
    return None if text is None or text.lower() in _NOTHING else text


def _outcomes(description: dict) -> list[dict]:
    """Primary and secondary outcomes, one per numbered item; ISRCTN gives no time frames."""
    found = []
    for kind in ("primary", "secondary"):
        for key in (f"{kind}Outcome", f"{kind}Outcomes"):
            found += [outcome(kind, measure) for measure in items(description.get(key))]
    return unique(found)
