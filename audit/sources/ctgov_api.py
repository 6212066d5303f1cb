"""ClinicalTrials.gov API v2 study JSON: one study, a ``{"studies": [...]}`` page, a website
export array ``[study, ...]``, or NDJSON with one study per line.

Values are read as the API states them; anything absent stays null or empty. The API never
states arm sizes, so ``planned_size`` is always null, and JSON has no meaningful lines, so
``source_lines`` stays empty.

``captured``: the study's ``derivedSection.miscInfoModule.versionHolder``, the day of the
registry's data version the API served (ignored when it is before the study's last update: a
copy cannot predate what it holds). A study without it in a website export (a JSON array of
studies) gets the export's newest ``lastUpdatePostDate`` (see
``audit.sources.stamp_newest_update``); otherwise nothing says when it was fetched.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from audit import vocab
from audit.record import arm, contact, intervention, new_record, outcome, site
from audit.sources import (
    MAX_DIGITS,
    SourceError,
    ctrdata,
    jsondoc,
    stamp_newest_update,
    whole_number,
)

NAME = "ctgov-api"
#: The API states no arm sizes and no number of arms.
CANNOT_CARRY = frozenset({"arms.planned_size", "stated_arm_count"})


def sniff(path: Path, head: str) -> bool:
    """JSON (object, array or NDJSON) whose text names a v2 ``protocolSection``."""
    text = head.lstrip("\ufeff \t\r\n")
    return text[:1] in ("{", "[") and '"protocolSection"' in text


def parse(path: Path, text: str) -> list[dict]:
    """One record per study in the file."""
    studies, export = _studies(path, text.lstrip("\ufeff"))
    if not studies:
        raise SourceError(path, "contains no studies")
    if any(ctrdata.is_export_line(study) for _, study in studies):
        # A ctrdata export: its lines may be of other registers, each read by its importer.
        return ctrdata.records(path, studies, NAME)
    records = [record(path, study, where) for where, study in studies]
    return stamp_newest_update(records) if export else records


# --- reading the JSON --------------------------------------------------------------------


def _studies(path: Path, text: str) -> tuple[list[tuple[str, Any]], bool]:
    """The study objects, each with a label for error messages ("study [3]"), and whether the
    file is a website export (a JSON array)."""
    data = jsondoc.document(path, text)
    if isinstance(data, jsondoc.Lines):
        return data.items, False
    if isinstance(data, list):
        return [(f"study [{i}]", study) for i, study in enumerate(data)], True
    if isinstance(data, dict):
        if isinstance(data.get("studies"), list):
            return [(f"studies[{i}]", study) for i, study in enumerate(data["studies"])], False
        if "protocolSection" in data:
            return [("the study", data)], False
        if "FullStudiesResponse" in data or "ProtocolSection" in data:
            raise SourceError(path, "ClinicalTrials.gov API v1 JSON (PascalCase), not API v2")
        raise SourceError(path, "JSON object has neither 'protocolSection' nor 'studies'")
    raise SourceError(path, f"JSON {type(data).__name__} is not a study object or an array")


def _obj(value: Any, *keys: str) -> dict:
    """The object at ``keys`` inside ``value``, or {} when any step is missing or not an object."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _objs(value: Any, key: str) -> list[dict]:
    items = value.get(key) if isinstance(value, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _strs(value: Any) -> list[str]:
    return [item for item in value if _str(item)] if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < 10**MAX_DIGITS else None
    return whole_number(value) if isinstance(value, str) and "," not in value else None


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _enums(values: Any, vocabulary: tuple[str, ...]) -> list[str]:
    """The distinct vocabulary values named in a list of words, in the source's order."""
    return vocab.to_enums(_strs(values), vocabulary)


# --- one study -----------------------------------------------------------------------------


def record(path: Path, study: Any, where: str) -> dict:
    """The record of one v2 study object (``where`` labels it in error messages)."""
    protocol = _obj(study, "protocolSection")
    ident = _obj(protocol, "identificationModule")
    nct_id = _str(ident.get("nctId"))
    if nct_id is None:
        raise SourceError(path, f"{where}: no protocolSection.identificationModule.nctId")
    nct_id = nct_id.strip()
    status = _obj(protocol, "statusModule")
    design = _obj(protocol, "designModule")
    info = _obj(design, "designInfo")
    masking = _obj(info, "maskingInfo")
    enrollment = _obj(design, "enrollmentInfo")
    sponsors = _obj(protocol, "sponsorCollaboratorsModule")
    arms_module = _obj(protocol, "armsInterventionsModule")
    description = _obj(protocol, "descriptionModule")
    last_update = vocab.to_iso_date(_str(_obj(status, "lastUpdatePostDateStruct").get("date")))
    secondary = [_obj(ident, "orgStudyIdInfo").get("id")]
    secondary += [item.get("id") for item in _objs(ident, "secondaryIdInfos")]
    return new_record(
        trial_id=nct_id,
        nct_id=nct_id,
        secondary_ids=_unique(_strs(secondary)),
        source=NAME,
        source_file=str(path),
        title=_str(ident.get("briefTitle")),
        official_title=_str(ident.get("officialTitle")),
        overall_status=vocab.to_enum(_str(status.get("overallStatus")), vocab.OVERALL_STATUSES),
        status_text=_str(status.get("overallStatus")),
        last_known_status=vocab.to_enum(
            _str(status.get("lastKnownStatus")), vocab.OVERALL_STATUSES
        ),
        status_verified=_year_month(status.get("statusVerifiedDate")),
        phases=_enums(design.get("phases"), vocab.PHASES),
        study_type=vocab.to_enum(_str(design.get("studyType")), vocab.STUDY_TYPES),
        allocation=vocab.to_enum(_str(info.get("allocation")), vocab.ALLOCATIONS),
        intervention_model=vocab.to_enum(
            _str(info.get("interventionModel")), vocab.INTERVENTION_MODELS
        ),
        masking=vocab.to_enum(_str(masking.get("masking")), vocab.MASKINGS),
        who_masked=_enums(masking.get("whoMasked"), vocab.WHO_MASKED),
        primary_purpose=vocab.to_enum(_str(info.get("primaryPurpose")), vocab.PRIMARY_PURPOSES),
        enrollment={
            "count": _int(enrollment.get("count")),
            "type": vocab.to_enum(_str(enrollment.get("type")), vocab.COUNT_TYPES),
        },
        start_date=_dated(status, "startDateStruct"),
        primary_completion_date=_dated(status, "primaryCompletionDateStruct"),
        completion_date=_dated(status, "completionDateStruct"),
        first_posted=vocab.to_iso_date(_str(_obj(status, "studyFirstPostDateStruct").get("date"))),
        last_update_posted=last_update,
        captured=_version_day(study, last_update),
        sponsor=_str(_obj(sponsors, "leadSponsor").get("name")),
        collaborators=_strs([c.get("name") for c in _objs(sponsors, "collaborators")]),
        conditions=_strs(_obj(protocol, "conditionsModule").get("conditions")),
        interventions=[
            intervention(
                vocab.to_enum(_str(i.get("type")), vocab.INTERVENTION_TYPES),
                i["name"],
                _str(i.get("description")),
            )
            for i in _objs(arms_module, "interventions")
            if _str(i.get("name"))
        ],
        arms=[
            arm(
                a["label"],
                vocab.to_enum(_str(a.get("type")), vocab.ARM_TYPES),
                _str(a.get("description")),
                _strs(a.get("interventionNames")),
                None,
            )
            for a in _objs(arms_module, "armGroups")
            if _str(a.get("label"))
        ],
        people=_people(_obj(protocol, "contactsLocationsModule")),
        sites=[
            site(
                _str(loc.get("facility")),
                _str(loc.get("city")),
                _str(loc.get("state")),
                _str(loc.get("zip")),
                _str(loc.get("country")),
                vocab.to_enum(_str(loc.get("status")), vocab.OVERALL_STATUSES),
            )
            for loc in _objs(_obj(protocol, "contactsLocationsModule"), "locations")
        ],
        outcomes=_outcomes(_obj(protocol, "outcomesModule")),
        eligibility=_eligibility(_obj(protocol, "eligibilityModule")),
        descriptions={
            "brief_summary": _str(description.get("briefSummary")),
            "detailed_description": _str(description.get("detailedDescription")),
        },
        participant_flow=_participant_flow(_obj(study, "resultsSection", "participantFlowModule")),
        flow_details=_flow_details(_obj(study, "resultsSection", "participantFlowModule")),
        baseline_population=_str(
            _obj(study, "resultsSection", "baselineCharacteristicsModule").get(
                "populationDescription"
            )
        ),
    )


def _version_day(study: Any, last_update: str | None) -> str | None:
    """The day of the data version the API served: the study's capture date."""
    day = vocab.to_iso_date(
        _str(_obj(study, "derivedSection", "miscInfoModule").get("versionHolder"))
    )
    return None if day is None or (last_update and day < last_update) else day


def _year_month(value: Any) -> str | None:
    """YYYY-MM from "2024-05" or "2024-05-17"; None for a year alone or anything else."""
    iso = vocab.to_iso_date(_str(value))
    return iso[:7] if iso and len(iso) >= 7 else None


def _dated(status: dict, key: str) -> dict:
    struct = _obj(status, key)
    return {
        "date": vocab.to_iso_date(_str(struct.get("date"))),
        "type": vocab.to_enum(_str(struct.get("type")), vocab.COUNT_TYPES),
    }


def _outcomes(module: dict) -> list[dict]:
    found = []
    for kind in vocab.OUTCOME_KINDS:
        for item in _objs(module, f"{kind}Outcomes"):
            if _str(item.get("measure")):
                found.append(outcome(kind, item["measure"], _str(item.get("timeFrame"))))
    return found


def _flow_details(module: dict) -> str | None:
    """The participant flow's recruitment and pre-assignment details, one paragraph each."""
    texts = [_str(module.get(key)) for key in ("recruitmentDetails", "preAssignmentDetails")]
    return "\n\n".join(t for t in texts if t) or None


def _participant_flow(module: dict) -> list[dict]:
    """Per group: participants STARTED in the first period (numSubjects are strings)."""
    periods = _objs(module, "periods")
    started = (
        next((m for m in _objs(periods[0], "milestones") if m.get("type") == "STARTED"), {})
        if periods
        else {}
    )
    counts = {
        _str(a.get("groupId")): _int(a.get("numSubjects")) for a in _objs(started, "achievements")
    }
    return [
        {"group": group["title"], "started": counts.get(_str(group.get("id")))}
        for group in _objs(module, "groups")
        if _str(group.get("title"))
    ]


# --- people ----------------------------------------------------------------------------------

_INVESTIGATOR_ROLES = ("PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR")


def _people(module: dict) -> list[dict]:
    found = [_person(c, "CENTRAL_CONTACT", None) for c in _objs(module, "centralContacts")]
    found += [
        _person(o, "OVERALL_OFFICIAL", _str(o.get("affiliation")))
        for o in _objs(module, "overallOfficials")
    ]
    for location in _objs(module, "locations"):
        for entry in _objs(location, "contacts"):
            investigator = entry.get("role") in _INVESTIGATOR_ROLES
            role = "SITE_INVESTIGATOR" if investigator else "SITE_CONTACT"
            found.append(_person(entry, role, _str(location.get("facility"))))
    return [p for p in found if p is not None]


def _person(entry: dict, role: str, affiliation: str | None) -> dict | None:
    """One person; without a name when the entry gives an email or phone, else None."""
    raw = _str(entry.get("name"))
    name, degrees = split_degrees(raw) if raw is not None else (None, [])
    phone = _str(entry.get("phone"))
    extension = _str(entry.get("phoneExt"))
    if phone and extension:
        phone = f"{phone} ext {extension.strip()}"
    return contact(name, role, degrees, _str(entry.get("email")), phone, affiliation)


# Degrees and academic titles, compared upper-case without dots, spaces, hyphens or '*'.
_DEGREE_WORDS = """
    MD PHD MDPHD DO DDS DMD DVM DPM DC DM DMSC DSC SCD EDD DNP DRPH DPHIL PHARMD BPHARM MPHARM
    RPH MBBS MBCHB BMBCH BM BCH BCHIR MB MBA MPH MPHIL MS MSC MSCE MSW MSN MA MAS MHS MHM MHA
    MRES MM MMED MMSC MSCENG MDSCI MPT MPTH DPT PT OT OTR OTR/L RN BSN NP APRN CRNA CNM AOCN
    AOCNP OCN FAAN FACP FACS FACC FAHA FESC FRCP FRCPC FRCS FRCSC FRCA FFP FFPM FCPS MRCP MRCS
    BSC BS BA JD LLM PSYD ND KMD DRINTMED DRMED CCRP CCRC PAC MPAS LCSW LICSW DBH
    PROF PROFESSOR PROFDR DR DOCTOR DRS DOTT DOTTSSA PD MEDICALDOCTOR MASTER BACHELOR
    ASSPROF ASSTPROF ASSOCPROF ASSOCIATEPROFESSOR ASSISTANTPROFESSOR
"""
_DEGREES = frozenset(_DEGREE_WORDS.split())


def _degree_key(token: str) -> str:
    return re.sub(r"[.\s*\-]", "", token).upper()


def _degree_tokens(part: str) -> list[str] | None:
    """The degrees in one comma-separated part ("MD PhD", "M.D.; Ph.D."), or None if any
    piece of it is not a degree."""
    tokens = [t for t in re.split(r"[\s/;，]+", part) if t]
    if tokens and all(_degree_key(t) in _DEGREES for t in tokens):
        return [t.rstrip("*") for t in tokens]
    if _degree_key(part) in _DEGREES:
        return [part.strip().rstrip("*")]
    return None


def split_degrees(raw: str) -> tuple[str, list[str]]:
    """ "Jane Doe, MD, PhD" -> ("Jane Doe", ["MD", "PhD"]). Only trailing comma-separated parts
    made wholly of known degrees or titles are split off; any other name is left alone."""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    degrees: list[str] = []
    while len(parts) > 1:
        tokens = _degree_tokens(parts[-1])
        if tokens is None:
            break
        degrees[:0] = tokens
        parts.pop()
    if not degrees:
        return raw.strip(), []
    return ", ".join(parts), degrees


# --- eligibility -----------------------------------------------------------------------------

_BULLET = re.compile(
    r"^(?:[*+-]\s+|[•·]\s*|\d+(?:\.\d+)*[.)](?!\d)\s*|\(?(?:[a-z]|[ivx]+)[.)]\s+|\(\d+\)\s*)",
    re.IGNORECASE,
)
_HEADING = re.compile(r"\b(inclusion|exclusion)\b", re.IGNORECASE)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~=])")
_INLINE_HEADING = re.compile(
    r"(?<=\S)[ \t]+(?=(?:Inclusion|Exclusion|INCLUSION|EXCLUSION) (?:Criteria|CRITERIA) ?:)"
)
_NOTHING = {"none", "nil", "n/a", "na", "not applicable", "-"}


