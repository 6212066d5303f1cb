"""Severity policy as data: ``expectations/rules.yaml`` sets each rule's severity and on/off.

    rules:
      stale-unknown-status: {severity: error}
      placeholder-contact: {enabled: false}

Any rule id may be named: cross-record rules, ``schema-*`` contract rules, and the ``meta.rule``
ids of the Great Expectations suites. A fixed severity replaces the one the rule chose.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from audit.catalogue import unknown_id
from audit.findings import SEVERITIES, Finding


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the entry."""


@dataclass
class Policy:
    severity: dict[str, str] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)

    def apply(self, findings: list[Finding]) -> list[Finding]:
        kept = []
        for item in findings:
            if item.rule in self.disabled:
                continue
            if item.rule in self.severity and item.severity != self.severity[item.rule]:
                item = dataclasses.replace(item, severity=self.severity[item.rule])
            kept.append(item)
        return kept


def load_policy(path: Path, known: dict[str, Any]) -> Policy:
    """The policy in ``path``; an id not in ``known`` (the catalogue) is refused, naming the
    closest known id, so a typo never leaves a rule silently at its default."""
    if not path.exists():
        return Policy()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read policy ({error})") from error
    rules = data.get("rules") if isinstance(data, dict) else None
    if rules is None:
        return Policy()
    if not isinstance(rules, dict):
        raise PolicyError(f"{path}: 'rules' must map rule ids to settings")
    policy = Policy()
    for rule_id, settings in rules.items():
        if str(rule_id) not in known:
            raise PolicyError(unknown_id(str(rule_id), known, f"{path}: rules"))
        if not isinstance(settings, dict):
            raise PolicyError(f"{path}: rules.{rule_id} must be a mapping")
        unknown = set(settings) - {"severity", "enabled"}
        if unknown:
            raise PolicyError(f"{path}: rules.{rule_id}: unknown settings {sorted(unknown)}")
        if "severity" in settings:
            if settings["severity"] not in SEVERITIES:
                raise PolicyError(
                    f"{path}: rules.{rule_id}.severity must be one of {', '.join(SEVERITIES)}"
                )
            policy.severity[str(rule_id)] = settings["severity"]
        if settings.get("enabled") is False:
            policy.disabled.add(str(rule_id))
    return policy
