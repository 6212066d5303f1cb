"""Waivers: reviewed exceptions in ``expectations/waivers.yaml``, each with an expiry date.

    waivers:
      - fingerprint: 3f2a9c0d1e4b5a6c7d8e      # one finding ...
        reason: Sponsor confirmed the registry is being updated
        approved_by: j.doe
        expires: 2027-03-31
      - rule: stale-unknown-status              # ... or every finding of a rule for a trial
        trial: NCT04216849
        reason: Known; registry contacted 2026-11-20
        approved_by: a.lee
        expires: 2027-01-31

A waiver that has expired no longer waives anything and fails the gate; a waiver that matches
no finding is reported so the file does not rot.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from audit.catalogue import unknown_id
from audit.findings import Finding

REQUIRED = ("reason", "approved_by", "expires")


class WaiverError(ValueError):
    """A waiver file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Waiver:
    reason: str
    approved_by: str
    expires: date
    fingerprint: str | None = None
    rule: str | None = None
    trial: str | None = None

    def matches(self, item: Finding) -> bool:
        if self.fingerprint:
            return item.fingerprint == self.fingerprint
        return item.rule == self.rule and self.trial in item.trial_ids

    def label(self) -> str:
        return self.fingerprint or f"{self.rule} for {self.trial}"

    def to_json(self) -> dict[str, str]:
        return {
            "reason": self.reason,
            "approved_by": self.approved_by,
            "expires": self.expires.isoformat(),
            "waiver": self.label(),
        }


def _entry(path: Path, index: int, entry: object, known: dict[str, Any]) -> Waiver:
    where = f"{path}: waivers[{index}]"
    if not isinstance(entry, dict):
        raise WaiverError(f"{where} must be a mapping")
    missing = [key for key in REQUIRED if not entry.get(key)]
    if missing:
        raise WaiverError(f"{where} is missing {', '.join(missing)}")
    unknown = set(entry) - {*REQUIRED, "fingerprint", "rule", "trial"}
    if unknown:
        raise WaiverError(f"{where} has unknown keys {sorted(unknown)}")
    if not entry.get("fingerprint") and not (entry.get("rule") and entry.get("trial")):
        raise WaiverError(f"{where} needs a fingerprint, or a rule and a trial")
    if entry.get("rule") and str(entry["rule"]) not in known:
        raise WaiverError(unknown_id(str(entry["rule"]), known, where))
    expires = entry["expires"]
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            raise WaiverError(f"{where}: expires {expires!r} is not a date") from None
    if not isinstance(expires, date):
        raise WaiverError(f"{where}: expires must be a date (YYYY-MM-DD)")
    return Waiver(
        reason=str(entry["reason"]),
        approved_by=str(entry["approved_by"]),
        expires=expires,
        fingerprint=_text(entry.get("fingerprint")),
        rule=_text(entry.get("rule")),
        trial=_text(entry.get("trial")),
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def load_waivers(path: Path, known: dict[str, Any]) -> list[Waiver]:
    """The waivers in ``path``; a rule id not in ``known`` (the catalogue) is refused."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise WaiverError(f"{path}: cannot read waivers ({error})") from error
    entries = data.get("waivers") if isinstance(data, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise WaiverError(f"{path}: 'waivers' must be a list")
    return [_entry(path, index, entry, known) for index, entry in enumerate(entries)]


@dataclass
class WaiverOutcome:
    findings: list[Finding]
    expired: list[Waiver]
    unmatched: list[Waiver]


def apply_waivers(findings: list[Finding], waivers: list[Waiver], as_of: date) -> WaiverOutcome:
    """Mark findings waived by a live waiver; expired waivers waive nothing."""
    live = [w for w in waivers if w.expires >= as_of]
    expired = [w for w in waivers if w.expires < as_of]
    used: set[Waiver] = set()
    marked = []
    for item in findings:
        waiver = next((w for w in live if w.matches(item)), None)
        if waiver:
            used.add(waiver)
            item = dataclasses.replace(item, waived=waiver.to_json())
        marked.append(item)
    unmatched = [w for w in live if w not in used]
    return WaiverOutcome(marked, expired, unmatched)
