"""Reports written beside ``findings.json``: the HTML report and the CI formats."""

from __future__ import annotations

from pathlib import Path

from audit.engine import AuditResult
from audit.record import atomic_write
from audit.report.html import render_html


def write_reports(result: AuditResult, out_dir: Path) -> list[Path]:
    written = []
    for name, text in (("index.html", render_html(result)),):
        path = out_dir / name
        atomic_write(path, text)
        written.append(path)
    return written
