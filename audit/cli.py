"""Command line: ``audit normalize``, ``run``, ``gate``, ``check``, ``rules``, ``synth``
(``python -m audit``).

Exit codes: 0 clean, 1 findings at error severity (or, for normalize, files that failed),
2 when the command could not do its job (bad arguments, unreadable input, a crash).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import traceback
from datetime import date
from pathlib import Path

from audit.config import Config, ConfigError, find_config
from audit.engine import EXIT_INCOMPLETE, run_audit, write_findings
from audit.findings import plural
from audit.heap import for_one_command
from audit.inputs import inputs
from audit.record import dumps, record_filename, write_record
from audit.sources import NotTrialData, SourceError, import_data


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


PROVENANCE = ("source_file", "captured")  # where and when a record was read, not what it says


def _content_digest(record: dict) -> str:
    """A digest of what a record says, leaving out where and when it was read."""
    content = {key: value for key, value in record.items() if key not in PROVENANCE}
    return hashlib.sha1(dumps(content).encode("utf-8"), usedforsecurity=False).hexdigest()


def _write(
    records: list[dict], path: Path, args: argparse.Namespace, written: dict[str, tuple[str, ...]]
) -> tuple[int, int]:
    """Write the records read from ``path``; returns how many could not be written and how
    many were skipped.
    ``written`` maps each file name written in this run to (trial and source, input file,
    content digest). A second copy of a record already written (the same content, read from
    another file, as when one trial was downloaded twice) is skipped with a note; a different
    record for the same (trial, source) is a failure, never a silent overwrite."""
    failures = skipped = 0
    for record in records:
        if args.captured and not record.get("captured"):
            record["captured"] = args.captured.isoformat()
        name, label = record_filename(record), f"{record['trial_id']} ({record['source']})"
        digest = _content_digest(record)
        if name in written:
            first, source, first_digest = written[name]
            if first == label and first_digest == digest:
                print(
                    f"skipped: {path}: {label} is the same record as the one read from "
                    f"{source} (a second copy)",
                    file=sys.stderr,
                )
                skipped += 1
                continue
            what = "was already written" if first == label else f"has the file name of {first}"
            print(
                f"error: {path}: {label} {what} from {source} in this run ({name}) with other "
                "content; not overwriting",
                file=sys.stderr,
            )
            failures += 1
            continue
        try:
            write_record(record, args.out)
        except ValueError as error:  # e.g. a non-finite number, which JSON cannot hold
            print(f"error: {path}: {label} cannot be written as JSON ({error})", file=sys.stderr)
            failures += 1
            continue
        written[name] = (label, str(path), digest)
    return failures, skipped


def cmd_normalize(args: argparse.Namespace) -> int:
    """Import every file (see ``audit.inputs``: documentation in folders is skipped, archives
    are opened); a file that fails is reported and the run goes on (exit 1), and an importer
    crash on one file is reported the same way but makes the run exit 2."""
    written: dict[str, tuple[str, ...]] = {}
    failures = crashes = skipped = 0
    for item in inputs(args.paths):
        if item.skipped:
            print(f"skipped: {item.path} ({item.skipped})", file=sys.stderr)
            skipped += 1
            continue
        try:
            records = import_data(item.path, item.read(), args.source)
        except NotTrialData as error:
            if not item.named:  # kept beside the data; named on the command line, an error
                print(f"skipped: {item.path} ({error.reason})", file=sys.stderr)
                skipped += 1
                continue
            print(f"error: {error}", file=sys.stderr)
            failures += 1
            continue
        except SourceError as error:
            print(f"error: {error}", file=sys.stderr)
            failures += 1
            continue
        except Exception as error:  # an importer bug must neither stop the run nor pass
            detail = "".join(traceback.format_exception_only(error)).strip()[:300]
            print(
                f"error: {item.path}: the importer crashed ({detail}); please report this file",
                file=sys.stderr,
            )
            crashes += 1
            continue
        failed, copies = _write(records, item.path, args, written)
        failures, skipped = failures + failed, skipped + copies
    print(
        f"normalize: {plural(len(written), 'record')} written to {args.out}, "
        f"{failures + crashes} failed, "
        f"{skipped} skipped"
    )
    return EXIT_INCOMPLETE if crashes else 1 if failures else 0


def _config(args: argparse.Namespace) -> Config:
    config = find_config(args.records, args.expectations)
    print(config.describe())
    return config


def cmd_run(args: argparse.Namespace) -> int:
    from audit.report import write_reports

    try:
        config = _config(args)
    except ConfigError as error:
        return _incomplete(args.out, "run", str(error))
    result = run_audit(args.records, config, args.as_of, args.cache)
    if args.cache is not None:
        from audit.gate import remember_base

        print(remember_base(result, args.cache, config))
    # write_reports renders every report before it replaces any, and findings.json comes last:
    # a failure while rendering leaves the previous run's files as they were.
    write_reports(result, args.out, link_base=args.link_base)
    write_findings(result, args.out)
    counts = {
        s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "info")
    }
    print(
        f"audit: {plural(len(result.record_files), 'record')}, "
        f"{plural(len(result.findings), 'finding')} ({plural(counts['error'], 'error')}, "
        f"{plural(counts['warning'], 'warning')}, {counts['info']} info) "
        f"as of {result.as_of}"
    )
    print(f"report: {args.out / 'index.html'}")
    for problem in result.problems:
        print(f"error: {problem}", file=sys.stderr)
    if not result.complete:
        print("audit incomplete: exit 2", file=sys.stderr)
    return result.exit_code


def _incomplete(out: Path, command: str, reason: str) -> int:
    """Say why on the console and leave an "incomplete" report in ``out``, so no earlier run's
    report is left looking current; exit 2."""
    from audit.report import write_incomplete

    what = "gate: cannot decide" if command == "gate" else "audit incomplete"
    print(f"{what}: {reason}", file=sys.stderr)
    try:
        write_incomplete(out, command, reason)
    except OSError as error:
        print(f"error: cannot write the incomplete report to {out}: {error}", file=sys.stderr)
    else:
        print(f"report: {out / 'summary.md'} (incomplete)", file=sys.stderr)
    return EXIT_INCOMPLETE


def cmd_gate(args: argparse.Namespace) -> int:
    from audit.gate import BaseUnavailable, run_gate
    from audit.record import atomic_write
    from audit.report import write_reports

    try:
        # With --cache the first line says how the base was had, so the config comes after.
        config = find_config(args.records, args.expectations)
        if args.cache is None:
            print(config.describe())
        result, verdict = run_gate(
            args.records,
            config,
            args.as_of,
            base_ref=args.base,
            baseline=args.baseline,
            threshold=args.fail_on,
            cache=args.cache,
        )
    except (BaseUnavailable, ConfigError) as error:
        return _incomplete(args.out, "gate", str(error))
    if args.cache is not None:
        print(f"gate: {verdict.mode}")
        print(config.describe())
    write_reports(
        result, args.out, verdict.to_json(), verdict.new_fingerprints, link_base=args.link_base
    )
    write_findings(result, args.out)
    atomic_write(
        args.out / "gate.json",
        json.dumps(verdict.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
    )
    print(f"gate: {'PASS' if verdict.passed else 'FAIL'}: {verdict.summary}")
    for reason in verdict.reasons:
        print(f"  - {reason}")
    print(f"report: {args.out / 'index.html'}")
    return verdict.exit_code


def cmd_check(args: argparse.Namespace) -> int:
    """The pre-commit hook's command: record and trial checks of the given files only."""
    from audit.staged import check_files, print_findings

    folders = {path.parent for path in args.files} or {Path(".")}
    try:
        config = find_config(sorted(folders)[0], args.expectations)
    except ConfigError as error:
        print(f"audit check: {error}", file=sys.stderr)
        return EXIT_INCOMPLETE
    checked = check_files(args.files, config, args.as_of)
    print_findings(checked)
    return checked.exit_code


