"""Legacy ClinicalTrials.gov XML: one ``<clinical_study>`` per file (AllPublicXML, public.xsd).

Parsed with the standard library's ElementTree. Documents that declare a DOCTYPE or ENTITY are
refused outright, so that no entity expansion ("billion laughs") can happen.

``captured`` is the date of ``required_header/download_date`` ("ClinicalTrials.gov processed
this data on February 03, 2023" -> 2023-02-03).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.etree.ElementTree import Element

from audit.record import arm, contact, intervention, new_record, outcome, site
from audit.sources import SourceError, whole_number
from audit.vocab import (
    ALLOCATIONS,
    ARM_TYPES,
    COUNT_TYPES,
    INTERVENTION_MODELS,
    INTERVENTION_TYPES,
    MASKINGS,
    OVERALL_STATUSES,
    PRIMARY_PURPOSES,
    SEXES,
    STUDY_TYPES,
    WHO_MASKED,
    to_enum,
    to_iso_date,
    to_phases,
    to_years,
)

NAME = "ctgov-xml"
#: ``<arm_group>`` has no size.
CANNOT_CARRY = frozenset({"arms.planned_size"})

_UNSAFE = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[-*•·]|\d{1,3}[.)])\s+")
_HEADING = re.compile(
    r"^[\[(]?(?:key\s+|main\s+|major\s+)?(inclusion|exclusion)(?:\s+criteria)?\b"
    r"(?P<tail>[^:\])]{0,60}?)[\])]?\s*(?P<colon>:\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)


def sniff(path: Path, head: str) -> bool:
    """A legacy record names its root element ``<clinical_study>`` near the top."""
    return "<clinical_study" in head


def _line(text: str | None) -> str | None:
    """Text with all whitespace runs collapsed to one space; None when empty."""
    if text is None:
        return None
    value = " ".join(text.split())
    return value or None


def _block(text: str | None) -> str | None:
    """A multi-line text with spaces collapsed within lines, one blank line between paragraphs."""
    if text is None:
        return None
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip() or None


def _text(element: Element | None, path: str) -> str | None:
    """The collapsed text of the first element at ``path`` below ``element``, or None."""
    if element is None:
        return None
    return _line(element.findtext(path))


def _texts(element: Element, path: str) -> list[str]:
    """The non-empty texts of every element at ``path``, duplicates dropped, order kept."""
    values = (_line(child.text) for child in element.findall(path))
    return list(dict.fromkeys(v for v in values if v))


def _int(text: str | None) -> int | None:
    return whole_number(text) if text and "," not in text else None


def _dated(root: Element, tag: str) -> dict:
    """``{"date", "type"}`` from e.g. ``<start_date type="Anticipated">June 2020</start_date>``."""
    element = root.find(tag)
    if element is None:
        return {"date": None, "type": None}
    return {
        "date": to_iso_date(_line(element.text)),
        "type": to_enum(element.get("type"), COUNT_TYPES),
    }


def _masking(text: str | None) -> tuple[str | None, list[str]]:
    """Masking level and who was masked: "Triple (Participant, Investigator)" -> TRIPLE, [...]."""
    if not text:
        return None, []
    match = re.match(r"([^(]*)(?:\((.*)\))?", text)
    assert match is not None  # the pattern matches any text
    level = to_enum(match.group(1), MASKINGS)
    who = (to_enum(part, WHO_MASKED) for part in (match.group(2) or "").split(","))
    return level, list(dict.fromkeys(w for w in who if w))


def _healthy(text: str | None) -> bool | None:
    key = (text or "").strip().lower()
    if key in ("accepts healthy volunteers", "yes"):
        return True
    return False if key == "no" else None


def criteria(text: str | None) -> tuple[list[str], list[str]]:
    """Inclusion and exclusion items of a criteria textblock.

    Items are bullet lines (``-``, ``*``, ``1.``) with their continuation lines joined, and
    stand-alone paragraphs; lead-in lines ending in ":" are dropped. Items before any
    "Inclusion/Exclusion Criteria" heading are criteria to meet, so they count as inclusion.
    """
    found: dict[str, list[list[str]]] = {"inclusion": [], "exclusion": []}
    if not text or re.fullmatch(r"\s*no eligibility criteria\.?\s*", text, re.IGNORECASE):
        return [], []
    section, item = "inclusion", None
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            item = None
            continue
        body = _BULLET.sub("", line, count=1)
        heading = _HEADING.match(body)
        if heading and (heading["colon"] or not heading["tail"]):
            section, item = heading.group(1).lower(), None
            if heading["rest"]:
                item = [heading["rest"]]
                found[section].append(item)
        elif body != line or (item is None and not line.endswith(":")):
            item = [body]
            found[section].append(item)
        elif item is not None:
            item.append(line)
    return (
        [" ".join(parts) for parts in found["inclusion"]],
        [" ".join(parts) for parts in found["exclusion"]],
    )


def _person(element: Element, role: str, affiliation: str | None = None) -> dict | None:
    """One contact or investigator; without a name when it gives an email or phone, else
    None."""
    parts = (_text(element, tag) for tag in ("first_name", "middle_name", "last_name"))
    name = " ".join(filter(None, parts)) or None
    degrees = [d.strip() for d in (_text(element, "degrees") or "").split(",") if d.strip()]
    phone, extension = _text(element, "phone"), _text(element, "phone_ext")
    if phone and extension:
        phone = f"{phone} ext. {extension}"
    return contact(
        name,
        role,
        degrees,
        _text(element, "email"),
        phone or extension,
        _text(element, "affiliation") or affiliation,
    )


def _people_and_sites(root: Element) -> tuple[list[dict], list[dict]]:
    people: list[dict | None] = [
        _person(e, "OVERALL_OFFICIAL") for e in root.findall("overall_official")
    ]
    people += [
        _person(e, "CENTRAL_CONTACT")
        for tag in ("overall_contact", "overall_contact_backup")
        for e in root.findall(tag)
    ]
    sites = []
    for location in root.findall("location"):
        facility = _text(location, "facility/name")
        sites.append(
            site(
                facility,
                _text(location, "facility/address/city"),
                _text(location, "facility/address/state"),
                _text(location, "facility/address/zip"),
                _text(location, "facility/address/country"),
                to_enum(_text(location, "status"), OVERALL_STATUSES),
            )
        )
        people += [
            _person(e, "SITE_CONTACT", facility)
            for tag in ("contact", "contact_backup")
            for e in location.findall(tag)
        ]
        people += [
            _person(e, "SITE_INVESTIGATOR", facility) for e in location.findall("investigator")
        ]
    return [p for p in people if p], sites


def _interventions_and_arms(root: Element) -> tuple[list[dict], list[dict]]:
    """Interventions, and arms listing "Type: Name" of the interventions given in them."""
    interventions, given = [], []
    for element in root.findall("intervention"):
        name = _text(element, "intervention_name")
        if not name:
            continue
        kind = _text(element, "intervention_type")
        interventions.append(
            intervention(
                to_enum(kind, INTERVENTION_TYPES), name, _block(element.findtext("description"))
            )
        )
        given.append((f"{kind}: {name}" if kind else name, _texts(element, "arm_group_label")))
    arms = []
    for element in root.findall("arm_group"):
        label = _text(element, "arm_group_label")
        if not label:
            continue
        names = list(dict.fromkeys(n for n, labels in given if label in labels))
        arms.append(
            arm(
                label,
                to_enum(_text(element, "arm_group_type"), ARM_TYPES),
                _block(element.findtext("description")),
                names,
            )
        )
    return interventions, arms


def _participant_flow(root: Element) -> list[dict]:
    """Participants STARTED per group in the first period of the posted results."""
    flow = root.find("clinical_results/participant_flow")
    if flow is None:
        return []
    period = flow.find("period_list/period")
    started: dict[str, int | None] = {}
    if period is not None:
        for milestone in period.findall("milestone_list/milestone"):
            if (_text(milestone, "title") or "").upper() == "STARTED":
                for count in milestone.iter("participants"):
                    started[count.get("group_id", "")] = _int(count.get("count"))
                break
    return [
        {
            "group": _text(group, "title") or group.get("group_id", ""),
            "started": started.get(group.get("group_id", "")),
        }
        for group in flow.findall("group_list/group")
    ]


def _flow_details(root: Element) -> str | None:
    """The participant flow's recruitment and pre-assignment details, one paragraph each."""
    flow = root.find("clinical_results/participant_flow")
    texts = [_text(flow, tag) for tag in ("recruitment_details", "pre_assignment_details")]
    return "\n\n".join(t for t in texts if t) or None


