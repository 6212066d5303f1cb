"""Dates of any precision ("2022", "2022-07", "2022-07-01"), durations, and the date columns
and thresholds the time-based rules (stale-*) share.

A record is judged at the day its copy was captured, when the source says (``captured``) and
that day is before the audit date: what was stale then is stale in the registry. What went
stale only between the capture and the audit date says only that our copy is old, and is
not reported record by record.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from audit.tables import Tables

DATE_FIELDS = ("start_date", "primary_completion_date", "completion_date")
GRACE_MONTHS = 12
PLACEHOLDER_YEAR = 2099
PLACEHOLDER_HORIZON_YEARS = 30
PLACEHOLDER_DAYS = ("1900-01-01", "1970-01-01")
# The studies columns the stale-* rules read (selected first: filtering is then cheap).
COLUMNS = (
    "record_file",
    "trial_id",
    "source",
    "captured",
    "overall_status",
    "last_known_status",
    "status_verified",
    "study_type",
    *DATE_FIELDS,
    *(f"{f}_type" for f in DATE_FIELDS),
)


def to_date(text: str | None, *, end: bool = False) -> date | None:
    """A date from ISO text of any precision: the first day of the period, or its last
    day with ``end=True`` ("2022-07" -> 2022-07-01 or 2022-07-31)."""
    if not isinstance(text, str):
        return None
    parts = text.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        last_day = calendar.monthrange(year, month)[1] if end else 1
        day = int(parts[2]) if len(parts) > 2 else last_day
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def months_between(earlier: date, later: date) -> int:
    """Whole months from ``earlier`` to ``later`` (negative when later is before)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def date_columns(tables: Tables) -> pd.DataFrame:
    """The studies table cut down to ``COLUMNS``."""
    return tables.studies[list(COLUMNS)]


def _per_text(texts: pd.Series, convert: Callable[[str], int | None]) -> pd.Series:
    """``convert`` applied once per distinct text; NA for missing texts and None results."""
    codes, distinct = pd.factorize(texts)
    results = np.array([*(convert(text) for text in distinct), None], dtype=float)
    return pd.Series(results[codes], index=texts.index).astype("Int64")


def day_numbers(texts: pd.Series, *, end: bool = False) -> pd.Series:
    """Date texts of any precision as day numbers (``date.toordinal``): the first day of the
    period, or its last with ``end=True``; NA where the text is no date."""
    return _per_text(texts, lambda text: (day := to_date(text, end=end)) and day.toordinal())


def years(texts: pd.Series) -> pd.Series:
    """The year of each date text; NA where the text is no date."""
    return _per_text(texts, lambda text: (day := to_date(text)) and day.year)


#: A copy captured longer ago than this may be behind its registry (ClinicalTrials.gov's own
#: period for an unconfirmed status to go stale).
OLD_COPY_MONTHS = 24


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


def label(field: str) -> str:
    """A date field for people: primary_completion_date -> "primary completion date"."""
    return field.removesuffix("_date").replace("_", " ") + " date"


def flag(mask: pd.Series) -> pd.Series:
    """A comparison as plain booleans, a missing value counting as False."""
    return mask.fillna(False).astype(bool)


def placeholders(studies: pd.DataFrame, field: str, as_of: date) -> pd.Series:
    """Which dates of ``field`` are placeholders: year 2099 on, 1900 or before, the epoch, or
    (outside observational studies) more than 30 years after ``as_of``."""
    texts = studies[field]
    year = years(texts)
    observational = flag(studies["study_type"] == "OBSERVATIONAL")
    far = flag(year > as_of.year + PLACEHOLDER_HORIZON_YEARS) & ~observational
    return (
        flag(year >= PLACEHOLDER_YEAR)
        | flag(year <= 1900)
        | far
        | flag(texts.isin(PLACEHOLDER_DAYS))
    )


def on_day(studies: pd.DataFrame, day: date) -> pd.Series:
    """``day`` as the day number of every record."""
    return pd.Series(day.toordinal(), index=studies.index, dtype="int64")


def judged_at(studies: pd.DataFrame, as_of: date) -> pd.Series:
    """Per record, the day number it is judged at: its capture date when that is before
    ``as_of``, else ``as_of``."""
    today = as_of.toordinal()
    captured = day_numbers(studies["captured"])
    return captured.where(flag(captured < today), today).astype("int64")


def captured_on(text: str | None, as_of: date) -> str | None:
    """A capture date when it is before ``as_of`` (so the record is judged at it), else None."""
    day = to_date(text)
    return text if day and day < as_of else None


def shifted(days: pd.Series, months: int) -> pd.Series:
    """Day numbers ``months`` months earlier (``months_before`` once per distinct day)."""
    codes, distinct = pd.factorize(days)
    earlier = [months_before(date.fromordinal(int(d)), months).toordinal() for d in distinct]
    return pd.Series(np.array(earlier, dtype="int64")[codes], index=days.index)


def estimates(studies: pd.DataFrame, field: str) -> pd.Series:
    """Which dates of ``field`` are ESTIMATED."""
    return flag(studies[f"{field}_type"] == "ESTIMATED")


def passed_estimates(
    studies: pd.DataFrame, as_of: date, at: pd.Series | None = None
) -> dict[str, pd.Series]:
    """Per date field: is it an estimate (see ``estimates``), not a placeholder, whose period
    ended more than ``GRACE_MONTHS`` before the day ``at`` (per record; default ``as_of``)?"""
    cutoff = shifted(on_day(studies, as_of) if at is None else at, GRACE_MONTHS)
    return {
        field: estimates(studies, field)
        & flag(day_numbers(studies[field], end=True) < cutoff)
        & ~placeholders(studies, field, as_of)
        for field in DATE_FIELDS
    }