def cmd_rules(args: argparse.Namespace) -> int:
    """Print the catalogue: every finding id with its origin, scope, severity and doc."""
    from audit.catalogue import unknown_id
    from audit.engine import full_catalogue
    from audit.validate.expectations import SuiteError, load_suites, suite_entries

    entries = full_catalogue()
    try:
        config = find_config(Path("."), args.expectations)
        entries.update(suite_entries(load_suites(config.expectations), entries))
    except (ConfigError, SuiteError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INCOMPLETE
    missing = [rule_id for rule_id in args.ids if rule_id not in entries]
    for rule_id in missing:
        print(f"error: {unknown_id(rule_id, entries, 'audit rules')}", file=sys.stderr)
    chosen = [entries[r] for r in args.ids if r in entries] if args.ids else entries.values()
    if args.json:
        print(json.dumps([e.to_json() for e in chosen], indent=2, ensure_ascii=False))
    else:
        for entry in chosen:
            print(f"{entry.id}  [{entry.severity}, {entry.origin}, {entry.scope}]\n")
            print("    " + entry.doc.replace("\n", "\n    ").rstrip() + "\n")
    return EXIT_INCOMPLETE if missing else 0


def _as_of_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--as-of",
        type=_date,
        default=date.today(),
        metavar="DATE",
        help="date (YYYY-MM-DD) every time-based rule measures from (default: today)",
    )


