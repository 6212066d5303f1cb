"""A trial that says it is recruiting or active, or has a site that does, when it no longer is.

What it detects (at most one finding of each kind per record):

* ``status``: the overall status is active (RECRUITING, NOT_YET_RECRUITING,
  ACTIVE_NOT_RECRUITING or ENROLLING_BY_INVITATION) but the registry record was not kept up
  to date: the status was last verified more than 2 years before the day it is judged at
  (ClinicalTrials.gov's own rule for turning such a status into Unknown), or an ESTIMATED
  start, primary completion or completion date passed more than 12 months before it. That
  day is the record's capture date when the source gives one (``captured``; see the README
  for how each importer sets it), else the audit date. One finding per record gives every
  reason. A record without a verification date is judged on its dates alone: a last-update
  date is not a verification (ICTRP's "last refreshed" date only says when WHO harvested it).
* ``recapture`` (info): the record was up to date when captured, but is not by the audit
  date: its verification has grown older than 2 years, or an estimate passed more than 12
  months ago. A date without a type (classic exports, ICTRP) that lies after the capture date
  counts as an estimate here: nothing after a capture can have happened when it was made. The
  registry may well be current: our copy is old, re-capture it.
* ``site-recruiting``: the overall status is closed (e.g. COMPLETED, TERMINATED, SUSPENDED)
  but one or more sites still say RECRUITING, NOT_YET_RECRUITING or ENROLLING_BY_INVITATION.
  The finding lists those sites. An UNKNOWN trial's open sites are listed in its one
  ``stale-unknown-status`` finding instead: they are the same stale record.

Dates of month or year precision count from the END of their period: "verified 2024-10" is
more than 2 years old from 2026-11-01 on, and a completion estimate of "2025-07" is more than
12 months past from 2026-08-01 on. Exactly 2 years (or 12 months) is not yet stale.

Who reports what: the passed estimates of an active record are reported here, in its one
``status`` finding, and never also by ``stale-estimated-date`` (which still reports their
placeholders and impossible ACTUAL dates). An UNKNOWN record, sites still enrolling
included, is reported by ``stale-unknown-status`` alone.

Why it matters: patients and referring doctors contact trials and sites that say they are
recruiting; a status nobody has confirmed for years, or a site left open after the trial
ended, sends them to trials that no longer enrol.

How to fix: for ``status``, confirm the current status with the sponsor and record it with a
new verification date; replace passed estimates with the actual dates (or new estimates).
For ``recapture``, import a current copy of the record (its finding then goes, or becomes a
``status`` finding if the registry itself is stale). For ``site-recruiting``, close the sites,
or give them the trial's status, when the trial has ended.

Example: a COMPLETED trial whose site Shanghai East Hospital still says RECRUITING ->
"overall status COMPLETED but 1 site still says it is enrolling: Shanghai East Hospital
(Shanghai, China): RECRUITING". A RECRUITING trial last verified 2023-03 and audited on
2026-11-22 -> "status RECRUITING, but the record looks out of date: last verified 2023-03,
3 years 8 months ago". NCT00492739 in AllPublicXML of 2023-02-03 -> "status RECRUITING, but
the registry record was already out of date when captured on 2023-02-03: last verified
2020-09, 2 years 5 months earlier". NCT04366882 in the classic export of 2020-07-09,
RECRUITING with primary completion and completion dates 2020-12 -> info "status RECRUITING
in our copy captured on 2020-07-09, 6 years 4 months ago, which has gone out of date since
(estimated primary completion date 2020-12 passed 5 years 11 months ago; estimated completion
date 2020-12 passed 5 years 11 months ago): re-capture it".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd

from audit.dates import (
    DATE_FIELDS,
    RECAPTURE,
    age_text,
    captured_before,
    captured_on,
    date_columns,
    day_numbers,
    flag,
    judged_at,
    label,
    months_since,
    on_day,
    passed_estimates,
    shifted,
)
from audit.findings import Finding
from audit.frames import value, where
from audit.rules import Context, rule
from audit.sites import SITES_IN_EVIDENCE, open_sites, open_sites_text
from audit.tables import Tables
from audit.vocab import ACTIVE_STATUSES, OVERALL_STATUSES

VERIFIED_MONTHS = 24
CLOSED_STATUSES = tuple(s for s in OVERALL_STATUSES if s not in ACTIVE_STATUSES)
SITES_CHECKED = tuple(s for s in CLOSED_STATUSES if s != "UNKNOWN")  # see stale-unknown-status


@rule("stale-active-status", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from _stale_status(date_columns(tables), ctx)
    yield from _open_sites(tables, ctx)


def _stale_status(studies: pd.DataFrame, ctx: Context) -> Iterator[Finding]:
    studies = studies[flag(studies["overall_status"].isin(ACTIVE_STATUSES))]
    if studies.empty:
        return
    at = judged_at(studies, ctx.as_of)
    registry = _staleness(studies, ctx.as_of, at)
    since = _staleness(studies, ctx.as_of, on_day(studies, ctx.as_of), since_capture=True)
    aged = ~registry.any(axis=1) & since.any(axis=1) & captured_before(studies, ctx.as_of)
    stale = registry.any(axis=1)
    for row, day, reasons in zip(
        studies[stale].itertuples(index=False),
        at[stale],
        registry[stale].itertuples(index=False),
        strict=True,
    ):
        yield _status_finding(row, date.fromordinal(day), reasons._asdict(), ctx)
    for row, reasons in zip(
        studies[aged].itertuples(index=False), since[aged].itertuples(index=False), strict=True
    ):
        yield _recapture_finding(row, reasons._asdict(), ctx)


def _staleness(
    studies: pd.DataFrame, as_of: date, at: pd.Series, *, since_capture: bool = False
) -> pd.DataFrame:
    """Per record, judged at the day ``at``: is its verification too old, and which estimates
    passed too long ago (columns ``status_verified`` and the date fields)?"""
    old = flag(day_numbers(studies["status_verified"], end=True) < shifted(at, VERIFIED_MONTHS))
    passed = passed_estimates(studies, as_of, at, since_capture=since_capture)
    return pd.DataFrame({"status_verified": old, **passed})


def _reasons(row: Any, stale: dict[str, bool], day: date, when: str) -> tuple[str, dict]:
    """The reasons a record is stale at ``day`` (ages followed by ``when``: "ago", "earlier")
    and its passed estimates."""
    verified = value(row.status_verified)
    reasons = []
    if stale["status_verified"]:
        reasons.append(f"last verified {verified}, {age_text(months_since(verified, day) or 0)}")
    estimates = {field: value(getattr(row, field)) for field in DATE_FIELDS if stale[field]}
    reasons += [
        f"estimated {label(field)} {text} passed {age_text(months_since(text, day) or 0)}"
        for field, text in estimates.items()
    ]
    return "; ".join(f"{reason} {when}" for reason in reasons), estimates


def _status_finding(row: Any, day: date, stale: dict[str, bool], ctx: Context) -> Finding:
    """Stale in the registry: judged at the capture date (or the audit date without one)."""
    captured = captured_on(value(row.captured), ctx.as_of)
    reasons, estimates = _reasons(row, stale, day, "earlier" if captured else "ago")
    verified = value(row.status_verified)
    when = (
        f"the registry record was already out of date when captured on {captured}"
        if captured
        else "the record looks out of date"
    )
    return ctx.finding(
        f"status {row.overall_status}, but {when}: {reasons}",
        **where([row]),
        field="overall_status",
        key="status",
        evidence={
            "overall_status": value(row.overall_status),
            "status_verified": verified,
            "months_since_verification": months_since(verified, day),
            "passed_estimates": estimates,
            "completion_date": value(row.completion_date),
            "completion_date_type": value(row.completion_date_type),
            "captured": value(row.captured),
            "judged_at": day.isoformat(),
        },
    )


def _recapture_finding(row: Any, stale: dict[str, bool], ctx: Context) -> Finding:
    """Fine in the registry when captured, out of date by the audit date: re-capture it."""
    captured = value(row.captured)
    copy_age = months_since(captured, ctx.as_of) or 0
    reasons, estimates = _reasons(row, stale, ctx.as_of, "ago")
    return ctx.finding(
        f"status {row.overall_status} in our copy captured on {captured}, {age_text(copy_age)} "
        f"ago, which has gone out of date since ({reasons}): re-capture it",
        **where([row]),
        field="overall_status",
        key=RECAPTURE,
        severity="info",
        evidence={
            "overall_status": value(row.overall_status),
            "captured": captured,
            "copy_age_months": copy_age,
            "status_verified": value(row.status_verified),
            "passed_since_capture": estimates,
            "verification_expired_since_capture": bool(stale["status_verified"]),
        },
    )


def _open_sites(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = date_columns(tables)
    studies = studies[flag(studies["overall_status"].isin(SITES_CHECKED))]
    by_record = open_sites(tables, studies["record_file"])
    for row in studies[flag(studies["record_file"].isin(list(by_record)))].itertuples(index=False):
        listed = by_record[row.record_file]
        yield ctx.finding(
            f"overall status {row.overall_status} but {open_sites_text(listed)}",
            **where([row]),
            field="sites.status",
            key="site-recruiting",
            evidence={
                "overall_status": value(row.overall_status),
                "site_count": len(listed),
                "sites": listed[:SITES_IN_EVIDENCE],
            },
        )
