"""A start or completion date that is a stale estimate, an impossible actual or a placeholder.

What it detects: one finding per date field and record, for the start, primary completion
and completion dates:

* ``estimate-passed``: the date is still ESTIMATED although it passed more than 12 months
  before the audit date. A partial date counts from the END of its period: "2022-07" is
  reported from 2023-08-01 on; exactly 12 months is not yet stale.
* ``actual-in-future``: the date is ACTUAL but lies after the audit date (a partial date from
  the START of its period: "2026-11" is not in the future during November 2026). This is an
  error: nothing can have actually happened yet.
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
are reported here whatever the status. Dates without a type (older records) are only checked
for placeholders.

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
from typing import Any

from audit.dates import (
    DATE_FIELDS,
    age_text,
    date_columns,
    day_numbers,
    flag,
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
    passed = passed_estimates(studies, ctx.as_of)
    for field in DATE_FIELDS:
        placeholder = placeholders(studies, field, ctx.as_of)
        future = (
            flag(studies[f"{field}_type"] == "ACTUAL")
            & flag(day_numbers(studies[field]) > ctx.as_of.toordinal())
            & ~placeholder
        )
        name = label(field)
        for row in studies[placeholder].itertuples(index=False):
            day, day_type, status = _details(row, field)
            yield ctx.finding(
                f"{name} {day} looks like a placeholder or a typo, not a real date",
                **where([row]),
                field=field,
                key="placeholder",
                evidence={"date": day, "type": day_type, "overall_status": status},
            )
        for row in studies[future].itertuples(index=False):
            day, day_type, status = _details(row, field)
            yield ctx.finding(
                f"{name} {day} is marked ACTUAL but lies after {ctx.as_of.isoformat()}",
                **where([row]),
                field=field,
                key="actual-in-future",
                severity="error",
                evidence={"date": day, "type": day_type, "overall_status": status},
            )
        for row in studies[passed[field] & owned].itertuples(index=False):
            day, day_type, status = _details(row, field)
            months = months_since(day, ctx.as_of) or 0
            yield ctx.finding(
                f"{name} {day} is still ESTIMATED, {age_text(months)} later "
                f"(status {status or 'not given'})",
                **where([row]),
                field=field,
                key="estimate-passed",
                evidence={
                    "date": day,
                    "type": day_type,
                    "months_since": months,
                    "overall_status": status,
                },
            )


def _details(row: Any, field: str) -> tuple[str | None, str | None, str | None]:
    """The date, its type and the record's overall status, as plain values."""
    return (
        value(getattr(row, field)),
        value(getattr(row, f"{field}_type")),
        value(row.overall_status),
    )
