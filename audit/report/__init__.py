"""Reports written beside ``findings.json``: the HTML report and the CI formats."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from audit.engine import AuditResult
from audit.heap import without_cycle_collection
from audit.record import atomic_write, atomic_write_all
from audit.report import memo
from audit.report.html import render_html, render_incomplete_html
from audit.report.junit import render_incomplete_junit, render_junit
from audit.report.markdown import escape, render_summary
from audit.report.sarif import carried, record_lines, render_sarif


def write_reports(
    result: AuditResult,
    out_dir: Path,
    verdict: dict[str, Any] | None = None,
    new: set[str] | None = None,
    link_base: str | None = None,
) -> list[Path]:
    """Write every report; ``verdict`` and ``new`` (fingerprints) come from the gate. The HTML
    report links record files at ``link_base`` (a URL, with line anchors) when given, else
    relative to where it is written."""
    base = "records/"
    if result.records_dir is not None and not result.records_dir.is_absolute():
        base = result.records_dir.as_posix().rstrip("/") + "/"
    with without_cycle_collection():
        kept = memo.load(result)
        shown = carried(result, verdict)
        # The page's links name lines only with ``link_base``; SARIF, of what it carries.
        linked = None if link_base else shown.findings
        kept.lines = record_lines(result, kept.lines, linked)

        def page() -> bytes:
            if link_base:
                link = link_base.rstrip("/") + "/"
                return render_html(result, verdict, new, link, kept.lines, kept)
            where = records_relative(result.records_dir, out_dir)
            return render_html(result, verdict, new, where, memo=kept)

        reports: dict[str, Callable[[], str | bytes]] = {
            "index.html": page,
            "findings.sarif": lambda: render_sarif(result, base, verdict, kept.lines, shown),
            "junit.xml": lambda: render_junit(result, verdict),
            "summary.md": lambda: render_summary(
                result, verdict, shown_path(out_dir / "index.html")
            ),
        }
        # Each report is written as it is rendered, so only one is in memory at a time, and
        # all are renamed into place at the end: a failure while rendering replaces none.
        written = atomic_write_all((out_dir / name, render) for name, render in reports.items())
    memo.save(result, kept)
    return written


def shown_path(path: Path) -> str:
    """``path`` as a reader finds it: relative to the working directory (in CI, the repository
    root) when it is inside it, else absolute."""
    absolute = path.absolute()
    for where in (absolute, absolute.resolve()):
        if where.is_relative_to(Path.cwd()):
            return where.relative_to(Path.cwd()).as_posix()
    return absolute.as_posix()


def records_relative(records_dir: Path | None, out_dir: Path) -> str:
    """The records folder as a link from a page in ``out_dir`` (resolved, symlinks too)."""
    records = (records_dir or Path("records")).resolve()
    relative = Path(os.path.relpath(records, out_dir.resolve())).as_posix()
    return quote(relative.rstrip("/") + "/", safe="/")


OUTPUTS = ("index.html", "findings.sarif", "junit.xml", "summary.md", "findings.json", "gate.json")


def write_incomplete(out_dir: Path, command: str, reason: str) -> None:
    """Replace the reports of an earlier run by ones that say this run could not decide, so
    nothing stale looks current: the earlier outputs are removed first (removing needs no
    disk space), then summary.md, index.html and a failing junit.xml are written."""
    for name in OUTPUTS:
        (out_dir / name).unlink(missing_ok=True)
    title = "gate could not decide" if command == "gate" else "audit incomplete"
    atomic_write(
        out_dir / "summary.md",
        f"## ❌ trial-audit: {title} (exit 2)\n\n> {escape(reason, 2000)}\n\n"
        "No findings are reported: fix the problem above and run it again.\n",
    )
    atomic_write(out_dir / "index.html", render_incomplete_html(title, reason))
    atomic_write(out_dir / "junit.xml", render_incomplete_junit(f"{title}: {reason}"))
