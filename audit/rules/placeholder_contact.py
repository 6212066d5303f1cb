"""A contact or official entry that names no person: an organization, a role, a desk or "TBD".

What it detects: people entries (officials, investigators, contacts) whose name is not a
person's name, recognized with word lists:

* an organization: company forms (Inc, Ltd, GmbH, LLC, plc, "K.K.", "A/S"), institution words
  (Hospital, University, Institute, Center, Unit, Department, Office, Group, Foundation, Desk),
  well-known sponsors whose names read like a person's ("Bristol-Myers Squibb", "Boehringer
  Ingelheim", "GSK"), CamelCase words glued from three words ("StemCellUnit VanHanh"), or
  department words with nothing else ("Clinical Trials", "Medical Information");
* a role used as a name: "Study Director", "Study Coordinator", "Medical Monitor", "Site
  Contact", "Use Central Contact", "Principal Investigator", "Bayer Study Director";
* a placeholder ("TBD", "N/A", "Site 202"), contact details or a code instead of a name ("Call
  1-877-CTLILLY ...", "www.coptrin.dk"), several people in one entry ("Liu Hua/Wang Qian"), or
  nothing left once titles and degrees are removed ("MD", "Dr.");
* a one-word name that is the record's sponsor or collaborator without its company words
  ("Puma" for the sponsor "Puma Biotechnology Inc"); a sponsor that is itself a person's name
  never counts.

A person with a job title is a person: "Tone Melan, Nurse", "Pankit Vachhani, Site 109",
"Jatin Shah Chief Medical Officer" and "Project management, Diane Egger-Adam" are not
reported, and neither is a contact with no name at all (null), known only by its email or
phone: it puts nothing in the name field. Identical entries of one record (the same "Study
Coordinator" at 103 sites) make one finding.

Severity: ``warning`` for an empty name, a placeholder or contact details; and for an
organization, role or list of people given as an official, investigator or scientific contact,
or as a contact with neither email nor phone: nobody accountable is named and nobody can be
reached. ``info`` for several people in one central, public or site contact that has an email
or phone: it can be split into one entry per person. An organization or role given as such a
contact is not reported: a help desk that answers is an accepted sponsor practice, and the
registry names no person a curator could enter instead.

Why it matters: the overall official is the person accountable for the trial; a company or
"Study Director" there defeats the field. Organizations listed as people inflate investigator
counts, break searches by person and make contact lists useless to patients.

How to fix: enter the responsible person's name for officials and investigators, and a named
contact person for contacts (keep the desk's email or phone); put several people in separate
entries. If the sponsor only publishes a desk, waive the finding with that reason.

Example: NCT03943940 (veeva) lists the central contacts "StemCellUnit VanHanh" and "Phuong
Thi-Bich Le, MSc-MD": the first is reported (warning: an organization, and it gives no email or
phone), the second is a person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pandas as pd

from audit.findings import Finding
from audit.names import DEGREES, ORG_WORDS, fold, name_key, name_tokens, not_a_person
from audit.rules import Context, rule
from audit.rules.common import cells, each_distinct, value
from audit.tables import Tables

CONTACT_ROLES = {"CENTRAL_CONTACT", "SITE_CONTACT", "PUBLIC_CONTACT"}
NO_NAME = {"empty", "placeholder", "contact details"}
_WHAT = {
    "empty": "has no name once titles and degrees are removed",
    "placeholder": "is a placeholder, not a person's name",
    "contact details": "holds contact details or a code instead of a name",
    "several people": "lists several people in one entry",
    "organization": "is an organization, not a person",
    "role": "names a role, not a person",
}


def _may_repeat_a_sponsor(name: str) -> bool:
    """The name has no degree word and is one word once titles are dropped: the tests of
    ``_sponsor_alias`` that look at the name alone."""
    if any(w in DEGREES for w in fold(name).replace(".", "").split()):
        return False
    return " " not in name_key(name)


def _sponsor_alias(name: str, degrees: str | None, organizations: list[str]) -> str | None:
    """The sponsor or collaborator that a one-word, degree-less name repeats without its company
    words ("Puma" for "Puma Biotechnology Inc"); never a person-named sponsor ("Tian Yi Zhang")."""
    if degrees or not _may_repeat_a_sponsor(name):
        return None
    key = name_key(name)
    for organization in organizations:
        kind = not_a_person(organization)
        if not kind or kind[0] != "organization":
            continue
        core = " ".join(sorted(t for t in name_tokens(organization) if t not in ORG_WORDS))
        if key == core:
            return organization
    return None


def classify(name: str, degrees: str | None, organizations: list[str]) -> tuple[str, str] | None:
    """``(kind, why)`` for an entry that names no person, else None."""
    found = not_a_person(name)
    if found:
        return found
    alias = _sponsor_alias(name, degrees, organizations)
    return ("organization", f"the sponsor {alias}") if alias else None


def _severity(kind: str, role: str | None, reachable: bool) -> str | None:
    """``warning``, ``info`` for several people in one reachable contact, None (not reported)
    for an organization or role as a reachable contact: a help desk."""
    if kind in NO_NAME or role not in CONTACT_ROLES or not reachable:
        return "warning"
    return "info" if kind == "several people" else None


def _message(name: str, role: str | None, kind: str, why: str, count: int) -> str:
    who = (role or "person").replace("_", " ").lower()
    text = f'{who.capitalize()} "{name}" {_WHAT[kind]}'
    if kind in ("organization", "role") and why:
        text += f" (recognized by: {why})"
    return text + (f"; the same entry appears {count} times in this record." if count > 1 else ".")


def _organizations(studies: pd.DataFrame) -> dict[str, list[str]]:
    """Each record's sponsor and collaborators."""
    return {
        record_file: [o for o in [value(sponsor), *(value(collaborators) or "").split("|")] if o]
        for record_file, sponsor, collaborators in zip(
            studies.record_file, studies.sponsor, studies.collaborators, strict=True
        )
    }


