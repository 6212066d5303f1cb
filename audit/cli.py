"""Command line: ``audit normalize``, ``run``, ``gate``, ``rules``, ``synth`` (``python -m audit``).

Exit codes: 0 clean, 1 findings at error severity (or, for normalize, files that failed),
2 when the command could not do its job (bad arguments, unreadable input, a crash).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from datetime import date
from pathlib import Path

from audit.engine import EXIT_INCOMPLETE, run_audit, write_findings
from audit.inputs import inputs
from audit.record import record_filename, write_record
from audit.sources import SourceError, import_data


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _write(
    records: list[dict], path: Path, args: argparse.Namespace, written: dict[str, tuple[str, str]]
) -> int:
    """Write the records read from ``path``; returns how many could not be written.
    ``written`` maps each file name written in this run to (trial and source, input file)."""
    failures = 0
    for record in records:
        if args.captured and not record.get("captured"):
            record["captured"] = args.captured.isoformat()
        name, label = record_filename(record), f"{record['trial_id']} ({record['source']})"
        if name in written:
            first, source = written[name]
            what = "was already written" if first == label else f"has the file name of {first}"
            print(
                f"error: {path}: {label} {what} from {source} in this run ({name}); "
                "not overwriting",
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
        written[name] = (label, str(path))
    return failures


def cmd_normalize(args: argparse.Namespace) -> int:
    """Import every file (see ``audit.inputs``: documentation in folders is skipped, archives
    are opened); a file that fails is reported and the run goes on (exit 1), and an importer
    crash on one file is reported the same way but makes the run exit 2."""
    written: dict[str, tuple[str, str]] = {}
    failures = crashes = skipped = 0
    for item in inputs(args.paths):
        if item.skipped:
            print(f"skipped: {item.path} ({item.skipped})", file=sys.stderr)
            skipped += 1
            continue
        try:
            records = import_data(item.path, item.read(), args.source)
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
        failures += _write(records, item.path, args, written)
    print(
        f"normalize: {len(written)} records written to {args.out}, {failures + crashes} failed, "
        f"{skipped} skipped"
    )
    return EXIT_INCOMPLETE if crashes else 1 if failures else 0


def cmd_run(args: argparse.Namespace) -> int:
    from audit.report import write_reports

    result = run_audit(args.records, args.expectations, args.as_of, args.cache)
    # write_reports renders every report before it replaces any, and findings.json comes last:
    # a failure while rendering leaves the previous run's files as they were.
    write_reports(result, args.out)
    write_findings(result, args.out)
    counts = {
        s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "info")
    }
    print(
        f"audit: {len(result.record_files)} records, {len(result.findings)} findings "
        f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info) "
        f"as of {result.as_of}; report in {args.out}/index.html"
    )
    for problem in result.problems:
        print(f"error: {problem}", file=sys.stderr)
    if not result.complete:
        print("audit incomplete: exit 2", file=sys.stderr)
    return result.exit_code


def cmd_gate(args: argparse.Namespace) -> int:
    from audit.gate import BaseUnavailable, run_gate
    from audit.record import atomic_write
    from audit.report import write_reports

    try:
        result, verdict = run_gate(
            args.records,
            args.expectations,
            args.as_of,
            base_ref=args.base,
            baseline=args.baseline,
            threshold=args.fail_on,
        )
    except BaseUnavailable as error:
        print(f"gate: cannot decide: {error}", file=sys.stderr)
        return EXIT_INCOMPLETE
    write_reports(result, args.out, verdict.to_json(), verdict.new_fingerprints)
    write_findings(result, args.out)
    atomic_write(
        args.out / "gate.json",
        json.dumps(verdict.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
    )
    print(f"gate: {'PASS' if verdict.passed else 'FAIL'}: {verdict.summary}")
    for reason in verdict.reasons:
        print(f"  - {reason}")
    return verdict.exit_code


def cmd_rules(args: argparse.Namespace) -> int:
    from audit.rules import all_rules

    rules = all_rules()
    chosen = [rules[r] for r in args.ids if r in rules] if args.ids else list(rules.values())
    missing = [r for r in args.ids if r not in rules]
    for item in chosen:
        print(f"{item.id}  [{item.severity}, {item.scope}]\n")
        print("    " + item.doc.replace("\n", "\n    ").rstrip() + "\n")
    for rule_id in missing:
        print(f"error: no rule {rule_id!r}", file=sys.stderr)
    return 2 if missing else 0


def cmd_synth(args: argparse.Namespace) -> int:
    from audit.synth import write_corpus

    records = args.out / "records"
    if records.is_dir() and any(records.iterdir()):
        # Added to, the old records would mix with the new corpus and its ground truth.
        print(f"error: {records} is not empty; choose a new --out folder", file=sys.stderr)
        return EXIT_INCOMPLETE
    truth = write_corpus(args.out, args.trials, args.seed, args.as_of, args.defect_rate)
    print(
        f"synth: {truth['trials']} trials ({truth['records']} records, "
        f"{len(truth['defects'])} injected defects) written to {records}; "
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
    normalize.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    normalize.add_argument("--out", type=Path, default=Path("records"))
    normalize.add_argument("--source", help="importer to use instead of detecting the format")
    normalize.add_argument("--captured", type=_date, help="date the sources were captured")
    normalize.set_defaults(handler=cmd_normalize)

    run = commands.add_parser("run", help="audit records and write reports")
    run.add_argument("--records", type=Path, default=Path("records"))
    run.add_argument("--expectations", type=Path, default=Path("expectations"))
    run.add_argument(
        "--as-of",
        type=_date,
        default=date.today(),
        help="date time-based rules measure from (default: today)",
    )
    run.add_argument("--out", type=Path, default=Path("reports"))
    run.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="cache of tables and findings for incremental runs (off by default)",
    )
    run.set_defaults(handler=cmd_run)

    gate = commands.add_parser("gate", help="fail when a change adds findings to its base")
    base = gate.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", metavar="REF", help="git ref to compare with (e.g. origin/main)")
    base.add_argument("--baseline", type=Path, metavar="FILE", help="a base findings.json")
    gate.add_argument("--records", type=Path, default=Path("records"))
    gate.add_argument("--expectations", type=Path, default=Path("expectations"))
    gate.add_argument("--as-of", type=_date, default=date.today())
    gate.add_argument("--out", type=Path, default=Path("reports"))
    gate.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        default="error",
        help="lowest severity of a new finding that fails the gate",
    )
    gate.set_defaults(handler=cmd_gate)

    rules = commands.add_parser("rules", help="print the rules and their documentation")
    rules.add_argument("ids", nargs="*", help="only these rule ids")
    rules.set_defaults(handler=cmd_rules)
    _add_synth(commands)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return EXIT_INCOMPLETE
    except Exception:  # any crash is exit 2, never a pass
        traceback.print_exc()
        print("audit crashed: exit 2", file=sys.stderr)
        return EXIT_INCOMPLETE
