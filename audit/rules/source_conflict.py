"""Two sources disagree about one trial: status, enrollment, design, dates, sponsor or contacts.

What it detects: records of one trial from two or more different sources (ctgov-api,
ctgov-classic, ictrp ...) that disagree. Records meet by trial id and by NCT id, so an ICTRP
row of NCT04345991 is compared with the ClinicalTrials.gov records of NCT04345991. Records of
one source are never compared with each other. One finding per trial and field; its evidence
lists each record's value, file, capture date and last update. A value missing in one
source is never a conflict.

* Overall status, phases, masking, allocation must be equal. ICTRP says only "Recruiting" or
  "Not recruiting" (its ``status_family``), so statuses are compared with ICTRP at that
  level: RECRUITING and ENROLLING_BY_INVITATION are recruiting; NOT_YET_RECRUITING,
  ACTIVE_NOT_RECRUITING, COMPLETED, TERMINATED, WITHDRAWN, SUSPENDED and the expanded-access
  statuses are not; UNKNOWN (and WITHHELD) agree with either. So "Not recruiting" agrees with
  COMPLETED and conflicts with RECRUITING.
* Enrollment: counts of the same type (or of an unknown type) must be equal. An ESTIMATED
  (planned) and an ACTUAL count differ legitimately and are not compared.
* Start, primary completion and completion dates are compared at the precision both state
  ("2020-07" agrees with "2020-07-01"). An ICTRP date on the 1st counts as month-only: its
  spreadsheet export writes "April 2020" as 2020-04-01.
* Sponsor names are compared without case, accents and punctuation, allowing small spelling
  differences and acronyms ("APHP" = "Assistance Publique - Hôpitaux de Paris"). Names where
  one contains the other ("Johns Hopkins University" / "Sidney Kimmel Cancer Center at Johns
  Hopkins"), or where one source names the other's sponsor as a collaborator, are info.
* People are compared per trial-level role (overall official, central, public, scientific
  contact), only when both sources list someone in that role and nobody matches (names
  compared without titles, degrees, order or accents). Someone listed by one source only is
  not a conflict: sources show different roles and sites.

Values change over time, and a newer capture superseding an older one is expected. So the
finding is info when the newer record's last update was posted on or after the day the older
one was captured (ICTRP's "Last Refreshed on" counts as its capture). It is a warning when the
newer record's last update predates the older capture, so both show the same version of the
registry entry, or when the dates do not tell. Records without update dates count as
superseded when captured more than 3 months apart.

Why it matters: a reader or a pipeline that trusts one source sees a different trial than one
that trusts the other; at least one of them is wrong or out of date.

How to fix: check the registry entry; correct the record that is wrong, or re-capture the
older source. If both are right (e.g. a national registration differs on purpose), waive the
finding with that reason.

Example: "NCT04256395: overall status RECRUITING in ictrp (last update 2020-05-04) vs
COMPLETED in ctgov-classic (captured 2020-07-09, last update 2020-07-07); ctgov-classic is
newer and was updated since the ictrp record" (info).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from audit.dates import months_between, to_date
from audit.findings import Finding
from audit.frames import cells
from audit.names import name_key
from audit.orgs import org_tokens, related_org, same_org
from audit.rules import Context, rule
from audit.tables import Tables
from audit.vocab import OVERALL_STATUSES, status_family

#: studies column -> words used in messages.
FIELDS = {
    "overall_status": "overall status",
    "enrollment_count": "enrollment",
    "phases": "phases",
    "masking": "masking",
    "allocation": "allocation",
    "start_date": "start date",
    "primary_completion_date": "primary completion date",
    "completion_date": "completion date",
    "sponsor": "sponsor",
}
#: People roles that belong to the trial (site contacts differ with the sites a source lists).
TRIAL_ROLES = ("OVERALL_OFFICIAL", "CENTRAL_CONTACT", "PUBLIC_CONTACT", "SCIENTIFIC_CONTACT")
#: Values a source cannot tell apart, mapped to the value it states instead (None: a value it
#: cannot state at all, which agrees with anything).
COARSER = {"ictrp": {"overall_status": {s: status_family(s) for s in OVERALL_STATUSES}}}
#: Sources whose first-of-month dates may be month-only dates (ICTRP's spreadsheet export
#: writes ClinicalTrials.gov's "April 2020" as 2020-04-01 00:00:00).
DAY_ONE_MAY_BE_MONTH = {"ictrp"}
#: With no update dates, captures further apart than this are taken to be different versions.
SUPERSEDED_MONTHS = 3


@dataclass(frozen=True)
class Version:
    """One record's value of one field, and the dates that say how current it is."""

    record_file: str
    trial_id: str
    source: str
    value: Any
    captured: str | None
    last_update: str | None
    kind: str | None = None  # the enrollment count's type
    collaborators: tuple[str, ...] = ()

    @property
    def seen(self) -> str | None:
        """The last date the value is known to hold: the capture, else the last update."""
        return self.captured or self.last_update

    def dates(self) -> str:
        parts = [
            f"captured {self.captured}" if self.captured else "",
            f"last update {self.last_update}" if self.last_update else "",
        ]
        return ", ".join(p for p in parts if p) or "no dates"

    def evidence(self) -> dict[str, Any]:
        item = {
            "source": self.source,
            "value": self.value,
            "record_file": self.record_file,
            "trial_id": self.trial_id,
            "captured": self.captured,
            "last_update_posted": self.last_update,
        }
        return item | ({"count_type": self.kind} if self.kind else {})


