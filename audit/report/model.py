"""The report's view model: plain dicts built from an audit result, shared by every format.

The HTML page embeds this as JSON and renders the big tables in the browser (so 100,000
findings stay responsive); the overview is rendered server-side from the same numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from audit.dates import months_between, to_date
from audit.engine import AuditResult
from audit.findings import SEVERITIES, Finding
from audit.people import Entry, Person, everyone

# Fields shown side by side in the trial view, in this order: (label, getter path).
TRIAL_FIELDS = (
    ("title", ("title",)),
    ("overall status", ("overall_status",)),
    ("last known status", ("last_known_status",)),
    ("status verified", ("status_verified",)),
    ("phases", ("phases",)),
    ("study type", ("study_type",)),
    ("allocation", ("allocation",)),
    ("intervention model", ("intervention_model",)),
    ("masking", ("masking",)),
    ("who masked", ("who_masked",)),
    ("enrollment", ("enrollment",)),
    ("start date", ("start_date",)),
    ("primary completion", ("primary_completion_date",)),
    ("completion date", ("completion_date",)),
    ("first posted", ("first_posted",)),
    ("last update posted", ("last_update_posted",)),
    ("sponsor", ("sponsor",)),
    ("arms", ("arms",)),
    ("interventions", ("interventions",)),
    ("sex", ("eligibility", "sex")),
    ("min age (years)", ("eligibility", "min_age_years")),
    ("max age (years)", ("eligibility", "max_age_years")),
    ("sites", ("sites",)),
    ("captured", ("captured",)),
    ("source file", ("source_file",)),
)
# Record fields whose source line page importers remember, by trial-view label.
_LINE_FIELDS = {
    "title": "title",
    "overall status": "overall_status",
    "phases": "phases",
    "masking": "masking",
    "enrollment": "enrollment",
    "allocation": "allocation",
    "start date": "start_date",
    "completion date": "completion_date",
    "status verified": "status_verified",
}
MAX_TEXT = 2000


def _show(value: Any) -> str:
    """A record value as one short line of text for a table cell."""
    if value is None or value == [] or value == {}:
        return ""
    if isinstance(value, dict) and set(value) == {"date", "type"}:
        return " ".join(str(v) for v in (value["date"], value["type"]) if v)
    if isinstance(value, dict) and set(value) == {"count", "type"}:
        return " ".join(str(v) for v in (value["count"], value["type"]) if v is not None)
    if isinstance(value, list):
        parts = [_item(v) for v in value]
        return "; ".join(p for p in parts if p)
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _item(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("label", "name", "facility"):
            if value.get(key):
                size = value.get("planned_size")
                return f"{value[key]} ({size})" if size else str(value[key])
        return ""
    return str(value)


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())


def trial_views(
    result: AuditResult, trials: set[str], persons: list[Person]
) -> list[dict[str, Any]]:
    """Per trial: each source's values side by side, with disagreeing fields marked (records
    are read again from their files, only for the trials shown), and its people (``persons``:
    ``resolved(result)``)."""
    studies = result.tables.studies
    chosen = studies[studies["trial_id"].isin(list(trials))]
    by_trial: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for name, trial in zip(chosen["record_file"], chosen["trial_id"], strict=True):
        record = result.record(name)
        if record is not None:
            by_trial[trial].append((name, record))
    people = _trial_people(persons, set(by_trial))
    views = []
    for trial in sorted(by_trial):
        entries = sorted(by_trial[trial], key=lambda item: (str(item[1].get("source")), item[0]))
        rows = []
        for label, path in TRIAL_FIELDS:
            values = [_show(_get(record, path)) for _, record in entries]
            stated = {_normalized(v) for v in values if v}
            lines = [_line(record, label) for _, record in entries]
            rows.append(
                {
                    "field": label,
                    "values": values,
                    "lines": lines,
                    "conflict": label not in ("source file", "captured") and len(stated) > 1,
                }
            )
        views.append(
            {
                "trial": trial,
                "title": _show(next((r.get("title") for _, r in entries if r.get("title")), "")),
                "sources": [str(r.get("source")) for _, r in entries],
                "files": [name for name, _ in entries],
                "rows": rows,
                "people": people.get(trial, []),
            }
        )
    return views


def _line(record: dict[str, Any], label: str) -> int | None:
    lines = record.get("source_lines")
    field = _LINE_FIELDS.get(label)
    if not isinstance(lines, dict) or field is None:
        return None
    line = lines.get(field)
    return line if isinstance(line, int) else None


def resolved(result: AuditResult) -> list[Person]:
    """Every person, as ``audit.people`` resolves them (so the views and the
    contact-name-mismatch rule never disagree on who is who)."""
    return everyone(result.tables)


def _trial_people(persons: list[Person], trials: set[str]) -> dict[str, list[dict[str, Any]]]:
    """For each of ``trials``, its people: the names this trial writes, then the spellings
    that misspell them elsewhere; whether there are such; the roles and sources here."""
    shown: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for whole in persons:
        here: dict[str, list[Entry]] = defaultdict(list)
        for entry in whole.entries:
            if entry.trial_id in trials:
                here[entry.trial_id].append(entry)
        if not here:
            continue
        misspelled = [s for group in whole.misspellings for s in group]
        for trial, mine in here.items():
            elsewhere = [
                s.label
                for s in misspelled
                if not s.from_email and all(e.trial_id != trial for e in s.entries)
            ]
            shown[trial].append(
                {
                    "spellings": sorted({e.name for e in mine if e.name}) + elsewhere,
                    "misspelled": bool(misspelled),
                    "roles": sorted({str(e.role) for e in mine}),
                    "sources": sorted({str(e.source) for e in mine}),
                }
            )
    return {trial: sorted(items, key=lambda p: p["spellings"]) for trial, items in shown.items()}


def people_view(persons: list[Person]) -> list[dict[str, Any]]:
    """Each person (``persons``: ``resolved(result)``) with their spellings, the groups of
    those that differ by a misspelled word (as contact-name-mismatch reports them), emails,
    roles and trials; misspelled people first."""
    # People seen once, under one spelling, tell a reviewer nothing; at registry scale they
    # are most of the table, so the view keeps the others.
    if len(persons) > 20000:
        persons = [whole for whole in persons if _seen_more_than_once(whole.entries)]
    rows = []
    for whole in persons:
        entries = whole.entries
        rows.append(
            {
                "spellings": [s.label for s in whole.spellings if not s.from_email],
                "written": sorted({e.name for e in entries if e.name}),
                "misspelled": [[s.label for s in group] for group in whole.misspellings],
                "emails": sorted({e.email for e in entries if e.email}),
                "trials": sorted({str(e.trial_id) for e in entries}),
                "roles": sorted({str(e.role) for e in entries}),
            }
        )
    return sorted(
        rows,
        key=lambda p: (
            not p["misspelled"],
            -len(p["spellings"]),
            -len(p["trials"]),
            p["spellings"],
        ),
    )


def _seen_more_than_once(entries: list[Entry]) -> bool:
    """Several trials or written names, or an email that reads as another name."""
    return (
        len({e.trial_id for e in entries}) > 1
        or len({e.name for e in entries}) > 1
        or any(e.email_key not in ("", e.key) for e in entries)
    )


def verification_ages(result: AuditResult) -> list[int]:
    """Months from each record's last status verification to the as-of date."""
    counts = result.tables.studies["status_verified"].value_counts()
    ages = []
    for text, count in counts.items():
        verified = to_date(text)
        if verified:
            ages += [max(0, months_between(verified, result.as_of))] * int(count)
    return ages


