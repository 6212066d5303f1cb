"""The HTML report: one self-contained file rendered from Jinja2 templates, values escaped."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from audit.engine import AuditResult


def _environment() -> Environment:
    return Environment(loader=PackageLoader("audit.report", "templates"),
                       autoescape=select_autoescape(default=True), trim_blocks=True,
                       lstrip_blocks=True)


def render_html(result: AuditResult) -> str:
    return _environment().get_template("report.html.j2").render(result=result)
