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

import pandas as pd

from audit.catalogue import declare
from audit.findings import SEVERITIES, Finding, finding
from audit.tables import Tables

RULE_MODULES = (
    "contact_name_mismatch",
    "placeholder_contact",
    "shared_email",
    "stale_unknown_status",
    "stale_active_status",
    "stale_estimated_date",
    "status_date_conflict",
    "enrollment_still_estimated",
    "enrollment_arm_mismatch",
    "source_conflict",
    "design_text_conflict",
    "eligibility_conflict",
    "arm_intervention_mismatch",
    "placebo_arm_product",
    "duplicate_registration",
    "old_capture",
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
# A corpus rule's blocking keys: (record_file, block) rows. Two records appear in one finding,
# or change each other's findings, only through a chain of records sharing blocks.
Blocks = Callable[[Tables], pd.DataFrame]
SCOPES = ("record", "trial", "corpus")


@dataclass(frozen=True)
class Focus:
    """How an incremental run confines a corpus rule whose findings are groups of linked
    entries (a person's): ``reach(tables, changed, previous)`` gives the entries, as (record
    file, index), of every group a changed file's entry belongs to, now (``tables``) or before
    (``previous``: the rows the changed files had), whole; ``anchor(finding)`` names one entry
    of a finding's group (None: the finding cannot be placed, the rule runs in full). The
    rule's findings whose anchor is reached are re-computed on the records of the reached
    entries; the others are kept. Unlike blocks, this follows links, not shared keys: one
    common name does not chain the corpus."""

    reach: Callable[[Tables, set[str], Tables], set[tuple[str, int]]]
    anchor: Callable[[Finding], tuple[str, int] | None]


@dataclass(frozen=True)
class Delta:
    """A change as a rule with a ``Linkage`` re-checks it: the changed record files
    (``files``), the rows they had before (``previous``), every record's blocking keys now
    (``keys``: ``record_file``, ``key``) and the changed files' keys before
    (``keys_before``), and the record files of each finding the rule gave before
    (``clusters``)."""

    files: set[str]
    previous: Tables
    keys: pd.DataFrame
    keys_before: pd.DataFrame
    clusters: list[set[str]]


@dataclass(frozen=True)
class Linkage:
    """How an incremental run confines a corpus rule whose findings are clusters of trials
    linked pairwise, the pairs found through blocking keys shared by few enough trials
    (duplicate-registration). ``keys(tables)`` gives every record's keys (``record_file``,
    ``key`` and what else the rule keeps with them); the cache keeps them per file, so a
    change keys only its own files.
    ``recheck(tables, delta, ctx)`` gives the record files of every cluster a change can
    alter, followed through links (not through shared keys, which chain a topic's records),
    and the findings about those clusters, or None when they are most of the corpus. Unlike a
    ``Focus``, the re-check needs the whole corpus's keys: a key too common in the corpus
    stays too common in any part of it."""

    keys: Callable[[Tables], pd.DataFrame]
    recheck: Callable[[Tables, Delta, Context], tuple[set[str], list[Finding]] | None]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    scope: str
    check: Check
    doc: str
    blocks: Blocks | None = None
    focus: Focus | None = None
    linkage: Linkage | None = None

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.id


_REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    *,
    severity: str,
    scope: str,
    blocks: Blocks | None = None,
    focus: Focus | None = None,
    linkage: Linkage | None = None,
) -> Callable[[Check], Check]:
    """Register a check. ``scope`` is ``record`` (its findings about a record depend on that
    record alone), ``trial`` (on the records of one trial id) or ``corpus`` (across trials);
    a corpus rule may give ``blocks``, a ``focus`` or a ``linkage`` so that an incremental run
    re-checks only the records linked to a changed one."""
    if severity not in SEVERITIES:
        raise ValueError(f"{rule_id}: severity {severity!r} is not one of {SEVERITIES}")
    if scope not in SCOPES:
        raise ValueError(f"{rule_id}: scope {scope!r} is not one of {SCOPES}")

    def register(check: Check) -> Check:
        module = inspect.getmodule(check)
        doc = inspect.cleandoc(module.__doc__ or "") if module else ""
        declare(rule_id, origin="rule", scope=scope, severity=severity, doc=doc)
        _REGISTRY[rule_id] = Rule(rule_id, severity, scope, check, doc, blocks, focus, linkage)
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
