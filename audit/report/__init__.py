"""Reports written beside ``findings.json``: the HTML report and the CI formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit.engine import AuditResult
from audit.record import atomic_write
from audit.report.html import render_html


def write_reports(result: AuditResult, out_dir: Path, verdict: dict[str, Any] | None = None,
                  new: set[str] | None = None) -> list[Path]:
    """Write every report; ``verdict`` and ``new`` (fingerprints) come from the gate."""
    written = []
    for name, text in (("index.html", render_html(result, verdict, new)),):
        path = out_dir / name
        atomic_write(path, text)
        written.append(path)
    return written