def _audit_options(command: argparse.ArgumentParser) -> None:
    """The options ``run`` and ``gate`` share."""
    command.add_argument(
        "--records",
        type=Path,
        default=Path("records"),
        metavar="DIR",
        help="folder of record JSON files to audit (default: records)",
    )
    command.add_argument(
        "--expectations",
        type=Path,
        metavar="DIR",
        help="folder of GX suites, rules.yaml and waivers.yaml (default: the expectations/ "
        "found walking up from --records, then from the working directory, else the "
        "package's own suites)",
    )
    _as_of_option(command)
    command.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="folder the reports are written to (default: reports)",
    )
    command.add_argument(
        "--link-base",
        metavar="URL",
        help="where the report links record files, e.g. a repository's blob URL of the "
        "records folder at the commit, for a report published as a CI artifact; links end in "
        "#L<line> of the finding's field (default: the records folder, relative to --out)",
    )


def cmd_synth(args: argparse.Namespace) -> int:
    from audit.synth import write_corpus

    records = args.out / "records"
    if records.is_dir() and any(records.iterdir()):
        # Added to, the old records would mix with the new corpus and its ground truth.
        print(f"error: {records} is not empty; choose a new --out folder", file=sys.stderr)
        return EXIT_INCOMPLETE
    truth = write_corpus(args.out, args.trials, args.seed, args.as_of, args.defect_rate)
    print(
        f"synth: {plural(truth['trials'], 'trial')} ({plural(truth['records'], 'record')}, "
        f"{plural(len(truth['defects']), 'injected defect')}) written to {records}; "
        f"ground truth in {args.out / 'ground_truth.json'}"
    )
    return 0


