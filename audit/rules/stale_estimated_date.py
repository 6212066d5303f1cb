"""A start or completion date that is a stale estimate, an impossible actual or a placeholder.

What it detects (one finding per date field and record, for the start, primary completion
and completion dates):

* ``estimate-passed``: the date is still ESTIMATED although it passed more than 12 months
  before the audit date. A partial date counts from the END of its period: "2022-07" has
  passed once July 2022 is over, so it is reported from 2023-08-01 on.
* ``actual-in-future``: the date is ACTUAL but lies after the audit date (a partial date from
  the START of its period: "2026-11" is not in the future during November 2026). This is an
  error: nothing can have actually happened yet.
* ``placeholder``: a date no one means: year 2099 or later, more than 30 years after the audit
  date, 1900 or earlier, or exactly 1970-01-01. Reported whatever its type, and instead of the
  two checks above.

Who reports what, so that one fact gives one finding: on an UNKNOWN record every passed
estimate is part of the frozen record that ``stale-unknown-status`` reports; on a record
with an active status (recruiting, not yet recruiting, active not recruiting, enrolling by
invitation) a passed ESTIMATED completion date is reported by ``stale-active-status`` as a
sign of a stale status. This rule reports the other passed estimates: start and primary
completion dates of active trials, and every date of COMPLETED, TERMINATED, SUSPENDED and
other closed records. WITHDRAWN trials are skipped for passed estimates: they never started,
so their dates stay estimates by nature. Dates without a type (older records) are only
checked for placeholders.

Why it matters: readers take an estimate in the past to mean the registry is out of date,
and durations, time-to-completion and reporting-delay analyses use these dates directly.
Placeholders like 2099-12 silently break every such calculation.

How to fix: replace the estimate with the actual date (or a new estimate and the reason),
correct the actual date that lies in the future (often a typo in the year, or an estimate
marked as actual), and replace a placeholder with the real date or leave the date empty.

Example: a COMPLETED trial whose primary completion date is "2019-03 (ESTIMATED)", audited
on 2026-11-22 -> "primary completion date 2019-03 is still ESTIMATED, 7 years 8 months after
it passed".
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd

from audit.findings import Finding
from audit.rules import Context, rule
from audit.rules.common import months_between, to_date, value, where
from audit.tables import Tables
from audit.vocab import ACTIVE_STATUSES

DATE_FIELDS = ("start_date", "primary_completion_date", "completion_date")
GRACE_MONTHS = 12
PLACEHOLDER_YEAR = 2099
PLACEHOLDER_HORIZON_YEARS = 30
PLACEHOLDER_DAYS = ("1900-01-01", "1970-01-01")
# Statuses whose passed estimates another rule reports, or that keep estimates by nature.
NOT_OWNED = ("UNKNOWN", "WITHDRAWN")


def day_numbers(texts: pd.Series, *, end: bool = False) -> pd.Series:
    """Date texts of any precision as day numbers (``date.toordinal``): the first day of the
    period, or its last with ``end=True``; NA where the text is no date."""
    lookup: dict[str, int | None] = {}
    for text in texts.dropna().unique():
        day = to_date(text, end=end)
        lookup[text] = day.toordinal() if day else None
    return texts.map(lookup).astype("Int64")


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_since(text: str | None, as_of: date) -> int | None:
    """Whole months from the start of a date's period to ``as_of`` (None for no date)."""
    day = to_date(text)
    return months_between(day, as_of) if day else None


def age_text(months: int) -> str:
    """A duration in months for people: "5 months", "2 years", "6 years 5 months"."""
    years, rest = divmod(abs(months), 12)
    parts = [f"{years} year{'s' * (years != 1)}"] if years else []
    if rest or not years:
        parts.append(f"{rest} month{'s' * (rest != 1)}")
    return " ".join(parts)


def _label(field: str) -> str:
    return field.removesuffix("_date").replace("_", " ") + " date"


@rule("stale-estimated-date", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = tables.studies
    status = studies["overall_status"]
    today = ctx.as_of.toordinal()
    grace_end = months_before(ctx.as_of, GRACE_MONTHS).toordinal()
    for field in DATE_FIELDS:
        text, kind = studies[field], studies[f"{field}_type"]
        first, last = day_numbers(text), day_numbers(text, end=True)
        year = pd.to_numeric(text.str.slice(0, 4), errors="coerce").where(first.notna())
        placeholder = (
            (year >= PLACEHOLDER_YEAR)
            | (year > ctx.as_of.year + PLACEHOLDER_HORIZON_YEARS)
            | (year <= 1900)
            | text.isin(PLACEHOLDER_DAYS)
        ).fillna(False)
        future = ((kind == "ACTUAL") & (first > today)).fillna(False) & ~placeholder
        owned = ~status.isin(NOT_OWNED).fillna(False)
        if field == "completion_date":
            owned &= ~status.isin(ACTIVE_STATUSES).fillna(False)
        passed = ((kind == "ESTIMATED") & (last < grace_end)).fillna(False) & ~placeholder & owned
        label = _label(field)

        for row in studies[placeholder].itertuples(index=False):
            day, day_type, overall = _details(row, field)
            yield ctx.finding(
                f"{label} {day} looks like a placeholder, not a real date",
                **where([row]),
                field=field,
                key="placeholder",
                evidence={"date": day, "type": day_type, "overall_status": overall},
            )
        for row in studies[future].itertuples(index=False):
            day, day_type, overall = _details(row, field)
            yield ctx.finding(
                f"{label} {day} is marked ACTUAL but lies after {ctx.as_of.isoformat()}",
                **where([row]),
                field=field,
                key="actual-in-future",
                severity="error",
                evidence={"date": day, "type": day_type, "overall_status": overall},
            )
        for row in studies[passed].itertuples(index=False):
            day, day_type, overall = _details(row, field)
            months = months_since(day, ctx.as_of) or 0
            yield ctx.finding(
                f"{label} {day} is still ESTIMATED, {age_text(months)} after it passed "
                f"(status {overall or 'not given'})",
                **where([row]),
                field=field,
                key="estimate-passed",
                evidence={
                    "date": day,
                    "type": day_type,
                    "months_since": months,
                    "overall_status": overall,
                },
            )


def _details(row: Any, field: str) -> tuple[str | None, str | None, str | None]:
    """The date, its type and the record's overall status, as plain values."""
    return (
        value(getattr(row, field)),
        value(getattr(row, f"{field}_type")),
        value(row.overall_status),
    )
