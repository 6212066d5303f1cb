"""The catalogue: every finding id the audit can emit, declared once, with its documentation.

An entry names the id, its origin (``input``: the files themselves; ``schema``: the record
contract, JSON Schema and pandera; ``expectation``: a Great Expectations suite; ``rule``: a
cross-record rule), its scope (``record``, ``trial``, ``corpus`` or ``run``), its default
severity and its documentation in four parts: what it detects, why it matters, how to fix it,
and an example. The contract and suite ids are declared below; each cross-record rule
declares its own entry through ``@rule`` (its module docstring is the documentation). A
curator's suite may add an id of its own when the expectation documents it in ``meta.notes``.

``audit rules`` lists the catalogue; the report, SARIF and JUnit read their documentation
from it; ``rules.yaml`` and ``waivers.yaml`` naming an id it does not hold are refused.
"""

from __future__ import annotations

import difflib
import inspect
import re
from dataclasses import dataclass
from typing import Any

ORIGINS = ("input", "schema", "expectation", "rule")
SCOPES = ("record", "trial", "corpus", "run")
SECTIONS = {"what": "What it detects", "why": "Why it matters", "fix": "How to fix"}
# "What it detects (one finding per …):" counts as the heading too.
_SECTION = re.compile(
    r"^(What it detects|Why it matters|How to fix|Example)s?(?: \([^)\n]*\))?:\s*", re.M
)


@dataclass(frozen=True)
class Entry:
    id: str
    origin: str
    scope: str
    severity: str
    doc: str

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.id

    def section(self, name: str) -> str:
        """One part of the documentation as plain text ("what", "why", "fix", "example")."""
        title = {**SECTIONS, "example": "Example"}[name]
        parts = _SECTION.split(self.doc)
        for heading, body in zip(parts[1::2], parts[2::2], strict=True):
            if heading == title:
                return plain_text(body)
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "origin": self.origin,
            "scope": self.scope,
            "severity": self.severity,
            "summary": self.summary,
            "doc": self.doc,
            **{name: self.section(name) for name in (*SECTIONS, "example")},
        }


def plain_text(text: str) -> str:
    """Docstring markup (``literal``, *emphasis*, bullets) as plain text, paragraphs kept."""
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"(?<!\w)\*([^*\s][^*]*)\*(?!\w)", r"\1", text)
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


_ENTRIES: dict[str, Entry] = {}


def declare(rule_id: str, *, origin: str, scope: str, severity: str, doc: str) -> Entry:
    """Add an id to the catalogue; declaring one id twice is a programming error."""
    if origin not in ORIGINS or scope not in SCOPES:
        raise ValueError(f"{rule_id}: origin {origin!r} or scope {scope!r} is not known")
    entry = Entry(rule_id, origin, scope, severity, inspect.cleandoc(doc))
    if _ENTRIES.setdefault(rule_id, entry) != entry:
        raise ValueError(f"finding id {rule_id!r} is declared twice")
    return entry


def declared() -> dict[str, Entry]:
    """The ids declared so far (the rules declare theirs when ``audit.rules`` loads them), by
    origin, then id: the order never depends on which module was imported first."""
    ordered = sorted(_ENTRIES.values(), key=lambda e: (ORIGINS.index(e.origin), e.id))
    return {entry.id: entry for entry in ordered}


