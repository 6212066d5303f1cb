"""Cross-record rules: one module each, registered here by the ``@rule`` decorator.

A rule module's docstring is its user-facing documentation (what it detects, why it matters,
how to fix the record); ``audit rules`` prints it and the report shows it. The check function
takes the tables and a context bound to the rule and yields findings made by ``ctx.finding``.
The report and the gate never know individual rules: they only see findings.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from audit.findings import SEVERITIES, Finding, finding
from audit.tables import Tables

RULE_MODULES = (
    "contact_name_mismatch",
    "placeholder_contact",
    "stale_unknown_status",
    "stale_active_status",
    "stale_estimated_date",
    "enrollment_arm_mismatch",
    "source_conflict",
    "design_text_conflict",
    "eligibility_conflict",
    "arm_intervention_mismatch",
    "duplicate_registration",
)


@dataclass(frozen=True)
class Context:
    """What a rule may know besides the tables: the date time-based rules measure from."""

    as_of: date
    rule_id: str
    severity: str

    def finding(self, message: str, *, severity: str | None = None, **details: Any) -> Finding:
        return finding(self.rule_id, "rule", severity or self.severity, message, **details)


Check = Callable[[Tables, Context], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    scope: str
    check: Check
    doc: str

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.id


_REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, *, severity: str, scope: str) -> Callable[[Check], Check]:
    """Register a check. ``scope`` is ``record`` (one record at a time), ``trial`` (all sources
    of one trial) or ``corpus`` (across trials)."""
    if severity not in SEVERITIES:
        raise ValueError(f"{rule_id}: severity {severity!r} is not one of {SEVERITIES}")

    def register(check: Check) -> Check:
        module = inspect.getmodule(check)
        doc = inspect.cleandoc(module.__doc__ or "") if module else ""
        _REGISTRY[rule_id] = Rule(rule_id, severity, scope, check, doc)
        return check

    return register


def all_rules() -> dict[str, Rule]:
    for name in RULE_MODULES:
        importlib.import_module(f"audit.rules.{name}")
    return dict(sorted(_REGISTRY.items()))


def run_rules(tables: Tables, as_of: date, rules: Iterable[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for item in rules:
        findings.extend(item.check(tables, Context(as_of, item.id, item.severity)))
    return findings
