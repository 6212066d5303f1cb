"""The HTML report: one self-contained file, no network, every record value escaped.

The page is rendered from Jinja2 templates with autoescaping. The large data (findings,
trials, people) travels as a JSON block the browser parses and renders with ``textContent``
only, so nothing from a record is ever parsed as HTML. The Content-Security-Policy allows no
external load at all and only the page's own script, by hash.
"""

from __future__ import annotations

import base64
import hashlib
from importlib.resources import files
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from audit.engine import AuditResult
from audit.registries import registry_links
from audit.report import model, persons
from audit.report.memo import Memo
from audit.report.sarif import Lines

MAX_TRIAL_VIEWS = 5000  # trial views read records again; findings' trials come first
# Where the page's data goes, put in after rendering: the data is most of a registry's page,
# and through the template it was copied as text three times. Autoescaping keeps any record
# value from spelling it.
_DATA_MARK = "<!-- audit data -->"


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("audit.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def script_json(data: Any) -> bytes:
    """JSON (UTF-8) that is safe inside a <script> element: no '<', '>', '&' or line
    separators. Escaped in orjson's bytes, never decoded: over a registry's text as ``str``
    this was a second of the report."""
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    for raw, escaped in (
        (b"<", b"\\u003c"),
        (b">", b"\\u003e"),
        (b"&", b"\\u0026"),
        ("\u2028".encode(), b"\\u2028"),
        ("\u2029".encode(), b"\\u2029"),
    ):
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def _hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()


def _bars(items: list[tuple[str, int]], width: int = 360, bar: int = 18) -> dict[str, Any]:
    """Geometry of a horizontal bar chart, drawn as inline SVG by the template."""
    top = max((count for _, count in items), default=0) or 1
    rows = [
        {"label": label, "count": count, "y": i * (bar + 6), "width": round(width * count / top, 1)}
        for i, (label, count) in enumerate(items)
    ]
    return {"rows": rows, "height": len(items) * (bar + 6), "bar": bar, "width": width}


def render_html(
    result: AuditResult,
    verdict: dict[str, Any] | None = None,
    new: set[str] | None = None,
    records_base: str = "../records/",
    lines: Lines | None = None,
    memo: Memo | None = None,
) -> bytes:
    """The page, as UTF-8. Record links are ``records_base`` + the record file (a path
    relative to the page, or a URL); with ``lines`` they end in ``#L<line>`` of the finding's
    field. ``memo``: what a previous run computed from unchanged records
    (``audit.report.memo``), updated with this page's trial views and persons."""
    memo = memo if memo is not None else Memo()
    overview = model.overview(result, verdict)
    trials = sorted({t for f in result.findings for t in f.trial_ids})[:MAX_TRIAL_VIEWS]
    if len(trials) < MAX_TRIAL_VIEWS:  # room left: trials without findings, in id order
        others = set(result.tables.studies["trial_id"].dropna()) - set(trials)
        trials += sorted(others)[: MAX_TRIAL_VIEWS - len(trials)]
    memo.views = model.record_views(result, set(trials), memo.views)
    memo.persons = persons.resolve(result, set(memo.views), memo.persons)
    data = {
        "findings": model.finding_rows(result.findings, new, lines),
        "gate": verdict is not None,
        "records_base": records_base,
        "registries": registry_links(),
        "docs": model.rule_docs(result),
        "trials": model.trial_views(result, memo.views, memo.persons),
        "people": memo.persons.view(),
    }
    script = files("audit.report").joinpath("templates/report.js").read_text(encoding="utf-8")
    style = files("audit.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            overview=overview,
            data_mark=_DATA_MARK,
            script=script,
            style=style,
            script_hash=_hash(script),
            grid_top=max((total for _, _, total in overview["grid"]), default=1),
            age_chart=_bars(overview["verification_ages"]),
        )
    )
    head, tail = page.split(_DATA_MARK)
    return b"".join([head.encode(), script_json(data), tail.encode()])


def render_incomplete_html(title: str, reason: str) -> str:
    """The page left in place of a report when the audit or the gate could not run."""
    return _environment().get_template("incomplete.html.j2").render(title=title, reason=reason)