def closest(rule_id: str, known: list[str] | set[str] | dict[str, Any]) -> str | None:
    matches = difflib.get_close_matches(rule_id, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_id(rule_id: str, known: dict[str, Any], where: str) -> str:
    """The message for a policy, waiver or suite naming an id the catalogue does not hold."""
    guess = closest(rule_id, known)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return f"{where}: {rule_id!r} is not a finding id (audit rules lists them){hint}"


def _contract(rule_id: str, origin: str, scope: str, severity: str, doc: str) -> None:
    declare(rule_id, origin=origin, scope=scope, severity=severity, doc=doc)


# -- the files themselves and the run ---------------------------------------------------------

_contract(
    "record-unreadable",
    "input",
    "record",
    "error",
    """
    A record file that cannot be read as one JSON object.

    What it detects: a file in the records folder that is not UTF-8, not valid JSON, holds
    duplicate keys, NaN or a list instead of one object, is a symbolic link or is nested too
    deep, or a records folder that does not exist. The message says which.

    Why it matters: nothing in the file can be checked, so the audit is incomplete (exit 2)
    and the gate cannot decide.

    How to fix: repair or regenerate the file (``audit normalize`` writes valid records); the
    message names the line and column of a JSON error.

    Example: "truncated.json: invalid JSON at line 33 column 12: Expecting value".
    """,
)
_contract(
    "record-structure",
    "schema",
    "record",
    "error",
    """
    A record whose JSON structure breaks the record schema (audit/record.schema.json).

    What it detects: a field of the wrong type, a missing required field or a field the
    record model does not have.

    Why it matters: the tables are built from known fields of known types; a misplaced value
    is invisible to every other check.

    How to fix: correct the field the message names (editors that read
    audit/record.schema.json flag it as you type), or regenerate the record.

    Example: "enrollment.count: 'forty' is not of type 'integer'".
    """,
)
_contract(
    "suite-unusable",
    "expectation",
    "run",
    "error",
    """
    A Great Expectations suite in expectations/ that cannot be used.

    What it detects: a suite file that is not JSON, has no expectations list, names an
    unknown expectation type or a finding id that is neither catalogued nor documented.

    Why it matters: its checks did not run, so the audit is incomplete (exit 2).

    How to fix: correct the suite file the message names.

    Example: "expectations/studies.json: expectation 3 names 'missing-tittle', not a finding
    id; did you mean 'missing-title'?".
    """,
)
_contract(
    "policy-unusable",
    "input",
    "run",
    "error",
    """
    A severity policy (expectations/rules.yaml) that cannot be used.

    What it detects: a policy that is not YAML, gives a severity that does not exist, or names
    a finding id the catalogue does not hold (a typo would otherwise leave the rule silently
    at its default).

    Why it matters: the severities of the run are not the ones the curators chose, so the
    audit is incomplete (exit 2).

    How to fix: correct the entry the message names; ``audit rules`` lists every id.

    Example: "rules.yaml: 'stale-unknown' is not a finding id; did you mean
    'stale-unknown-status'?".
    """,
)
_contract(
    "waivers-unusable",
    "input",
    "run",
    "error",
    """
    A waiver file (expectations/waivers.yaml) that cannot be used.

    What it detects: a waiver without a reason, approver or expiry date, with an unknown key,
    or naming a rule id the catalogue does not hold.

    Why it matters: no waiver applies, so the audit is incomplete (exit 2) rather than
    failing or passing findings by accident.

    How to fix: correct the entry the message names.

    Example: "waivers.yaml: waivers[0]: 'stale-unknwn-status' is not a finding id; did you
    mean 'stale-unknown-status'?".
    """,
)
_contract(
    "rule-crashed",
    "rule",
    "run",
    "error",
    """
    A cross-record rule that raised an error instead of finishing.

    What it detects: a bug in a rule, or a record shape the rule did not expect.

    Why it matters: the rule's findings are missing, so the audit is incomplete (exit 2).

    How to fix: report it with the message and the records involved; meanwhile the rule can
    be turned off in rules.yaml (enabled: false) if a reviewer agrees.

    Example: "rule source-conflict could not run: KeyError: 'sponsor'".
    """,
)

# -- the record contract (pandera) ------------------------------------------------------------


def _schema(rule_id: str, summary: str, what: str, fix: str, example: str) -> None:
    _contract(
        rule_id,
        "schema",
        "record",
        "error",
        f"""
        {summary}

        What it detects: {what}. The message names the record file, the field and the value.

        Why it matters: values that break the record contract are misread by every later
        check and by anyone who uses the record.

        How to fix: {fix}.

        Example: {example}.
        """,
    )


_schema(
    "schema-required",
    "A required value is missing.",
    "a record without its trial id or source, an arm without a label, a person without a role",
    "fill it in from the source",
    '"NCT01234567.veeva.json: arms[2].label is required but missing"',
)
_schema(
    "schema-enum",
    "A value is not one of the allowed words.",
    "a status, phase, masking or other coded field outside the ClinicalTrials.gov API v2 "
    "vocabulary",
    "use the API v2 word (e.g. RECRUITING, PHASE2, DOUBLE)",
    "\"NCT01234567.veeva.json: overall_status is not an allowed value: 'ONGOING'\"",
)
_schema(
    "schema-format",
    "A value does not have its expected format.",
    "a registry id that matches no known registry's pattern, a date that is not ISO (YYYY, "
    "YYYY-MM or YYYY-MM-DD); emails are schema-email",
    "correct the value as the registry shows it",
    "\"ISRCTN1234.ictrp.json: trial_id does not have the expected format: 'ISRCTN1234'\"",
)
_contract(
    "schema-email",
    "schema",
    "record",
    "warning",
    """
    An email that is not one email address.

    What it detects: a person's email without exactly one "@" and a domain, or with spaces:
    a malformed address ("rschott@strasbourg@unicancer.fr") or two addresses in one cell
    ("a@x.org; b@y.org"). The message names the record file, the entry and the value.

    Why it matters: nobody can write to it, and it never links the person to the same address
    elsewhere. It is a warning, not an error: importers copy the registry's text, and a
    curator cannot know which address a registry's malformed one means.

    How to fix: for two addresses in one cell, list the person once per address (as
    ``audit normalize`` does for ICTRP); for a malformed one, ask the registry, or correct it
    when the right address is certain (the sponsor's site, another record of the person).

    Example: "NCT06620835.ctgov-api.json: people[28].email is not one email address:
    'rschott@strasbourg@unicancer.fr'".
    """,
)
_schema(
    "schema-range",
    "A count or age is negative.",
    "a negative enrollment, arm size or age",
    "correct the number; a missing number is null, not -1",
    '"NCT01234567.ctgov-api.json: enrollment_count is out of range (must not be negative): -1"',
)
_schema(
    "schema-dtype",
    "A column has the wrong type.",
    "a number stored as text in a table column",
    "store the value with its proper JSON type",
    'an enrollment count stored as the text "40"',
)
_schema(
    "schema-date-order",
    "Dates out of order.",
    "a start date after the primary completion or completion date, or a primary completion "
    "after completion",
    "correct whichever date is wrong",
    "start 2021-05 after completion 2020-12",
)
_schema(
    "schema-age-order",
    "Minimum age above maximum age.",
    "eligibility ages swapped or given in different units",
    "correct the ages (in years)",
    "minimum age 65 years, maximum age 18 years",
)
_schema(
    "schema-ctgov-id",
    "A ClinicalTrials.gov record without an NCT id.",
    "a record from a ClinicalTrials.gov source whose trial id is not an NCT number",
    "use the NCT id as the trial id",
    'a ctgov-api record whose trial id is "EUCTR2020-001234-56"',
)
_schema(
    "schema-check",
    "A record value fails a pandera check of the record contract.",
    "a value that breaks a check of audit/validate/schemas.py",
    "correct the value the message names",
    "a value that a check added to the record contract rejects",
)

# -- the Great Expectations suites shipped in expectations/ -----------------------------------


def _suite(rule_id: str, severity: str, scope: str, *parts: str) -> None:
    summary, what, why, fix, example = parts
    _contract(
        rule_id,
        "expectation",
        scope,
        severity,
        f"""
        {summary}

        What it detects: {what} (a Great Expectations expectation in expectations/; its
        thresholds are data that curators tune).

        Why it matters: {why}.

        How to fix: {fix}; or, if the value is right, adjust the expectation.

        Example: {example}.
        """,
    )


_suite(
    "duplicate-record",
    "error",
    "corpus",
    "Two record files for the same (trial, source).",
    "two files hold the same trial from the same source",
    "a second copy silently doubles the trial in every count and conflict",
    "delete the older file, or correct the trial id of the one that is another trial",
    "NCT01234567.veeva.json and NCT01234567-copy.veeva.json, both NCT01234567 from veeva",
)
_suite(
    "unexpected-source",
    "error",
    "record",
    "A record from a source the repository does not accept.",
    "a source name outside the suite's list",
    "an unknown source has no importer to re-create the record from",
    "use one of the sources audit normalize writes",
    'a record whose source is "scraped"',
)
_suite(
    "missing-title",
    "warning",
    "corpus",
    "Records without a title.",
    "more than 1% of the records have no title",
    "a trial without a title cannot be matched to its publications or other registrations",
    "copy the title from the registry",
    "3 of 120 records have no title (97.5%, under the 99% the suite asks)",
)
_suite(
    "missing-enrollment",
    "info",
    "corpus",
    "Records without an enrollment count.",
    "more than 10% of the records first posted from 2007-09-27 on (FDAAA 801; earlier trials "
    "were not asked for one) state no enrollment",
    "enrollment is how reviewers judge a trial's size and feasibility",
    "copy the planned or actual enrollment from the registry",
    "20 of 120 records state no enrollment",
)
_suite(
    "implausible-enrollment",
    "warning",
    "record",
    "An enrollment beyond any plausible trial.",
    "an enrollment above the suite's maximum: a million for interventional studies, a hundred "
    "million for observational ones (studies of health databases or apps really count millions)",
    "such counts are usually typos or placeholders (999999)",
    "correct the count from the registry",
    "an enrollment of 99999999",
)
_suite(
    "implausible-age",
    "warning",
    "record",
    "An eligibility age no person has.",
    "a minimum age above 100 or a maximum above 125 years",
    "it is usually months or days read as years, or a placeholder",
    "correct the age and its unit",
    "a maximum age of 130 years",
)
_suite(
    "missing-arm-type",
    "info",
    "corpus",
    "Arms without a type.",
    "arms with no EXPERIMENTAL, PLACEBO_COMPARATOR … type, in records whose source can carry "
    'one (the ICTRP export cannot; see "Source capabilities" in the README)',
    "the arm type is how readers tell the tested intervention from the comparator",
    "set the arm type from the registry",
    'an arm "Cohort A" with no type',
)
_suite(
    "implausible-arm-size",
    "warning",
    "record",
    "An arm size beyond any plausible trial.",
    "a planned arm size above the suite's maximum (a group of 0, as registries state for a "
    "cancelled study, is not reported)",
    "such sizes are typos, or the whole enrollment in the wrong field",
    "correct the arm size",
    "an arm size of 5000000",
)
_suite(
    "missing-intervention-type",
    "info",
    "corpus",
    "Interventions without a type.",
    "interventions with no DRUG, DEVICE, BEHAVIORAL … type, in records whose source can carry "
    'one (the ICTRP export cannot; see "Source capabilities" in the README)',
    "the type is how trials are searched and grouped",
    "set the intervention type from the registry",
    'an intervention "Vitamin D" with no type',
)
_suite(
    "missing-site-country",
    "info",
    "corpus",
    "Sites without a country.",
    "sites whose country is missing",
    "country is how trials are found by location and counted by region",
    "add the site's country",
    'a site "City Hospital, Springfield" with no country',
)
_suite(
    "missing-time-frame",
    "info",
    "corpus",
    "Outcomes without a time frame.",
    "outcome measures that do not say when they are measured, in records whose source can "
    "carry a time frame (the ICTRP export, the website's CSV download, and ISRCTN and CTIS as "
    'ctrdata exports them cannot; see "Source capabilities" in the README)',
    "an outcome without a time frame cannot be checked against published results",
    "add the time frame from the registry",
    'the outcome "Mortality" with no time frame',
)
_suite(
    "untrimmed-identifier",
    "warning",
    "record",
    "An identifier with spaces around it.",
    "an identifier that starts or ends with whitespace",
    "it will not match the same id elsewhere",
    "remove the spaces",
    'the secondary id " 2020-001234-56"',
)
_suite(
    "untrimmed-name",
    "warning",
    "record",
    "A person's name with spaces around it.",
    "a name that starts or ends with whitespace",
    "it will not match the same person elsewhere",
    "remove the spaces",
    'the contact "Jane Doe "',
)