# --- comparing values ----------------------------------------------------------------------


def _same_date(a: str, b: str) -> bool:
    common = min(len(a), len(b))
    return a[:common] == b[:common]


def _coarse(version: Version, field: str, other_source: str) -> Any:
    """The value as the coarser of the two sources could state it (both sides are mapped, so
    ENROLLING_BY_INVITATION in ictrp still agrees with ENROLLING_BY_INVITATION elsewhere)."""
    item = version.value
    if field.endswith("_date") and version.source in DAY_ONE_MAY_BE_MONTH:
        item = re.sub(r"^(\d{4}-\d{2})-01$", r"\1", item)
    for source in (version.source, other_source):
        item = COARSER.get(source, {}).get(field, {}).get(item, item)
    return item


def agree(field: str, a: Version, b: Version) -> bool:
    """Do two versions state the same value (or values that cannot be compared)?"""
    if field == "enrollment_count" and a.kind and b.kind and a.kind != b.kind:
        return True
    va, vb = _coarse(a, field, b.source), _coarse(b, field, a.source)
    if va is None or vb is None:
        return True
    if field.endswith("_date"):
        return _same_date(va, vb)
    if field == "sponsor":
        return same_org(va, vb)
    if field == "people":
        return any(same_person(x, y) for x in va for y in vb)
    return va == vb


def same_person(a: str, b: str) -> bool:
    """Same name up to titles, degrees, order, accents and small spelling differences."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    sa, sb = set(ka.split()), set(kb.split())
    if len(sa) >= 2 and len(sb) >= 2 and (sa <= sb or sb <= sa):
        return True
    return fuzz.token_sort_ratio(ka, kb) >= 90


# --- time ------------------------------------------------------------------------------------


def newer(a: Version, b: Version) -> Version | None:
    """The version seen later (then: updated later); None when the dates do not tell."""
    if not a.seen or not b.seen:
        return None
    keys = [(v.seen, v.last_update or "") for v in (a, b)]
    return None if keys[0] == keys[1] else a if keys[0] > keys[1] else b


def superseded(a: Version, b: Version) -> tuple[bool, str]:
    """Was the entry updated between the two captures, so that the older value may simply be
    out of date? Also says why, for the message. An update posted on the day of the other
    capture counts (it may have come after it); ICTRP's "Last Refreshed on" (its
    last_update_posted) is the weekly refresh that brought the entry's last change."""
    later = newer(a, b)
    if later is None:
        return False, "the dates do not tell which is newer"
    earlier = b if later is a else a
    if later.last_update:
        start, end = to_date(later.last_update, end=True), to_date(earlier.seen)
        if start and end and start >= end:
            return True, (
                f"{later.source} is newer and was updated since the {earlier.source} record"
            )
        return False, (
            f"{later.source} is newer, but its last update ({later.last_update}) "
            f"predates the {earlier.source} record ({earlier.seen})"
        )
    start, end = to_date(earlier.seen), to_date(later.seen)
    if start and end and months_between(start, end) > SUPERSEDED_MONTHS:
        return True, (
            f"{later.source} is newer, captured more than {SUPERSEDED_MONTHS} "
            f"months after {earlier.source}"
        )
    return False, (
        f"{later.source} is newer, but captured within {SUPERSEDED_MONTHS} "
        f"months of {earlier.source}"
    )


