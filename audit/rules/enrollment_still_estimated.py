"""A closed trial whose enrollment is still the ESTIMATED (planned) count.

What it detects: a trial that is COMPLETED or TERMINATED, so it knows how many participants
it enrolled, but whose enrollment is still ESTIMATED: the planned size, never replaced by the
actual count (``closed``). A WITHDRAWN trial enrolled no one, so its enrollment is ACTUAL 0;
one that still gives an ESTIMATED count above 0 is reported too (``withdrawn``), while an
ESTIMATED 0 already says "no one" and is not. SUSPENDED trials may resume and are not judged,
nor are records without an enrollment type, and sources whose count is by definition the
planned size (ICTRP's "Target size").

Why it matters: analyses of enrollment (recruitment success, trials that stopped early, the
actual sample size behind published results) read the planned count as the actual one.

How to fix: replace the count with the number of participants actually enrolled, typed
ACTUAL; for a withdrawn trial, 0 (ACTUAL).

Example: NCT00739778 is COMPLETED (completion 2008-12, ACTUAL) but gives "Enrollment: 24
(Anticipated)" -> "status COMPLETED but enrollment 24 is still ESTIMATED (the planned size):
a closed trial knows how many it enrolled".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audit.findings import Finding
from audit.frames import value, where
from audit.rules import Context, rule
from audit.tables import Tables

CLOSED = ("COMPLETED", "TERMINATED")
# Sources whose count is always the planned size (the importer types it ESTIMATED).
PLANNED_ONLY_SOURCES = ("ictrp",)
COLUMNS = [
    "record_file",
    "trial_id",
    "source",
    "overall_status",
    "enrollment_count",
    "enrollment_type",
    "completion_date",
    "completion_date_type",
]


@rule("enrollment-still-estimated", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = tables.studies[COLUMNS]
    studies = studies[
        (studies["enrollment_type"] == "ESTIMATED").fillna(False)
        & ~studies["source"].isin(PLANNED_ONLY_SOURCES).fillna(False)
    ]
    status = studies["overall_status"]
    closed = status.isin(CLOSED).fillna(False)
    withdrawn = ((status == "WITHDRAWN") & (studies["enrollment_count"] > 0)).fillna(False)
    for row in studies[closed].itertuples(index=False):
        yield _finding(row, "closed", "a closed trial knows how many it enrolled", ctx)
    for row in studies[withdrawn].itertuples(index=False):
        yield _finding(row, "withdrawn", "a withdrawn trial enrolled no one (ACTUAL 0)", ctx)


def _finding(row: Any, key: str, why: str, ctx: Context) -> Finding:
    count = value(row.enrollment_count)
    shown = "" if count is None else f" {count}"
    return ctx.finding(
        f"status {row.overall_status} but enrollment{shown} is still ESTIMATED "
        f"(the planned size): {why}",
        **where([row]),
        field="enrollment_type",
        key=key,
        evidence={
            "overall_status": value(row.overall_status),
            "enrollment_count": count,
            "enrollment_type": value(row.enrollment_type),
            "completion_date": value(row.completion_date),
            "completion_date_type": value(row.completion_date_type),
        },
    )
