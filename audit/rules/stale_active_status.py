"""A trial that says it is recruiting or active, or has a site that does, when it no longer is.

What it detects (at most one finding of each kind per record):

* ``status``: the overall status is active (RECRUITING, NOT_YET_RECRUITING,
  ACTIVE_NOT_RECRUITING or ENROLLING_BY_INVITATION) but the record has not been kept up to
  date: the status was last verified more than 2 years before the audit date
  (ClinicalTrials.gov's own rule for turning such a status into Unknown), or an ESTIMATED
  start, primary completion or completion date passed more than 12 months before it. One
  finding per record gives every reason. A record without a verification date is judged on
  its dates alone: a last-update date is not a verification (ICTRP's "last refreshed" date
  only says when WHO harvested the record).
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

How to fix: confirm the current status with the sponsor and record it with a new
verification date; replace passed estimates with the actual dates (or new estimates); close
the sites, or give them the trial's status, when the trial has ended.

Example: a COMPLETED trial whose site Shanghai East Hospital still says RECRUITING ->
"overall status COMPLETED but 1 site still says it is enrolling: Shanghai East Hospital
(Shanghai, China): RECRUITING". A RECRUITING trial last verified 2023-03 and audited on
2026-11-22 -> "status RECRUITING, but the record looks out of date: last verified 2023-03,
3 years 8 months ago".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pandas as pd

from audit.findings import Finding
from audit.rules import Context, rule
from audit.rules.common import value, where
from audit.rules.dates import (
    DATE_FIELDS,
    age_text,
    date_columns,
    day_numbers,
    flag,
    label,
    months_before,
    months_since,
    passed_estimates,
)
from audit.tables import Tables
from audit.vocab import ACTIVE_STATUSES, OVERALL_STATUSES

VERIFIED_MONTHS = 24
OPEN_SITE_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
CLOSED_STATUSES = tuple(s for s in OVERALL_STATUSES if s not in ACTIVE_STATUSES)
SITES_CHECKED = tuple(s for s in CLOSED_STATUSES if s != "UNKNOWN")  # see stale-unknown-status
SITES_IN_MESSAGE = 5
SITES_IN_EVIDENCE = 50


@rule("stale-active-status", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from _stale_status(date_columns(tables), ctx)
    yield from _open_sites(tables, ctx)


def _stale_status(studies: pd.DataFrame, ctx: Context) -> Iterator[Finding]:
    studies = studies[flag(studies["overall_status"].isin(ACTIVE_STATUSES))]
    if studies.empty:
        return
    cutoff = months_before(ctx.as_of, VERIFIED_MONTHS).toordinal()
    old = flag(day_numbers(studies["status_verified"], end=True) < cutoff)
    passed = passed_estimates(studies, ctx.as_of)
    stale = old | pd.concat(passed.values(), axis=1).any(axis=1)
    studies = studies.assign(
        old_verification=old, **{f"passed_{field}": passed[field] for field in DATE_FIELDS}
    )
    for row in studies[stale].itertuples(index=False):
        verified = value(row.status_verified)
        months = months_since(verified, ctx.as_of)
        reasons = []
        if row.old_verification:
            reasons.append(f"last verified {verified}, {age_text(months or 0)} ago")
        estimates = {
            field: value(getattr(row, field))
            for field in DATE_FIELDS
            if getattr(row, f"passed_{field}")
        }
        reasons += [
            f"estimated {label(field)} {text} passed "
            f"{age_text(months_since(text, ctx.as_of) or 0)} ago"
            for field, text in estimates.items()
        ]
        yield ctx.finding(
            f"status {row.overall_status}, but the record looks out of date: {'; '.join(reasons)}",
            **where([row]),
            field="overall_status",
            key="status",
            evidence={
                "overall_status": value(row.overall_status),
                "status_verified": verified,
                "months_since_verification": months,
                "passed_estimates": estimates,
                "completion_date": value(row.completion_date),
                "completion_date_type": value(row.completion_date_type),
            },
        )


def open_sites(tables: Tables, record_files: pd.Series) -> dict[str, list[dict[str, Any]]]:
    """The sites of these record files that still say they are enrolling, by record file."""
    sites = tables.sites[["record_file", "item", "facility", "city", "country", "status"]]
    sites = sites[
        flag(sites["status"].isin(OPEN_SITE_STATUSES))
        & flag(sites["record_file"].isin(record_files))
    ].sort_values(["record_file", "item"])
    by_record: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in sites.itertuples(index=False):
        by_record[item.record_file].append(
            {name: value(getattr(item, name)) for name in ("facility", "city", "country", "status")}
        )
    return by_record


def open_sites_text(listed: list[dict[str, Any]]) -> str:
    """ "2 sites still say they are enrolling: A (City, Country): RECRUITING; B: …" """
    shown = "; ".join(_site_text(s) for s in listed[:SITES_IN_MESSAGE])
    more = len(listed) - SITES_IN_MESSAGE
    count = (
        "1 site still says it is" if len(listed) == 1 else f"{len(listed)} sites still say they are"
    )
    return f"{count} enrolling: {shown}" + (f"; and {more} more" if more > 0 else "")


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


def _site_text(site: dict[str, Any]) -> str:
    place = ", ".join(p for p in (site["city"], site["country"]) if p)
    name = site["facility"] or "unnamed site"
    return f"{name} ({place}): {site['status']}" if place else f"{name}: {site['status']}"
