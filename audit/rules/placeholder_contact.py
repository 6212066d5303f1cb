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
  1-877-CTLILLY ...", "www.coptrin.dk"), several people in one entry ("Liu Hua/Wang Qian",
  "Jian Bo and Chuanzhu Li", or a comma list of full names: "Hongzhou Lu, Xiaorong Chen",
  "Zhang DY, Huang CL, Cao B"), or nothing left once titles and degrees are removed ("MD",
  "Dr.");
* a one-word name that is the record's sponsor or collaborator without its company words
  ("Puma" for the sponsor "Puma Biotechnology Inc"); a sponsor that is itself a person's name
  never counts.

A person with a job title is a person: "Tone Melan, Nurse", "Pankit Vachhani, Site 109",
"Jatin Shah Chief Medical Officer", "Afroze Khan, MBBS MRCS" and "Project management, Diane
Egger-Adam" are not reported, nor is a name in "Surname, Given name" or Vancouver style
("Mikaili, haleh", "Spector SA": initials that read as a company form, unless the record's
sponsor bears that word), and neither is a contact with no name at all (null), known only
by its email or phone: it puts nothing in the name field. Identical entries of one record
(the same "Study Coordinator" at 103 sites) make one finding.

Severity: ``warning`` for an empty name, a placeholder or contact details; and for an
organization, role or list of people given as an official or investigator, or as a contact with
neither email nor phone: nobody accountable is named and nobody can be reached. ``info`` for
several people in one central, public, scientific or site contact that has an email or phone:
it can be split into one entry per person. An organization or role given as such a contact is
not reported: a help desk that answers is an accepted sponsor practice, and the registry names
no person a curator could enter instead. That holds for ICTRP's scientific contact too, which
for ClinicalTrials.gov trials is the central contact ("Volunteer Recruitment Coordinator",
vaccinetrials@...).

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

from audit.findings import Finding
from audit.frames import value
from audit.names import fold
from audit.people import no_person
from audit.rules import Context, rule
from audit.tables import Tables

# Contacts, whom a reader writes to; an official or investigator is the person accountable.
CONTACT_ROLES = {"CENTRAL_CONTACT", "SITE_CONTACT", "PUBLIC_CONTACT", "SCIENTIFIC_CONTACT"}
NO_NAME = {"empty", "placeholder", "contact details"}
_WHAT = {
    "empty": "has no name once titles and degrees are removed",
    "placeholder": "is a placeholder, not a person's name",
    "contact details": "holds contact details or a code instead of a name",
    "several people": "lists several people in one entry",
    "organization": "is an organization, not a person",
    "role": "names a role, not a person",
}


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


@rule("placeholder-contact", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    people = tables.people
    kinds = no_person(tables)
    rows = [i for i, kind in enumerate(kinds) if kind]
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for at, row in zip(rows, people.iloc[rows].itertuples(index=False), strict=True):
        folded = fold(value(row.name) or "").strip()
        groups[(row.record_file, folded, value(row.role), *kinds[at])].append(row)
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