def _count(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return number


def _rate(text: str) -> float:
    rate = float(text)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate between 0 and 1")
    return rate


def _add_synth(commands: argparse._SubParsersAction) -> None:
    from audit.synth import AS_OF

    synth = commands.add_parser(
        "synth",
        help="write a synthetic corpus with injected defects and their ground truth",
        description="Write synthetic trial records to DIR/records and the injected defects to "
        "DIR/ground_truth.json (the corpus `python -m audit.bench` measures).",
    )
    synth.add_argument(
        "--trials", type=_count, default=1000, metavar="N", help="trials (default: %(default)s)"
    )
    synth.add_argument(
        "--seed", type=int, default=1, metavar="S", help="random seed (default: %(default)s)"
    )
    synth.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write (a new one)"
    )
    synth.add_argument(
        "--as-of",
        type=_date,
        default=AS_OF,
        metavar="DATE",
        help="date the trials and defects are made relative to; audit the corpus with the same "
        "--as-of (default: %(default)s)",
    )
    synth.add_argument(
        "--defect-rate",
        type=_rate,
        default=0.02,
        metavar="RATE",
        help="share of trials given one rule's defect (default: %(default)s)",
    )
    synth.set_defaults(handler=cmd_synth)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="audit", description=__doc__.splitlines()[0])
    commands = main.add_subparsers(dest="command", required=True)

    normalize = commands.add_parser("normalize", help="import source files into records/")
    normalize.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="files or folders to import"
    )
    normalize.add_argument(
        "--out",
        type=Path,
        default=Path("records"),
        metavar="DIR",
        help="folder the records are written to (default: records)",
    )
    normalize.add_argument(
        "--source", help="importer to use instead of detecting the format (default: detect)"
    )
    normalize.add_argument(
        "--captured",
        type=_date,
        metavar="DATE",
        help="capture date stamped on records whose source carries none (default: none)",
    )
    normalize.set_defaults(handler=cmd_normalize)

    run = commands.add_parser(
        "run",
        help="audit records and write reports",
        description="Audit the records and write findings.json, index.html, junit.xml, "
        "summary.md and findings.sarif. Exit 0: no error finding; 1: error findings; "
        "2: the audit could not be completed.",
    )
    _audit_options(run)
    run.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep tables and each check's findings here, so the next run re-checks only "
        "what changed (default: no cache)",
    )
    run.set_defaults(handler=cmd_run)

    gate = commands.add_parser(
        "gate",
        help="fail when a change adds findings to its base",
        description="Audit the working tree and its base with the same --as-of and fail on "
        "new findings. Exit 0: pass; 1: new blocking findings or an expired waiver; "
        "2: cannot decide.",
    )
    base = gate.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", metavar="REF", help="git ref to compare with (e.g. origin/main)")
    base.add_argument("--baseline", type=Path, metavar="FILE", help="a base findings.json")
    _audit_options(gate)
    gate.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="the cache main's `audit run --cache DIR` left: when it is the base's audit, only "
        "what the change can affect is checked; otherwise the gate runs in full and says so "
        "on its first line (default: no cache, always in full)",
    )
    gate.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        default="error",
        help="lowest severity of a new finding that fails the gate (default: error)",
    )
    gate.set_defaults(handler=cmd_gate)

    check = commands.add_parser(
        "check",
        help="check some record files on their own (the pre-commit hook)",
        description="Read the given record files (JSON schema) and run the pandera models, "
        "the record rules and the trial rules on them with the other records of their trials "
        "in the same folder; print the findings about them. The GX suites and the cross-trial "
        "rules need the whole corpus (audit run). Exit 0: no error finding; 1: error "
        "findings; 2: a check could not run.",
    )
    check.add_argument("files", nargs="*", type=Path, metavar="FILE", help="record files")
    check.add_argument(
        "--expectations",
        type=Path,
        metavar="DIR",
        help="folder of rules.yaml and waivers.yaml (default: found as for audit run)",
    )
    _as_of_option(check)
    check.set_defaults(handler=cmd_check)

    rules = commands.add_parser(
        "rules", help="print every finding id (the catalogue) and its documentation"
    )
    rules.add_argument("ids", nargs="*", help="only these finding ids (default: all)")
    rules.add_argument("--json", action="store_true", help="print JSON (default: text)")
    rules.add_argument(
        "--expectations",
        type=Path,
        metavar="DIR",
        help="suites whose own ids to include (default: found as for audit run)",
    )
    rules.set_defaults(handler=cmd_rules)
    _add_synth(commands)
    return main


def command() -> int:
    """The ``audit`` console command: ``main`` in a process of its own."""
    for_one_command()
    return main()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return EXIT_INCOMPLETE
    except BrokenPipeError:  # output piped into e.g. `head`: the work itself is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:  # any crash is exit 2, never a pass
        traceback.print_exc()
        print("audit crashed: exit 2", file=sys.stderr)
        if args.command in ("run", "gate"):
            detail = "".join(traceback.format_exception_only(error)).strip()
            _incomplete(args.out, args.command, f"the audit crashed ({detail})")
        return EXIT_INCOMPLETE