def overview(result: AuditResult, verdict: dict[str, Any] | None) -> dict[str, Any]:
    studies = result.tables.studies
    sources = Counter(str(s) for s in studies["source"])
    by_severity = Counter(f.severity for f in result.findings)
    by_rule = Counter(f.rule for f in result.findings)
    return {
        "as_of": result.as_of.isoformat(),
        "records": len(result.record_files),
        "trials": int(studies["trial_id"].nunique()),
        "sources": dict(sorted(sources.items())),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "by_rule": by_rule.most_common(),
        "complete": result.complete,
        "problems": result.problems,
        "verdict": verdict,
        "verification_ages": _age_histogram(verification_ages(result)),
    }


def _age_histogram(ages: list[int]) -> list[tuple[str, int]]:
    bins = (
        ("< 1 y", 0, 12),
        ("1-2 y", 12, 24),
        ("2-5 y", 24, 60),
        ("5-10 y", 60, 120),
        ("> 10 y", 120, 10**6),
    )
    return [(label, sum(low <= a < high for a in ages)) for label, low, high in bins]


def rule_docs(result: AuditResult) -> dict[str, str]:
    """The documentation of every id in the run's catalogue, for the page."""
    return {rule_id: entry.doc for rule_id, entry in result.catalogue.items()}


def finding_rows(findings: list[Finding], new: set[str] | None) -> dict[str, Any]:
    """Findings as compact columns for the page: codes for repeated strings."""
    rules = sorted({f.rule for f in findings})
    sources = sorted({s for f in findings for s in f.sources})
    rule_index = {r: i for i, r in enumerate(rules)}
    source_index = {s: i for i, s in enumerate(sources)}
    rows = []
    if new is not None:  # the gate's new findings first, then the rest
        findings = sorted(findings, key=lambda f: f.fingerprint not in new)
    for f in findings:
        status = (
            "waived" if f.waived else ("new" if new is not None and f.fingerprint in new else "")
        )
        rows.append(
            [
                SEVERITIES.index(f.severity),
                rule_index[f.rule],
                f.origin,
                list(f.trial_ids),
                [source_index[s] for s in f.sources],
                f.field or "",
                f.message,
                list(f.record_files),
                f.evidence,
                f.fingerprint,
                status,
                f.waived or None,
            ]
        )
    return {"rules": rules, "sources": sources, "severities": list(SEVERITIES), "rows": rows}
