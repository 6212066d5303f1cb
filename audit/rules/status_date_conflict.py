"""An active status that an ACTUAL date contradicts: still RECRUITING after the actual completion.

What it detects: one finding per record, naming every date that contradicts the status:

* RECRUITING, NOT_YET_RECRUITING or ENROLLING_BY_INVITATION with an ACTUAL primary
  completion date (the last participant was examined for the primary outcome: enrollment is
  over) or an ACTUAL completion date (the study has ended);
* ACTIVE_NOT_RECRUITING with an ACTUAL completion date (an ACTUAL primary completion is normal
  there: follow-up goes on after it);
* NOT_YET_RECRUITING with an ACTUAL start date (the first participant was enrolled).

Only ACTUAL dates on or before the day the record is judged at count: its capture date, or the
audit date when the source gives none. An ACTUAL date after that is impossible and reported by
``stale-estimated-date`` (``actual-in-future``) instead. Dates without a type (classic
exports, ICTRP) are not judged: they may be estimates.

Why it matters: a status that says the trial is still (or not yet) enrolling sends patients
and referring doctors to a trial whose dates say it is over; counts of open trials and
time-to-completion analyses disagree depending on which field they read.

How to fix: check which is true with the sponsor. If the trial ended, set the status
(ACTIVE_NOT_RECRUITING, COMPLETED or TERMINATED); if the date was typed ACTUAL by mistake, make
it an ESTIMATED date again.

Example: NCT04949152 is RECRUITING but gives primary completion "2021-05-31 (ACTUAL)" ->
"status RECRUITING, but the primary completion date 2021-05-31 is ACTUAL (the last participant
was examined for the primary outcome)".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd

from audit.dates import captured_on, date_columns, day_numbers, flag, judged_at, label
from audit.findings import Finding
from audit.frames import value, where
from audit.rules import Context, rule
from audit.tables import Tables

RECRUITING = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
#: Date field -> (the statuses an ACTUAL date of it contradicts, what an ACTUAL date means).
CONTRADICTS = {
    "start_date": (("NOT_YET_RECRUITING",), "the first participant was enrolled"),
    "primary_completion_date": (
        RECRUITING,
        "the last participant was examined for the primary outcome",
    ),
    "completion_date": ((*RECRUITING, "ACTIVE_NOT_RECRUITING"), "the study has ended"),
}


@rule("status-date-conflict", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = date_columns(tables)
    at = judged_at(studies, ctx.as_of)
    conflicts = pd.DataFrame(
        {
            field: flag(studies["overall_status"].isin(statuses))
            & flag(studies[f"{field}_type"] == "ACTUAL")
            & flag(day_numbers(studies[field]) <= at)
            for field, (statuses, _) in CONTRADICTS.items()
        }
    )
    found = conflicts.any(axis=1)
    for row, day, fields in zip(
        studies[found].itertuples(index=False),
        at[found],
        conflicts[found].itertuples(index=False),
        strict=True,
    ):
        dated = [field for field, conflict in fields._asdict().items() if conflict]
        yield _finding(row, dated, date.fromordinal(day), ctx)


def _finding(row: Any, fields: list[str], day: date, ctx: Context) -> Finding:
    dates = {field: value(getattr(row, field)) for field in fields}
    reasons = [
        f"the {label(field)} {text} is ACTUAL ({CONTRADICTS[field][1]})"
        for field, text in dates.items()
    ]
    captured = captured_on(value(row.captured), ctx.as_of)
    return ctx.finding(
        f"status {row.overall_status}, but " + "; ".join(reasons),
        **where([row]),
        field="overall_status",
        key="actual-date",
        evidence={
            "overall_status": value(row.overall_status),
            "actual_dates": dates,
            "captured": captured,
            "judged_at": day.isoformat(),
        },
    )
