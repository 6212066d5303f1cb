"""A trial whose status is UNKNOWN: its sponsor has stopped confirming what is happening.

What it detects: every record with overall status UNKNOWN. ClinicalTrials.gov sets this
status itself when a trial that was recruiting or active has not had its status verified for
more than 2 years, so an UNKNOWN record is always out of date. The message says how long ago
the status was last verified (or that the source gives no verification date), what the last
known status was, and whether the ESTIMATED completion date has passed.

Severity grows with age:

* ``warning``: the default.
* ``error``: the status was last verified more than 5 years before the audit date, or the
  source gives no verification date and the ESTIMATED completion date passed more than
  5 years before it.

Dates of month or year precision count from the END of their period, so "verified 2021-10"
is more than 5 years old from 2026-11-01 on, and a completion estimate of "2022-07" has
passed from 2022-08-01 on.

This rule owns what is stale about an UNKNOWN record: ``stale-estimated-date`` does not also
report its passed estimates (only its placeholders and impossible ACTUAL dates). A site that
still says RECRUITING under an UNKNOWN trial is a different fact, reported by
``stale-active-status``.

Why it matters: readers cannot tell whether an UNKNOWN trial finished, stopped or never
started; counts of ongoing trials and results-reporting checks treat it as open forever.

How to fix: ask the sponsor (or look at publications and the sponsor's site) for the real
outcome, then record the current status with its verification date and ACTUAL dates. If the
registry itself still shows UNKNOWN, keep the status and waive the finding with the reason.

Example: NCT04216849, verified June 2020, last known status RECRUITING, estimated completion
2022-07-01, audited on 2026-11-22 -> error "status UNKNOWN, last verified 2020-06 (6 years
5 months ago); last known status RECRUITING; estimated completion 2022-07-01 has passed".
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.dates import (
    age_text,
    date_columns,
    day_numbers,
    flag,
    months_before,
    months_since,
)
from audit.findings import Finding
from audit.frames import value, where
from audit.rules import Context, rule
from audit.tables import Tables

ERROR_AFTER_MONTHS = 60


@rule("stale-unknown-status", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = date_columns(tables)
    studies = studies[flag(studies["overall_status"] == "UNKNOWN")]
    if studies.empty:
        return
    old = months_before(ctx.as_of, ERROR_AFTER_MONTHS).toordinal()
    verified_end = day_numbers(studies["status_verified"], end=True)
    completion_end = day_numbers(studies["completion_date"], end=True)
    estimated = flag(studies["completion_date_type"] == "ESTIMATED")
    long_passed = estimated & flag(completion_end < old)
    studies = studies.assign(
        completion_passed=estimated & flag(completion_end < ctx.as_of.toordinal()),
        is_error=flag(verified_end < old) | (verified_end.isna() & long_passed),
    )

    for row in studies.itertuples(index=False):
        verified, last_known = value(row.status_verified), value(row.last_known_status)
        completion, completion_type = value(row.completion_date), value(row.completion_date_type)
        months = months_since(verified, ctx.as_of)
        if verified is None:
            verified_text = "the source gives no verification date"
        elif months is None:
            verified_text = f"verification date {verified!r} is not a date"
        else:
            verified_text = f"last verified {verified} ({age_text(months)} ago)"
        if completion is None:
            completion_text = "no completion date"
        elif row.completion_passed:
            completion_text = f"estimated completion {completion} has passed"
        else:
            completion_text = f"completion {completion} ({completion_type or 'no type'})"
        yield ctx.finding(
            f"status UNKNOWN, {verified_text}; last known status {last_known or 'not given'}; "
            f"{completion_text}",
            **where([row]),
            field="overall_status",
            key="unknown",
            severity="error" if row.is_error else None,
            evidence={
                "status_verified": verified,
                "months_since_verification": months,
                "last_known_status": last_known,
                "completion_date": completion,
                "completion_date_type": completion_type,
                "estimated_completion_passed": bool(row.completion_passed),
            },
        )
