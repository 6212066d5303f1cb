"""A trial whose status is UNKNOWN: its sponsor has stopped confirming what is happening.

What it detects: every record with overall status UNKNOWN. ClinicalTrials.gov sets this
status itself when a trial that was recruiting or active has not had its status verified for
more than 2 years, so an UNKNOWN record is always out of date. The message says how long ago
the status was last verified (or that the source gives no verification date), what the last
known status was, whether the ESTIMATED completion date has passed, and which sites still say
they are enrolling. The evidence gives the age in months (``months_since_verification``).

Severity: ``warning``, however old. The status is the registry's: a curator cannot make it
current, only report it to the sponsor, so it never blocks a merge; sort or filter by the age
to find the oldest. A completion estimate of "2022-07" (month precision) has passed from
2022-08-01 on.

This rule owns what is stale about an UNKNOWN record, in one finding: ``stale-estimated-date``
does not also report its passed estimates (only its placeholders and impossible ACTUAL dates),
and ``stale-active-status`` does not also report its sites that still say RECRUITING.

Why it matters: readers cannot tell whether an UNKNOWN trial finished, stopped or never
started; counts of ongoing trials and results-reporting checks treat it as open forever.

How to fix: ask the sponsor (or look at publications and the sponsor's site) for the real
outcome, then record the current status with its verification date and ACTUAL dates. If the
registry itself still shows UNKNOWN, keep the status and waive the finding with the reason.

Example: NCT04216849, verified June 2020, last known status RECRUITING, estimated completion
2022-07-01, its site Shanghai East Hospital still RECRUITING, audited on 2026-11-22 -> "status
UNKNOWN, last verified 2020-06 (6 years 5 months ago); last known status RECRUITING; estimated
completion 2022-07-01 has passed; 1 site still says it is enrolling: Shanghai East Hospital
(Shanghai, China): RECRUITING".
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Finding
from audit.rules import Context, rule
from audit.rules.common import value, where
from audit.rules.dates import age_text, date_columns, day_numbers, flag, months_since
from audit.rules.stale_active_status import SITES_IN_EVIDENCE, open_sites, open_sites_text
from audit.tables import Tables


@rule("stale-unknown-status", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = date_columns(tables)
    studies = studies[flag(studies["overall_status"] == "UNKNOWN")]
    if studies.empty:
        return
    completion_end = day_numbers(studies["completion_date"], end=True)
    estimated = flag(studies["completion_date_type"] == "ESTIMATED")
    studies = studies.assign(
        completion_passed=estimated & flag(completion_end < ctx.as_of.toordinal())
    )
    sites = open_sites(tables, studies["record_file"])

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
        listed = sites.get(row.record_file, [])
        yield ctx.finding(
            f"status UNKNOWN, {verified_text}; last known status {last_known or 'not given'}; "
            f"{completion_text}" + (f"; {open_sites_text(listed)}" if listed else ""),
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
                "open_site_count": len(listed),
                "open_sites": listed[:SITES_IN_EVIDENCE],
            },
        )