def _root(path: Path, text: str) -> Element:
    """The ``<clinical_study>`` element, or SourceError for unsafe or malformed XML."""
    if _UNSAFE.search(text):
        raise SourceError(
            path, "XML with a DOCTYPE or ENTITY declaration is refused (entity expansion risk)"
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        line, column = error.position
        reason = str(error).split(":")[0]
        raise SourceError(
            path, f"malformed XML at line {line}, column {column + 1}: {reason}"
        ) from error
    if root.tag != "clinical_study":
        raise SourceError(path, f"root element is <{root.tag}>, not <clinical_study>")
    return root


def _download_date(root: Element) -> str | None:
    stamp = _text(root, "required_header/download_date") or ""
    return to_iso_date(stamp.removeprefix("ClinicalTrials.gov processed this data on").strip())


def parse(path: Path, text: str) -> list[dict]:
    """The one record of a legacy ``<clinical_study>`` document."""
    return [study_record(path, _root(path, text))]


def study_record(path: Path, root: Element, where: str | None = None) -> dict:
    """The record of a ``<clinical_study>`` element: parsed XML, or the same model built from
    ctrdata's JSON (``ctgov_json``). ``where`` prefixes error messages ("line 3")."""
    nct_id = _text(root, "id_info/nct_id")
    if not nct_id:
        prefix = f"{where}: " if where else ""
        raise SourceError(path, f"{prefix}no <nct_id> in <id_info>")
    ids = _texts(root, "id_info/org_study_id") + _texts(root, "id_info/secondary_id")
    ids += _texts(root, "id_info/nct_alias")
    status = _text(root, "overall_status")
    verified = to_iso_date(_text(root, "verification_date"))
    masking, who_masked = _masking(_text(root, "study_design_info/masking"))
    study_type = re.sub(r"\[.*?\]", "", _text(root, "study_type") or "")
    inclusion, exclusion = criteria(root.findtext("eligibility/criteria/textblock"))
    interventions, arms = _interventions_and_arms(root)
    people, sites = _people_and_sites(root)
    outcomes = [
        outcome(kind, measure, _text(element, "time_frame"))
        for kind in ("primary", "secondary", "other")
        for element in root.findall(f"{kind}_outcome")
        if (measure := _text(element, "measure"))
    ]
    enrollment = root.find("enrollment")
    return new_record(
        trial_id=nct_id,
        nct_id=nct_id,
        secondary_ids=[i for i in dict.fromkeys(ids) if i != nct_id],
        source=NAME,
        source_file=str(path),
        captured=_download_date(root),
        title=_text(root, "brief_title"),
        official_title=_text(root, "official_title"),
        overall_status=to_enum(status, OVERALL_STATUSES),
        status_text=status,
        last_known_status=to_enum(_text(root, "last_known_status"), OVERALL_STATUSES),
        status_verified=verified[:7] if verified and len(verified) >= 7 else None,
        phases=to_phases(_text(root, "phase")),
        study_type=to_enum(study_type, STUDY_TYPES) if study_type else None,
        allocation=to_enum(_text(root, "study_design_info/allocation"), ALLOCATIONS),
        intervention_model=to_enum(
            _text(root, "study_design_info/intervention_model"), INTERVENTION_MODELS
        ),
        masking=masking,
        who_masked=who_masked,
        primary_purpose=to_enum(_text(root, "study_design_info/primary_purpose"), PRIMARY_PURPOSES),
        stated_arm_count=_int(_text(root, "number_of_arms") or _text(root, "number_of_groups")),
        enrollment={
            "count": _int(enrollment.text) if enrollment is not None else None,
            "type": to_enum(enrollment.get("type"), COUNT_TYPES)
            if enrollment is not None
            else None,
        },
        start_date=_dated(root, "start_date"),
        primary_completion_date=_dated(root, "primary_completion_date"),
        completion_date=_dated(root, "completion_date"),
        first_posted=to_iso_date(_text(root, "study_first_posted")),
        last_update_posted=to_iso_date(_text(root, "last_update_posted")),
        sponsor=_text(root, "sponsors/lead_sponsor/agency"),
        collaborators=_texts(root, "sponsors/collaborator/agency"),
        conditions=_texts(root, "condition"),
        interventions=interventions,
        arms=arms,
        people=people,
        sites=sites,
        outcomes=outcomes,
        eligibility={
            "sex": to_enum(_text(root, "eligibility/gender"), SEXES),
            "min_age_years": to_years(_text(root, "eligibility/minimum_age")),
            "max_age_years": to_years(_text(root, "eligibility/maximum_age")),
            "healthy_volunteers": _healthy(_text(root, "eligibility/healthy_volunteers")),
            "inclusion": inclusion,
            "exclusion": exclusion,
        },
        descriptions={
            "brief_summary": _block(root.findtext("brief_summary/textblock")),
            "detailed_description": _block(root.findtext("detailed_description/textblock")),
        },
        participant_flow=_participant_flow(root),
        flow_details=_flow_details(root),
        baseline_population=_text(root, "clinical_results/baseline/population"),
    )