def _unbullet(line: str) -> tuple[bool, str]:
    """Whether ``line`` starts with a bullet or list number, and its text without it."""
    match = _BULLET.match(line)
    return (True, line[match.end() :].strip()) if match else (False, line)


def _heading(line: str) -> tuple[str, str] | None:
    """("inclusion" | "exclusion", text after the colon) when ``line`` is a criteria heading
    such as "Key Inclusion Criteria:" or "III.6 EXCLUSION CRITERIA"."""
    title, colon, rest = line.strip("*_ ").partition(":")
    match = _HEADING.search(title)
    if not match or len(title.split()) > 8:
        return None
    if not colon and (title.endswith(".") or len(title.split()) > 6):
        return None
    return match.group(1).lower(), rest.strip()


def split_criteria(text: str | None) -> tuple[list[str], list[str]]:
    """Inclusion and exclusion items of an eligibilityCriteria text (markdown bullets).

    Items come from bullet lines under an inclusion or exclusion heading; a section without
    any bullet takes its plain lines instead. Text before the first heading is not assigned.
    """
    sections: dict[str, dict[str, list[str]]] = {
        kind: {"bullets": [], "plain": []} for kind in ("inclusion", "exclusion")
    }
    current: str | None = None
    for raw_line in _INLINE_HEADING.sub("\n", text or "").splitlines():
        line = _ESCAPE.sub(r"\1", raw_line).strip()
        if not line:
            continue
        bullet, body = _unbullet(line)
        heading = _heading(body)
        if heading and (not bullet or body.endswith(":")):
            current, rest = heading
            if rest:
                sections[current]["plain"].append(_unbullet(rest)[1])
            continue
        if current is None or not body or body.lower().rstrip(".") in _NOTHING:
            continue
        sections[current]["bullets" if bullet else "plain"].append(body)
    result = [
        s["bullets"] or [p for p in s["plain"] if p.lower().rstrip(".") not in _NOTHING]
        for s in sections.values()
    ]
    return result[0], result[1]


def _eligibility(module: dict) -> dict:
    inclusion, exclusion = split_criteria(_str(module.get("eligibilityCriteria")))
    healthy = module.get("healthyVolunteers")
    return {
        "sex": vocab.to_enum(_str(module.get("sex")), vocab.SEXES),
        "min_age_years": vocab.to_years(_str(module.get("minimumAge"))),
        "max_age_years": vocab.to_years(_str(module.get("maximumAge"))),
        "healthy_volunteers": healthy if isinstance(healthy, bool) else None,
        "inclusion": inclusion,
        "exclusion": exclusion,
    }
