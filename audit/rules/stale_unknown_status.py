"""A trial whose status is UNKNOWN: its sponsor has stopped confirming what is happening.

What it detects: every record with overall status UNKNOWN. ClinicalTrials.gov sets this
status itself when a trial that was recruiting or active has not had its status verified for
more than 2 years, so an UNKNOWN record is always out of date. The message says how long ago
the status was last verified (or that the source gives no verification date), what the last
known status was, whether the ESTIMATED completion date has passed, and which sites still say
they are enrolling. The evidence gives the age in months (``months_since_verification``).

An UNKNOWN status is a fact about the registry at the time the record was captured, so the
record is judged at its capture date when the source gives one (``captured``), else at the
audit date. When our copy is more than 2 years old, the message says so and advises to
re-capture it first (``copy_age_months`` in the evidence): the registry may know the outcome
by now.

Severity: ``warning``, however old. The status is the registry's: a curator cannot make it
current, only report it to the sponsor, so it never blocks a merge; sort or filter by the age
to find the oldest. A completion estimate of "2022-07" (month precision) has passed from
2022-08-01 on.

This rule owns what is stale about an UNKNOWN record, in one finding: ``stale-estimated-date``
does not also report its passed estimates (only its placeholders and impossible ACTUAL dates),
and ``stale-active-status`` does not also report its sites that still say RECRUITING.

Why it matters: readers cannot tell whether an UNKNOWN trial finished, stopped or never
started; counts of ongoing trials and results-reporting checks treat it as open forever.

How to fix: re-capture an old copy first. Then ask the sponsor (or look at publications and
the sponsor's site) for the real outcome, and record the current status with its
verification date and ACTUAL dates. If the registry itself still shows UNKNOWN, keep the
status and waive the finding with the reason.

Example: NCT04216849, verified June 2020, last known status RECRUITING, estimated completion
2022-07-01, its site Shanghai East Hospital still RECRUITING, audited on 2026-11-22 -> "status
UNKNOWN, last verified 2020-06 (6 years 5 months ago); last known status RECRUITING; estimated
completion 2022-07-01 has passed; 1 site still says it is enrolling: Shanghai East Hospital
(Shanghai, China): RECRUITING". NCT00460291 in AllPublicXML of 2023-02-03 -> "status UNKNOWN
when captured on 2023-02-03, last verified 2007-10 (15 years 4 months earlier); last known
status RECRUITING; estimated completion 2008-12 has passed; our copy is 3 years 9 months old:
re-capture it first, the registry may know the outcome by now".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from audit.dates import (
    OLD_COPY_MONTHS,
    age_text,
    captured_on,
    date_columns,
    day_numbers,
    flag,
    judged_at,
    months_since,
)
from audit.findings import Finding
from audit.frames import value, where
from audit.rules import Context, rule
from audit.sites import SITES_IN_EVIDENCE, open_sites, open_sites_text
from audit.tables import Tables


@rule("stale-unknown-status", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = date_columns(tables)
    studies = studies[flag(studies["overall_status"] == "UNKNOWN")]
    if studies.empty:
        return
    at = judged_at(studies, ctx.as_of)
    completion_end = day_numbers(studies["completion_date"], end=True)
    estimated = flag(studies["completion_date_type"] == "ESTIMATED")
    studies = studies.assign(
        completion_passed=estimated & flag(completion_end < at),
    )
    sites = open_sites(tables, studies["record_file"])
    for row, day in zip(studies.itertuples(index=False), at, strict=True):
        yield _finding(row, date.fromordinal(day), sites.get(row.record_file, []), ctx)


def _finding(row: Any, day: date, listed: list[dict[str, Any]], ctx: Context) -> Finding:
    """The record judged at ``day``: its capture date, or the audit date without one."""
    verified, last_known = value(row.status_verified), value(row.last_known_status)
    completion, completion_type = value(row.completion_date), value(row.completion_date_type)
    captured = captured_on(value(row.captured), ctx.as_of)
    months = months_since(verified, day)
    copy_age = months_since(captured, ctx.as_of) if captured else None
    return ctx.finding(
        f"status UNKNOWN{f' when captured on {captured}' if captured else ''}, "
        f"{_verified_text(verified, months, 'earlier' if captured else 'ago')}; "
        f"last known status {last_known or 'not given'}; "
        f"{_completion_text(completion, completion_type, bool(row.completion_passed))}"
        + (f"; {open_sites_text(listed)}" if listed else "")
        + (_recapture_text(copy_age) if copy_age and copy_age > OLD_COPY_MONTHS else ""),
        **where([row]),
        field="overall_status",
        key="unknown",
        evidence={
            "status_verified": verified,
            "months_since_verification": months,
            "last_known_status": last_known,
            "completion_date": completion,
            "completion_date_type": completion_type,
            "estimated_completion_passed": bool(row.completion_passed),
            "captured": captured,
            "judged_at": day.isoformat(),
            "copy_age_months": copy_age,
            "open_site_count": len(listed),
            "open_sites": listed[:SITES_IN_EVIDENCE],
        },
    )


def _verified_text(verified: str | None, months: int | None, when: str) -> str:
    if verified is None:
        return "the source gives no verification date"
    if months is None:
        return f"verification date {verified!r} is not a date"
    return f"last verified {verified} ({age_text(months)} {when})"


def _completion_text(completion: str | None, kind: str | None, passed: bool) -> str:
    if completion is None:
        return "no completion date"
    if passed:
        return f"estimated completion {completion} has passed"
    return f"completion {completion} ({kind or 'no type'})"


def _recapture_text(copy_age: int) -> str:
    return (
        f"; our copy is {age_text(copy_age)} old: re-capture it first, the registry may "
        "know the outcome by now"
    )
