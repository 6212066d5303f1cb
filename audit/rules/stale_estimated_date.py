"""A start or completion date that is a stale estimate, an impossible actual or a placeholder.

What it detects: one finding per date field and record, for the start, primary completion
and completion dates:

* ``estimate-passed``: the date was still ESTIMATED although it had passed more than 12 months
  before the day the record is judged at: its capture date when the source gives one
  (``captured``), else the audit date. A partial date counts from the END of its period:
  "2022-07" is reported from 2023-08-01 on; exactly 12 months is not yet stale.
* ``actual-in-future``: the date is ACTUAL but lies after the day the record is judged at
  (a partial date from the START of its period: "2026-11" is not in the future during
  November 2026). This is an error: nothing can have actually happened yet.
* ``placeholder``: a date no one means: year 2099 or later, 1900 or earlier, exactly
  1900-01-01 or 1970-01-01, or, for a study that is not OBSERVATIONAL, more than 30 years
  after the audit date (long-running observational registries do plan that far). Reported
  whatever the date's type, and instead of the two checks above.

Who reports what, so that one fact gives one finding: on an UNKNOWN record every passed
estimate is part of the frozen record that ``stale-unknown-status`` reports; on a record
with an active status (recruiting, not yet recruiting, active not recruiting, enrolling by
invitation) passed estimates are reasons in the one finding of ``stale-active-status``.
This rule reports passed estimates on every other record: COMPLETED, TERMINATED, SUSPENDED,
expanded access and records without a status. WITHDRAWN trials are skipped: they never
started, so their dates stay estimates by nature. Placeholders and ACTUAL dates in the future
are reported here whatever the status. Dates without a type (older records, classic exports)
are otherwise only checked for placeholders. An estimate that passed only after the capture
is not reported: it says only that our copy is old, as it is for every record of an old
export, and re-capturing the export is one action, not one per record.

Why it matters: an estimate in the past tells readers the record is out of date, and
duration, time-to-completion and reporting-delay analyses use these dates directly.
Placeholders like 2099-12 silently break every such calculation.

How to fix: replace the estimate with the actual date; correct an ACTUAL date that lies in
the future (often a typo in the year, or an estimate marked as actual); replace a placeholder
with the real (estimated) date or leave the date empty.

Example: a TERMINATED trial whose completion date is "2017-01 (ESTIMATED)", audited on
2026-11-22 -> "completion date 2017-01 is still ESTIMATED, 9 years 10 months later".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

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
    placeholders,
)
from audit.findings import Finding
from audit.frames import value, where
from audit.rules import Context, rule
from audit.tables import Tables
from audit.vocab import ACTIVE_STATUSES

# Passed estimates on these records are another rule's (UNKNOWN, active) or estimates by nature.
NOT_OWNED = ("UNKNOWN", "WITHDRAWN", *ACTIVE_STATUSES)


@rule("stale-estimated-date", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = date_columns(tables)
    owned = ~flag(studies["overall_status"].isin(NOT_OWNED))
    at = judged_at(studies, ctx.as_of)
    passed = passed_estimates(studies, ctx.as_of, at)
    for field in DATE_FIELDS:
        placeholder = placeholders(studies, field, ctx.as_of)
        future = (
            flag(studies[f"{field}_type"] == "ACTUAL")
            & flag(day_numbers(studies[field]) > at)
            & ~placeholder
        )
        for row in studies[placeholder].itertuples(index=False):
            yield _placeholder(row, field, ctx)
        for row in studies[future].itertuples(index=False):
            yield _actual_in_future(row, field, ctx)
        stale = passed[field] & owned
        for row, day in zip(studies[stale].itertuples(index=False), at[stale], strict=True):
            yield _estimate_passed(row, field, date.fromordinal(day), ctx)


def _placeholder(row: Any, field: str, ctx: Context) -> Finding:
    day, day_type, status = _details(row, field)
    return ctx.finding(
        f"{label(field)} {day} looks like a placeholder or a typo, not a real date",
        **where([row]),
        field=field,
        key="placeholder",
        evidence={"date": day, "type": day_type, "overall_status": status},
    )


def _actual_in_future(row: Any, field: str, ctx: Context) -> Finding:
    day, day_type, status = _details(row, field)
    captured = captured_on(value(row.captured), ctx.as_of)
    limit = f"the capture date {captured}" if captured else ctx.as_of.isoformat()
    return ctx.finding(
        f"{label(field)} {day} is marked ACTUAL but lies after {limit}",
        **where([row]),
        field=field,
        key="actual-in-future",
        severity="error",
        evidence={"date": day, "type": day_type, "overall_status": status, "captured": captured},
    )


def _estimate_passed(row: Any, field: str, judged: date, ctx: Context) -> Finding:
    """Stale in the registry: judged at the capture date (or the audit date without one)."""
    day, day_type, status = _details(row, field)
    months = months_since(day, judged) or 0
    captured = captured_on(value(row.captured), ctx.as_of)
    when = f"was still ESTIMATED when captured on {captured}" if captured else "is still ESTIMATED"
    return ctx.finding(
        f"{label(field)} {day} {when}, {age_text(months)} later (status {status or 'not given'})",
        **where([row]),
        field=field,
        key="estimate-passed",
        evidence={
            "date": day,
            "type": day_type,
            "months_since": months,
            "overall_status": status,
            "captured": captured,
            "judged_at": judged.isoformat(),
        },
    )


def _details(row: Any, field: str) -> tuple[str | None, str | None, str | None]:
    """The date, its type and the record's overall status, as plain values."""
    return (
        value(getattr(row, field)),
        value(getattr(row, f"{field}_type")),
        value(row.overall_status),
    )
