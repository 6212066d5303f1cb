"""Records captured long ago: our copy of a source is old, re-capture it.

What it detects: for each source, the records whose capture date (``captured``) is more than
two years before the audit date; one finding per source, with how many records, their oldest
and newest capture dates and a few of their files. Records without a capture date are not
judged.

Why it matters: time-based rules judge a record at its capture date, so a status that was
fresh when the export was made is not reported as stale even though years have passed. What
the registry says today is unknown until the records are captured again; analyses of an old
copy miss every update since (results posted, trials completed or withdrawn). Re-capturing an
export is one action for all its records, so this is one finding per source, not one per
record.

How to fix: download the source again (the registry's current export or API pages) and
re-run ``audit normalize`` over it; or, when the old copy is kept on purpose (a snapshot
under study), waive this finding for the source.

Example: the ICTRP export of 2020-07-07 audited on 2026-11-22 -> "4,098 ictrp records were
captured over 2 years ago (2020-07-07): our copy is 6 years 4 months old; re-capture the
source, the registry may have changed since".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from audit.dates import OLD_COPY_MONTHS, age_text, day_numbers, flag, months_before, months_since
from audit.findings import Finding
from audit.rules import Context, rule
from audit.tables import Tables

#: Record files named in a finding (the count says how many there are).
SHOWN = 5


@rule("old-capture", severity="info", scope="corpus")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = tables.studies
    days = day_numbers(studies["captured"])
    limit = months_before(ctx.as_of, OLD_COPY_MONTHS).toordinal()
    old_copy = flag(days < limit)
    old = studies[old_copy].assign(day=days[old_copy])
    for source, rows in old.groupby("source", sort=True):
        oldest = date.fromordinal(int(rows["day"].min())).isoformat()
        newest = date.fromordinal(int(rows["day"].max())).isoformat()
        span = oldest if oldest == newest else f"{oldest} to {newest}"
        age = age_text(months_since(oldest, ctx.as_of) or 0)
        files = sorted(rows["record_file"])
        yield ctx.finding(
            f"{len(rows):,} {source} records were captured over {OLD_COPY_MONTHS // 12} years "
            f"ago ({span}): our oldest copy is {age} old; re-capture the source, the registry "
            "may have changed since",
            sources=[str(source)],
            record_files=files[:SHOWN],
            field="captured",
            key=str(source),
            evidence={
                "source": str(source),
                "records": len(rows),
                "oldest_capture": oldest,
                "newest_capture": newest,
                "record_files_shown": files[:SHOWN],
            },
        )
