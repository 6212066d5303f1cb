"""``audit check FILE...``: what can be judged of some record files on their own, in a second
or two: the pre-commit hook (``.pre-commit-hooks.yaml``).

Each file is read as ``audit run`` reads it (JSON, the record's JSON schema), then checked
with the other records of its trial found beside it (``<trial id>.<source>.json`` in the same
folder, for the trial ids the file names and its content says): the pandera models, the
``record`` rules and the ``trial`` rules, with the configuration's policy and waivers. The
findings that name a given file are printed, one line each; exit 1 if one is an error, 2 if a
check could not run. The GX suites and the ``corpus`` rules judge the whole corpus: they are
``audit run``'s and ``audit gate``'s. Importing neither GX nor the report keeps this fast.
"""

from __future__ import annotations

import sys
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import orjson

from audit.catalogue import declared
from audit.config import Config
from audit.corpus import load_files
from audit.findings import Finding, sorted_findings
from audit.policy import PolicyError, load_policy
from audit.record import record_filename
from audit.rules import all_rules, run_rules
from audit.validate.expectations import SuiteError, load_suites, suite_entries
from audit.validate.schemas import validate_tables
from audit.waivers import WaiverError, apply_waivers, load_waivers

MESSAGE_AT_MOST = 300  # characters of a message on the console


@dataclass
class Checked:
    """The findings about the given files, and what could not be checked."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error" and not f.waived]

    @property
    def exit_code(self) -> int:
        return 2 if self.problems else 1 if self.errors else 0


def _trial_files(folder: Path, names: list[str]) -> list[str]:
    """The given files and every record of a trial they name (by file name or content)."""
    trials = {name.split(".", 1)[0] for name in names}
    for name in names:
        try:
            record = orjson.loads((folder / name).read_bytes())
            trials.add(record_filename(record).split(".", 1)[0])
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            continue  # unreadable: reported when read below
    found = {p.name for trial in trials for p in folder.glob(f"{_glob_escape(trial)}.*.json")}
    return sorted(found | set(names))


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def check_files(paths: list[Path], config: Config, as_of: date) -> Checked:
    """The record- and trial-scope findings about ``paths`` (record files, any folders)."""
    checked = Checked()
    by_folder: dict[Path, list[str]] = defaultdict(list)
    for path in paths:
        if path.suffix == ".json" and path.is_file():
            by_folder[path.parent].append(path.name)
    rules = [r for r in all_rules().values() if r.scope in ("record", "trial")]
    found: list[Finding] = []
    for folder, names in by_folder.items():
        corpus = load_files(folder, _trial_files(folder, names))
        given = set(names)
        rows: list[Finding] = list(corpus.findings)
        try:
            rows += validate_tables(corpus.tables)
            rows += run_rules(corpus.tables, as_of, rules)
        except Exception as error:  # a crash must fail the hook, not pass it
            detail = "".join(traceback.format_exception_only(error)).strip()
            checked.problems.append(f"{folder}: a check crashed: {detail}")
        found += [f for f in rows if given & set(f.record_files)]
        checked.files += len(names)
    checked.findings = _configured(found, config, as_of, checked.problems)
    return checked


def _configured(
    findings: list[Finding], config: Config, as_of: date, problems: list[str]
) -> list[Finding]:
    """The findings with the policy's severities and the waivers applied."""
    catalogue = declared()
    try:
        catalogue.update(suite_entries(load_suites(config.expectations), catalogue))
        findings = load_policy(config.policy, catalogue).apply(findings)
        findings = apply_waivers(findings, load_waivers(config.waivers, catalogue), as_of).findings
    except (SuiteError, PolicyError, WaiverError) as error:
        problems.append(str(error))
    return sorted_findings(findings)


def print_findings(checked: Checked, out=sys.stdout) -> None:
    for item in checked.findings:
        where = ", ".join(item.record_files[:3]) or "-"
        message = " ".join(item.message.split())
        if len(message) > MESSAGE_AT_MOST:
            message = message[: MESSAGE_AT_MOST - 1] + "…"
        waived = " (waived)" if item.waived else ""
        print(f"{where}: {item.severity}{waived} [{item.rule}] {message}", file=out)
    for problem in checked.problems:
        print(f"error: {problem}", file=sys.stderr)
    errors = len(checked.errors)
    print(
        f"audit check: {checked.files} record file{'s' if checked.files != 1 else ''}, "
        f"{len(checked.findings)} finding{'s' if len(checked.findings) != 1 else ''}, "
        f"{errors} error{'s' if errors != 1 else ''}",
        file=out,
    )
