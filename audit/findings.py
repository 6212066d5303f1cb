"""One model for everything the audit finds, from any layer (input, schema, expectation, rule).

A finding's fingerprint identifies the problem, not the run: it hashes the rule, the trials
and sources involved, the field and a rule-chosen key, and never file paths, messages, dates of
the run or the order of records. So it survives renamed files, unrelated edits and re-runs, and
the merge gate can match findings between a base and a head by fingerprint alone.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, fields
from dataclasses import field as default
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from typing import Any

SEVERITIES = ("error", "warning", "info")
_INT64 = 2**63
ORIGINS = ("input", "schema", "expectation", "rule")


@dataclass(frozen=True)
class Finding:
    rule: str
    origin: str
    severity: str
    message: str
    trial_ids: tuple[str, ...] = ()
    record_files: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    field: str | None = None
    evidence: dict[str, Any] = default(default_factory=dict)
    key: str = ""
    waived: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # The one place every finding passes: whatever built it, it holds only JSON values.
        set_field = object.__setattr__
        set_field(self, "message", str(self.message))
        set_field(self, "field", None if self.field is None else str(self.field))
        set_field(self, "key", str(self.key))
        set_field(self, "evidence", jsonable(self.evidence))
        if self.waived is not None:
            set_field(self, "waived", jsonable(self.waived))

    @cached_property  # computed once: reports and the gate ask for it many times
    def fingerprint(self) -> str:
        identity = [
            self.rule,
            sorted(set(self.trial_ids)),
            sorted(set(self.sources)),
            self.field or "",
            self.key,
        ]
        digest = hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode("utf-8"))
        return digest.hexdigest()[:20]

    @cached_property  # asked for each record file of the finding, by every report
    def entry_indices(self) -> tuple[int | None, dict[str, int]]:
        """The index of the entry (person, site, arm…) the finding is about in each record
        file, as its rule names it in the evidence: ``items`` (indices in the record) or
        ``item``, of an evidence object that names no ``record_file`` or that one (and sits in
        no object naming another). The first such index in the evidence for a file, read in
        one walk: the one of every file not in the dict, and the dict's per file."""
        anywhere: int | None = None
        per_file: dict[str, int] = {}
        stack: list[tuple[Any, str | None]] = [(self.evidence, None)]
        while stack:  # depth first, in the evidence's order
            value, within = stack.pop()
            if isinstance(value, list):
                stack += [(item, within) for item in reversed(value)]
                continue
            if not isinstance(value, dict):
                continue
            if "record_file" in value:
                named = value["record_file"]
                if not isinstance(named, str) or within not in (None, named):
                    continue  # no file is both, or it is no file's
                within = named
            items = value.get("items")
            for index in [*(items if isinstance(items, list) else []), value.get("item")]:
                if isinstance(index, int) and not isinstance(index, bool):
                    if within is None and anywhere is None:
                        anywhere = index
                    elif within is not None and within not in per_file:
                        per_file[within] = index if anywhere is None else anywhere
            stack += [
                (child, within)
                for child in reversed(list(value.values()))
                if isinstance(child, dict | list)
            ]
        return anywhere, per_file

    def to_json(self) -> dict[str, Any]:
        # Fields in declaration order, without a deep copy: evidence and waived hold only
        # JSON values already (``__post_init__``), and nothing changes a finding's JSON.
        data = {name: self.__dict__[name] for name in FIELDS}
        data["trial_ids"] = list(self.trial_ids)
        data["record_files"] = list(self.record_files)
        data["sources"] = list(self.sources)
        data["fingerprint"] = self.fingerprint
        del data["key"]
        if data["waived"] is None:
            del data["waived"]
        return data

    def sort_key(self) -> tuple:
        return (
            SEVERITIES.index(self.severity),
            self.rule,
            self.trial_ids,
            self.sources,
            self.field or "",
            self.key,
            self.record_files,
            self.message,
        )


FIELDS = tuple(f.name for f in fields(Finding))
_KEPT_NAMES = frozenset([*FIELDS, "fingerprint"])


def as_dict(item: Finding) -> dict[str, Any]:
    """A finding's fields and fingerprint as a dict (for caches; ``from_dict`` reverses it)."""
    return {name: item.__dict__[name] for name in FIELDS} | {"fingerprint": item.fingerprint}


def from_dict(fields: dict[str, Any]) -> Finding:
    """A finding again from ``as_dict``'s fields as a cache keeps them (parsed JSON). They
    hold JSON values already, so they are not normalized again, and the fingerprint is taken
    as kept (caches are of this code only): walking the evidence of every kept finding, and
    hashing them again, was seconds of a gate at 500,000 trials."""
    if fields.keys() != _KEPT_NAMES:
        raise ValueError(f"not a finding's fields: {sorted(fields)}")
    item = object.__new__(Finding)
    item.__dict__.update(fields)  # the fingerprint too: where ``cached_property`` keeps it
    for name in ("trial_ids", "record_files", "sources"):
        item.__dict__[name] = tuple(fields[name])
    return item


def finding(
    rule: str,
    origin: str,
    severity: str,
    message: str,
    *,
    trial_ids: list[str] | tuple[str, ...] = (),
    record_files: list[str] | tuple[str, ...] = (),
    sources: list[str] | tuple[str, ...] = (),
    field: str | None = None,
    evidence: dict[str, Any] | None = None,
    key: str = "",
) -> Finding:
    """Build a finding with its lists de-duplicated and sorted, so equal problems compare equal."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}")
    if origin not in ORIGINS:
        raise ValueError(f"origin {origin!r} is not one of {ORIGINS}")
    return Finding(
        rule=rule,
        origin=origin,
        severity=severity,
        message=message,
        trial_ids=tuple(sorted({str(t) for t in trial_ids if t is not None})),
        record_files=tuple(sorted({str(f) for f in record_files if f is not None})),
        sources=tuple(sorted({str(s) for s in sources if s is not None})),
        field=field,
        evidence=evidence or {},
        key=key,
    )


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON values, so every writer can serialize a finding as it is.

    numpy and pandas scalars become Python numbers, NaN, NA and NaT become null, dates and
    timestamps ISO strings, Decimals numbers, arrays and tuples lists, sets sorted lists; any
    other object, and integers beyond 64 bits, its ``str``. Subclasses of ``float``
    (``numpy.float64``) are converted too: orjson refuses them.
    """
    if value is None or type(value) in (str, bool):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value) if -_INT64 <= value < _INT64 else str(value)  # orjson's range
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, bool):  # a bool subclass
        return bool(value)
    if isinstance(value, (float, Decimal)):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number) if isinstance(value, Decimal) and number.is_integer() else number
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return None if value != value else value.isoformat()  # NaT is not equal to itself
    if hasattr(value, "tolist"):  # numpy arrays and scalars, pandas Series and Index
        return jsonable(value.tolist())
    if hasattr(value, "item"):
        return jsonable(value.item())
    try:
        import pandas as pd

        if pd.isna(value) is True:  # pd.NA, pd.NaT
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def plural(count: int, noun: str) -> str:
    """``1 finding``, ``2 findings``: a count with its noun (an English regular plural)."""
    return f"{count} {noun}" + ("" if count == 1 else "s")