@rule("placeholder-contact", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    people = tables.people
    # Most entries are plainly people: judge each distinct name once, and look further only
    # at rows whose name is not, or that may repeat a sponsor's name.
    # An entry with no name at all (null: a contact known by its email or phone) has no name
    # to judge; an empty name ("") is text the source wrote, and is judged.
    kinds = each_distinct(people["name"], not_a_person, None)
    may_alias = each_distinct(people["name"], _may_repeat_a_sponsor, False)
    degrees = cells(people["degrees"])
    rows = [
        i
        for i, (kind, alias) in enumerate(zip(kinds, may_alias, strict=True))
        if kind or (alias and not degrees[i])
    ]
    candidates = people.iloc[rows]
    studies = tables.studies
    organizations = _organizations(studies[studies["record_file"].isin(candidates["record_file"])])
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in candidates.itertuples(index=False):
        name = value(row.name)
        found = classify(name or "", value(row.degrees), organizations.get(row.record_file, []))
        if found:
            groups[(row.record_file, fold(name or "").strip(), value(row.role), *found)].append(row)
    for (record_file, folded, role, kind, why), rows in sorted(groups.items(), key=str):
        first = rows[0]
        severity = _severity(kind, role, any(value(r.email) or value(r.phone) for r in rows))
        if severity is None:
            continue
        yield ctx.finding(
            _message(value(first.name) or "", role, kind, why, len(rows)),
            severity=severity,
            field="people.name",
            key=f"{role}|{folded}",
            trial_ids=[first.trial_id] if value(first.trial_id) else [],
            record_files=[record_file],
            sources=[first.source] if value(first.source) else [],
            evidence={
                "name": value(first.name),
                "role": role,
                "kind": kind,
                "words": why,
                "items": [value(r.item) for r in rows],
                "emails": sorted({value(r.email) for r in rows if value(r.email)})[:5],
                "phones": sorted({value(r.phone) for r in rows if value(r.phone)})[:5],
                "affiliations": sorted(
                    {value(r.affiliation) for r in rows if value(r.affiliation)}
                )[:5],
            },
        )
