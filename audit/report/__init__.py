"""Reports written beside ``findings.json``: the HTML report and the CI formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit.engine import AuditResult
from audit.record import atomic_write
from audit.report.html import render_html
from audit.report.junit import render_junit
from audit.report.markdown import render_summary
from audit.report.sarif import render_sarif


def write_reports(
    result: AuditResult,
    out_dir: Path,
    verdict: dict[str, Any] | None = None,
    new: set[str] | None = None,
) -> list[Path]:
    """Write every report; ``verdict`` and ``new`` (fingerprints) come from the gate."""
    written = []
    base = "records/"
    if result.records_dir is not None and not result.records_dir.is_absolute():
        base = result.records_dir.as_posix().rstrip("/") + "/"
    for name, text in (
        ("index.html", render_html(result, verdict, new)),
        ("findings.sarif", render_sarif(result, base)),
        ("junit.xml", render_junit(result)),
        ("summary.md", render_summary(result, verdict)),
    ):
        path = out_dir / name
        atomic_write(path, text)
        written.append(path)
    return written
