"""A trial that says it is recruiting or active, or has a site that does, when it no longer is.

What it detects (at most one finding of each kind per record):

* ``status``: the overall status is active (RECRUITING, NOT_YET_RECRUITING,
  ACTIVE_NOT_RECRUITING or ENROLLING_BY_INVITATION) and either the status was last verified
  more than 2 years before the audit date (ClinicalTrials.gov's own rule for turning a status
  into Unknown), or the ESTIMATED completion date passed more than 12 months before it. When
  the source gives no verification date, the last update date stands in for it.
* ``site-recruiting``: the overall status is not active (e.g. UNKNOWN, COMPLETED,
  TERMINATED) but one or more sites still say RECRUITING, NOT_YET_RECRUITING or
  ENROLLING_BY_INVITATION. The finding lists those sites.

Dates of month or year precision count from the END of their period: "verified 2024-10" is
more than 2 years old from 2026-11-01 on, and a completion estimate of "2025-07" is more than
12 months past from 2026-08-01 on.

Who reports what: a passed ESTIMATED completion date on an active record is reported here,
not by ``stale-estimated-date``, which reports the record's other passed estimates (start and
primary completion). An UNKNOWN record itself is reported by ``stale-unknown-status``; its
recruiting sites are a separate fact and are reported here.

Why it matters: patients and referring doctors contact trials and sites that say they are
recruiting; a status nobody has confirmed for years, or a site left open after the trial
ended, sends them to trials that no longer enrol.

How to fix: confirm the current status with the sponsor and update it with a new
verification date; replace a passed completion estimate with the actual date or a new
estimate; close the sites (or set them to the trial's status) when the trial has ended.

Example: NCT04216849 is UNKNOWN but its site Shanghai East Hospital still says RECRUITING ->
"overall status UNKNOWN but 1 site still says it is enrolling: Shanghai East Hospital
(Shanghai, China): RECRUITING".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from audit.findings import Finding
from audit.rules import Context, rule
from audit.rules.common import value, where
from audit.rules.stale_estimated_date import (
    GRACE_MONTHS,
    age_text,
    day_numbers,
    months_before,
    months_since,
)
from audit.tables import Tables
from audit.vocab import ACTIVE_STATUSES, OVERALL_STATUSES

VERIFIED_MONTHS = 24
OPEN_SITE_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
CLOSED_STATUSES = tuple(s for s in OVERALL_STATUSES if s not in ACTIVE_STATUSES)
SITES_IN_MESSAGE = 5
SITES_IN_EVIDENCE = 50


@rule("stale-active-status", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from _stale_status(tables.studies, ctx)
    yield from _open_sites(tables, ctx)


def _stale_status(studies: pd.DataFrame, ctx: Context) -> Iterator[Finding]:
    studies = studies[studies["overall_status"].isin(ACTIVE_STATUSES).fillna(False)]
    if studies.empty:
        return
    verified = studies["status_verified"].fillna(studies["last_update_posted"])
    old_verification = (
        day_numbers(verified, end=True) < months_before(ctx.as_of, VERIFIED_MONTHS).toordinal()
    )
    passed = (studies["completion_date_type"] == "ESTIMATED") & (
        day_numbers(studies["completion_date"], end=True)
        < months_before(ctx.as_of, GRACE_MONTHS).toordinal()
    )
    studies = studies.assign(
        verified_or_updated=verified,
        old_verification=old_verification.fillna(False),
        completion_passed=passed.fillna(False),
    )
    for row in studies[studies["old_verification"] | studies["completion_passed"]].itertuples(
        index=False
    ):
        day, completion = value(row.verified_or_updated), value(row.completion_date)
        verified_months = months_since(day, ctx.as_of)
        completion_months = months_since(completion, ctx.as_of) if row.completion_passed else None
        what = "last verified" if value(row.status_verified) else "last updated"
        reasons = []
        if row.old_verification:
            reasons.append(
                f"{what} {day}, {age_text(verified_months or 0)} ago (more than "
                "2 years: ClinicalTrials.gov would show it as Unknown)"
            )
        if row.completion_passed:
            reasons.append(
                f"estimated completion {completion} passed {age_text(completion_months or 0)} ago"
            )
        yield ctx.finding(
            f"status {row.overall_status} looks stale: {'; '.join(reasons)}",
            **where([row]),
            field="overall_status",
            key="status",
            evidence={
                "overall_status": value(row.overall_status),
                "status_verified": value(row.status_verified),
                "last_update_posted": value(row.last_update_posted),
                "months_since_verification": verified_months,
                "completion_date": completion,
                "completion_date_type": value(row.completion_date_type),
                "months_since_completion": completion_months,
            },
        )


def _open_sites(tables: Tables, ctx: Context) -> Iterator[Finding]:
    sites = tables.sites[tables.sites["status"].isin(OPEN_SITE_STATUSES).fillna(False)]
    studies = tables.studies[tables.studies["overall_status"].isin(CLOSED_STATUSES).fillna(False)]
    studies = studies[studies["record_file"].isin(sites["record_file"])]
    if studies.empty:
        return
    sites = sites[sites["record_file"].isin(studies["record_file"])].sort_values(
        ["record_file", "item"]
    )
    by_record = {name: group for name, group in sites.groupby("record_file", sort=False)}
    for row in studies.itertuples(index=False):
        listed = [_site(item) for item in by_record[row.record_file].itertuples(index=False)]
        shown = "; ".join(_site_text(s) for s in listed[:SITES_IN_MESSAGE])
        more = len(listed) - SITES_IN_MESSAGE
        count = (
            "1 site still says it is"
            if len(listed) == 1
            else (f"{len(listed)} sites still say they are")
        )
        yield ctx.finding(
            f"overall status {row.overall_status} but {count} enrolling: {shown}"
            + (f"; and {more} more" if more > 0 else ""),
            **where([row]),
            field="sites.status",
            key="site-recruiting",
            evidence={
                "overall_status": value(row.overall_status),
                "site_count": len(listed),
                "sites": listed[:SITES_IN_EVIDENCE],
            },
        )


def _site(item: Any) -> dict[str, Any]:
    return {name: value(getattr(item, name)) for name in ("facility", "city", "country", "status")}


def _site_text(site: dict[str, Any]) -> str:
    place = ", ".join(p for p in (site["city"], site["country"]) if p)
    name = site["facility"] or "unnamed site"
    return f"{name} ({place}): {site['status']}" if place else f"{name}: {site['status']}"