def explained(field: str, a: Version, b: Version) -> tuple[bool, str]:
    """Is the disagreement explained (by an update in between, or by related sponsors)?"""
    done, why = superseded(a, b)
    if (
        field == "sponsor"
        and not done
        and (
            related_org(a.value, b.value)
            or any(same_org(a.value, c) for c in b.collaborators)
            or any(same_org(b.value, c) for c in a.collaborators)
        )
    ):
        return True, f"{why}; the two may be related organisations"
    return done, why


# --- grouping records of one trial ------------------------------------------------------------


def trial_groups(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records sharing a trial id or an NCT id (directly or through another record) grouped
    together, keyed by the NCT id when one of them has it, else the smallest trial id."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for record in records:
        if record["nct_id"]:
            parent[find(record["nct_id"])] = find(record["trial_id"])
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(find(record["trial_id"]), []).append(record)
    labelled = {}
    for members in groups.values():
        ncts = sorted({r["nct_id"] for r in members if r["nct_id"]})
        labelled[ncts[0] if ncts else min(r["trial_id"] for r in members)] = members
    return labelled


def _shown(field: str, item: Any) -> str:
    if field == "people":
        return "; ".join(item)
    if field == "phases":
        return "/".join(str(item).split("|"))
    return str(item)


# --- the rule ---------------------------------------------------------------------------------


def _conflict(
    field: str, label: str, versions: list[Version], key: str, ctx: Context
) -> Finding | None:
    pairs = [
        (a, b)
        for a, b in combinations(versions, 2)
        if a.source != b.source and not agree(field, a, b)
    ]
    if not pairs:
        return None
    judged = [(pair, *explained(field, *pair)) for pair in pairs]
    open_pairs = [item for item in judged if not item[1]]
    (a, b), _, why = (open_pairs or judged)[0]
    a, b = sorted((a, b), key=lambda v: (v.seen or "", v.last_update or ""))
    words = FIELDS.get(field) or key.lower().replace("_", " ")
    message = (
        f"{label}: {words} {_shown(field, a.value)} in {a.source} ({a.dates()}) vs "
        f"{_shown(field, b.value)} in {b.source} ({b.dates()}); {why}"
    )
    involved = {v for pair in pairs for v in pair}
    if len(involved) > 2:
        message += f" ({len(involved)} records disagree, see evidence)"
    ordered = sorted(involved, key=lambda v: (v.source, v.record_file))
    return ctx.finding(
        message,
        severity="warning" if open_pairs else "info",
        trial_ids=[v.trial_id for v in ordered],
        record_files=[v.record_file for v in ordered],
        sources=[v.source for v in ordered],
        field=field,
        key=key,
        evidence={
            "values": [v.evidence() for v in ordered],
            "newer": later.source if (later := newer(a, b)) else None,
            "superseded": not open_pairs,
        },
    )


def _versions(records: list[dict[str, Any]], field: str, values: list[Any]) -> list[Version]:
    versions = [
        Version(
            r["record_file"],
            r["trial_id"],
            r["source"],
            item,
            r["captured"],
            r["last_update_posted"],
            r["enrollment_type"] if field == "enrollment_count" else None,
            tuple((r["collaborators"] or "").split("|")) if field == "sponsor" else (),
        )
        for r, item in zip(records, values, strict=True)
        if item not in (None, ())
    ]
    return sorted(versions, key=lambda v: (v.source, v.record_file))


_COLUMNS = [
    "record_file",
    "trial_id",
    "nct_id",
    "source",
    "captured",
    "last_update_posted",
    "enrollment_type",
    "collaborators",
    *FIELDS,
]


def _shared(studies: pd.DataFrame) -> pd.DataFrame:
    """The studies rows that share their trial id or NCT id with another row."""
    other_nct = studies["nct_id"].where(studies["nct_id"] != studies["trial_id"])
    codes, _ = pd.factorize(pd.concat([studies["trial_id"], other_nct]))  # -1: no id
    rows_with = np.bincount(codes[codes >= 0], minlength=1)
    shared = np.where(codes >= 0, rows_with[codes], 0).reshape(2, len(studies)).max(axis=0) > 1
    return studies[shared]


def _multi_source_rows(studies: pd.DataFrame) -> pd.DataFrame:
    """The rows of trials recorded by two or more sources, with their group's ``label`` (see
    ``trial_groups``)."""
    rows = _shared(studies)
    ids = [
        {"trial_id": trial_id, "nct_id": nct_id, "row": row}
        for row, (trial_id, nct_id) in enumerate(
            zip(cells(rows["trial_id"]), cells(rows["nct_id"]), strict=True)
        )
    ]
    label = [""] * len(rows)
    for name, members in trial_groups(ids).items():
        for member in members:
            label[member["row"]] = name
    rows = rows.assign(label=label)
    return rows[rows.groupby("label")["source"].transform("nunique", dropna=False) > 1]


def _trial_people(tables: Tables, files: pd.Series) -> dict[tuple[str, str], tuple[str, ...]]:
    """(record file, trial-level role) -> the sorted names listed (names with a key only)."""
    people = tables.people[tables.people["role"].isin(TRIAL_ROLES)]
    wanted = set(files)
    keyed: dict[str, bool] = {}
    names: dict[tuple[str, str], list[str]] = {}
    for file, role, name in zip(
        cells(people["record_file"]), cells(people["role"]), cells(people["name"]), strict=True
    ):
        if file not in wanted or not name:
            continue
        if name not in keyed:
            keyed[name] = bool(name_key(name))
        if keyed[name] and name not in names.setdefault((file, role), []):
            names[(file, role)].append(name)
    return {place: tuple(sorted(listed)) for place, listed in names.items()}


def _maybe_conflicting(labels: list[str], values: list[Any]) -> set[str]:
    """Labels of the groups where two records state different values (missing ones aside):
    equal values agree, so only there can two versions disagree."""
    seen: dict[str, Any] = {}
    differ = set()
    for label, item in zip(labels, values, strict=True):
        if item is not None and seen.setdefault(label, item) != item:
            differ.add(label)
    return differ


def _suspects(
    rows: pd.DataFrame, names: dict[tuple[str, str], tuple[str, ...]]
) -> dict[str, set[str]]:
    """Field or role -> labels of the groups that may disagree on it: two different values, or
    (for the sponsor) a name without words, which agrees with nothing, not even itself."""
    labels, files = cells(rows["label"]), cells(rows["record_file"])
    suspects = {field: _maybe_conflicting(labels, cells(rows[field])) for field in FIELDS}
    suspects["sponsor"] |= {
        label
        for label, sponsor in zip(labels, cells(rows["sponsor"]), strict=True)
        if sponsor is not None and not org_tokens(sponsor)
    }
    for role in TRIAL_ROLES:
        listed = [names.get((file, role)) or None for file in files]
        suspects[role] = _maybe_conflicting(labels, listed)
    return suspects


def _with_families(studies: pd.DataFrame) -> pd.DataFrame:
    """The studies columns, with the status family where a source states no more (ICTRP's
    "Not recruiting") standing for the overall status."""
    status = studies["overall_status"].fillna(studies["status_family"])
    return studies.drop(columns="status_family").assign(overall_status=status)


def _records(rows: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The records of each group (by label), as plain values."""
    groups: dict[str, list[dict[str, Any]]] = {}
    columns = {c: cells(rows[c]) for c in _COLUMNS}
    for i, label in enumerate(rows["label"]):
        groups.setdefault(label, []).append({c: cells[i] for c, cells in columns.items()})
    return groups


@rule("source-conflict", severity="warning", scope="trial")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    # A record without a trial id or source cannot be placed (the schema layer reports it).
    studies = tables.studies
    known = studies["trial_id"].notna() & studies["source"].notna()
    rows = _multi_source_rows(_with_families(studies[known][[*_COLUMNS, "status_family"]]))
    names = _trial_people(tables, rows["record_file"])
    suspects = _suspects(rows, names)
    records = _records(rows[rows["label"].isin(set().union(*suspects.values()))])
    for label, members in sorted(records.items()):
        for field in FIELDS:
            if label in suspects[field]:
                versions = _versions(members, field, [r[field] for r in members])
                if (found := _conflict(field, label, versions, "", ctx)) is not None:
                    yield found
        for role in TRIAL_ROLES:
            if label in suspects[role]:
                listed = [names.get((r["record_file"], role), ()) for r in members]
                versions = _versions(members, "people", listed)
                if (found := _conflict("people", label, versions, role, ctx)) is not None:
                    yield found
