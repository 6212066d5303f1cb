"""A trial that says it is recruiting or active, or has a site that does, when it no longer is.

What it detects (at most one finding of each kind per record):

* ``status``: the overall status is active (RECRUITING, NOT_YET_RECRUITING,
  ACTIVE_NOT_RECRUITING or ENROLLING_BY_INVITATION) but the registry record was not kept up
  to date: the status was last verified more than 2 years before the day it is judged at
  (the period after which ClinicalTrials.gov calls a status Unknown once the completion date
  has passed), or an ESTIMATED
  start, primary completion or completion date passed more than 12 months before it. That
  day is the record's capture date when the source gives one (``captured``; see the README
  for how each importer sets it), else the audit date. One finding per record gives every
  reason. A record without a verification date is judged on its dates alone: a last-update
  date is not a verification (ICTRP's "last refreshed" date only says when WHO harvested it).
* ``site-recruiting``: the overall status is closed (e.g. COMPLETED, TERMINATED, SUSPENDED)
  but one or more sites still say RECRUITING, NOT_YET_RECRUITING or ENROLLING_BY_INVITATION.
  The finding lists those sites. An UNKNOWN trial's open sites are listed in its one
  ``stale-unknown-status`` finding instead: they are the same stale record.

What went out of date only after the capture is not reported: a record up to date when
captured whose verification or estimates have aged since says only that our copy is old, as
every record of an old export does, and re-capturing the export is one action for all of
them, not one per record (those findings, 2,324 on the sample's corpora, were noise).

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
For ``site-recruiting``, close the sites, or give them the trial's status, when the trial
has ended.

Example: a COMPLETED trial whose site Shanghai East Hospital still says RECRUITING ->
"overall status COMPLETED but 1 site still says it is enrolling: Shanghai East Hospital
(Shanghai, China): RECRUITING". A RECRUITING trial last verified 2023-03 and audited on
2026-11-22 -> "status RECRUITING, but the record looks out of date: last verified 2023-03,
3 years 8 months ago". NCT00492739 in AllPublicXML of 2023-02-03 -> "status RECRUITING, but
the registry record was already out of date when captured on 2023-02-03: last verified
2020-09, 2 years 5 months earlier".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd

from audit.dates import (
    DATE_FIELDS,
    age_text,
    captured_on,
    date_columns,
    day_numbers,
    flag,
    judged_at,
    label,
    months_since,
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
    stale = registry.any(axis=1)
    for row, day, reasons in zip(
        studies[stale].itertuples(index=False),
        at[stale],
        registry[stale].itertuples(index=False),
        strict=True,
    ):
        yield _status_finding(row, date.fromordinal(day), reasons._asdict(), ctx)


def _staleness(studies: pd.DataFrame, as_of: date, at: pd.Series) -> pd.DataFrame:
    """Per record, judged at the day ``at``: is its verification too old, and which estimates
    passed too long ago (columns ``status_verified`` and the date fields)?"""
    old = flag(day_numbers(studies["status_verified"], end=True) < shifted(at, VERIFIED_MONTHS))
    passed = passed_estimates(studies, as_of, at)
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
