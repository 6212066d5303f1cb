"""Great Expectations suites from ``expectations/<table>.json``, run in an ephemeral GX context.

Curators tune these files as data: thresholds (``mostly``), value sets, ranges. Each failed
expectation becomes one finding per offending row, naming its record file and trial. An
expectation carries ``meta.rule`` (the finding's id, from the catalogue, or a new one documented
in ``meta.notes``) and may carry ``meta.severity``
(``error``, ``warning`` or ``info``; default ``warning``).

Completeness expectations (``expect_column_values_to_not_be_null``) leave out the rows of
sources whose format cannot carry the column's field (``audit.capabilities``): the runner
validates them on the table without those rows (a batch of its own for each set of sources
left out), so ``mostly`` counts the other rows, an expectation's own ``row_condition`` still
applies, and no finding names a field its source cannot have. The suite files stay as curators
wrote them; a finding's evidence names the sources left out.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from audit.capabilities import sources_without
from audit.catalogue import Entry, unknown_id
from audit.findings import Finding, finding
from audit.tables import KEY_COLUMNS, Tables

DEFAULT_SEVERITY = "warning"
COMPLETENESS = frozenset({"expect_column_values_to_not_be_null"})


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file."""


def quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def load_suites(folder: Path) -> dict[str, dict[str, Any]]:
    """Suite JSON by table name, from every ``<table>.json`` in ``folder`` naming a table."""
    suites = {}
    for name in ("studies", "arms", "interventions", "people", "sites", "outcomes", "identifiers"):
        path = folder / f"{name}.json"
        if not path.exists():
            continue
        try:
            suite = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SuiteError(f"{path}: cannot read suite ({error})") from error
        if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
            raise SuiteError(f"{path}: a suite is an object with an 'expectations' list")
        suites[name] = suite
    return suites


def _rule_id(table: str, config: dict[str, Any]) -> str:
    return str((config.get("meta") or {})["rule"])


def suite_entries(
    suites: dict[str, dict[str, Any]], catalogued: dict[str, Entry]
) -> dict[str, Entry]:
    """Catalogue entries for ids that curators' suites add, documented by their
    ``meta.notes``; a suite naming an id that is neither catalogued nor documented is refused,
    so a misspelled id never becomes a new, undocumented finding."""
    added: dict[str, Entry] = {}
    for table, suite in suites.items():
        for number, config in enumerate(suite["expectations"], 1):
            meta = (config.get("meta") if isinstance(config, dict) else None) or {}
            where = f"expectations/{table}.json: expectation {number}"
            rule_id, notes = meta.get("rule"), meta.get("notes")
            if not isinstance(rule_id, str) or not rule_id:
                raise SuiteError(f"{where} has no meta.rule (the id of its findings)")
            if rule_id in catalogued:
                continue
            if not isinstance(notes, str) or not notes.strip():
                raise SuiteError(
                    unknown_id(rule_id, catalogued, where)
                    + " (a new id needs its documentation in meta.notes)"
                )
            severity = meta.get("severity", DEFAULT_SEVERITY)
            doc = (
                f"{notes.strip()}\n\nWhat it detects: rows of the {table} table that fail "
                f"{config.get('type')} (a suite of this repository's expectations/).\n\n"
                "How to fix: correct the records it names, or the expectation if they are right."
            )
            if rule_id in added:
                doc = added[rule_id].doc + "\n\n" + notes.strip()
            added[rule_id] = Entry(rule_id, "expectation", "corpus", severity, doc)
    return added


#: Expectations whose verdict on a row depends on that row alone, and whose success GX
#: decides from three counts (rows, rows missing the value, unexpected rows): GX's column map
#: rule, and for ``not_be_null`` every row counted (``_verdict``). An incremental run
#: validates only the changed rows for these and adds their counts to the kept ones; other
#: expectations (uniqueness, aggregates) are validated on the whole table.
ROW_BY_ROW = frozenset(
    {
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_be_null",
    }
)

#: What a GX result keeps: the counts, the unexpected rows, an aggregate's observed value.
_KEPT = ("element_count", "missing_count", "unexpected_count", "unexpected_percent")


def run_suites(tables: Tables, suites: dict[str, dict[str, Any]]) -> list[Finding]:
    """Validate each table with its suite through GX's own API; findings per offending row."""
    return validate_suites(tables, suites)[0]


def validate_suites(
    tables: Tables, suites: dict[str, dict[str, Any]]
) -> tuple[list[Finding], dict[str, Any]]:
    """The suites' findings, and what an incremental run starts from (``update_suites``): the
    sources present in each table and each row-by-row expectation's counts and unexpected
    rows, whether it failed or not."""
    present = _present(tables, suites)
    [outcomes] = validate_batches([suite_jobs(tables, suites, present, lambda config: True)])
    tallies = {key: o for key, o in outcomes.items() if o["config"].get("type") in ROW_BY_ROW}
    return _suite_findings(outcomes), {"present": present, "tallies": tallies}


def update_suites(
    tables: Tables,
    suites: dict[str, dict[str, Any]],
    state: dict[str, Any],
    changed: Tables,
    previous: Tables,
    runner: Runner | None = None,
) -> Callable[[], tuple[list[Finding], dict[str, Any]] | None]:
    """Start updating the suites' findings after a change from the state of the run before
    it; the function returned gives the findings and the new state. Row-by-row expectations
    are validated on the changed files' rows now (``changed``) and before (``previous``),
    their counts and unexpected rows taken from ``state`` for the rest; the other
    expectations on the whole tables; all three by ``runner``. The result is None (validate
    in full) when the sources present in a table changed (they decide which rows a
    completeness expectation counts) or an expectation could not run."""
    present = _present(tables, suites)
    if present != state.get("present"):
        return lambda: None
    row_by_row = lambda config: config.get("type") in ROW_BY_ROW  # noqa: E731
    pending = (runner or later)(
        [
            suite_jobs(tables, suites, present, lambda config: not row_by_row(config)),
            suite_jobs(changed, suites, present, row_by_row),
            suite_jobs(previous, suites, present, row_by_row),
        ]
    )
    files = {
        f for part in (changed, previous) for _, rows in part.items() for f in rows["record_file"]
    }

    def finish() -> tuple[list[Finding], dict[str, Any]] | None:
        outcomes, now, before = pending()
        tallies = {}
        for key, kept in state["tallies"].items():
            parts = [o for o in (now.get(key), before.get(key)) if o is not None]
            if kept["exception"] or any(o["exception"] for o in parts):
                return None
            tallies[key] = _combined(kept, now.get(key), before.get(key), files)
        if set(tallies) != {k for k, o in _expectations(suites, present) if row_by_row(o)}:
            return None
        return _suite_findings(outcomes | tallies), {"present": present, "tallies": tallies}

    return finish


def _present(tables: Tables, suites: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    return {
        table: sorted(getattr(tables, table)["source"].dropna().unique().tolist())
        for table in suites
    }


def _expectations(
    suites: dict[str, dict[str, Any]], present: dict[str, list[str]]
) -> list[tuple[str, dict[str, Any]]]:
    """Every expectation of the suites as (key, config), for tables that have rows."""
    return [
        (f"{table}:{number}", config)
        for table, suite in suites.items()
        if present.get(table)
        for number, config in enumerate(suite["expectations"])
        if isinstance(config, dict)
    ]


def _combined(
    kept: dict[str, Any], now: dict[str, Any] | None, before: dict[str, Any] | None, files: set[str]
) -> dict[str, Any]:
    """A row-by-row expectation's outcome over the table after a change: the kept counts less
    the changed files' rows before, plus their rows now; the unexpected rows likewise."""
    counts = {
        name: (kept["result"].get(name) or 0)
        - ((before or {}).get("result", {}).get(name) or 0)
        + ((now or {}).get("result", {}).get(name) or 0)
        for name in ("element_count", "missing_count", "unexpected_count")
    }
    rows = [r for r in kept["result"]["unexpected_index_list"] if r["record_file"] not in files]
    rows += (now or {}).get("result", {}).get("unexpected_index_list") or []
    config = kept["config"]
    success, percent = _verdict(config, **counts)
    result = counts | {"unexpected_percent": percent, "unexpected_index_list": rows}
    return kept | {"success": success, "result": result}


def _verdict(
    config: dict[str, Any], element_count: int, missing_count: int, unexpected_count: int
) -> tuple[bool, float | None]:
    """Success and unexpected percentage as GX decides them from the counts: among the rows
    with a value (``ColumnMapExpectation``), or among all rows for ``not_be_null``."""
    mostly = (config.get("kwargs") or {}).get("mostly", 1.0)
    counted = element_count
    if config["type"] != "expect_column_values_to_not_be_null":
        counted = element_count - missing_count
    if element_count == 0 or counted == 0:
        return True, None
    return (counted - unexpected_count) / counted >= mostly, unexpected_count / counted * 100


def _suite_findings(outcomes: dict[str, dict[str, Any]]) -> list[Finding]:
    return [
        found
        for outcome in outcomes.values()
        if not outcome["success"]
        for found in _findings(
            outcome["table"],
            outcome["config"],
            outcome["result"],
            outcome["exception"],
            tuple(outcome["left_out"]),
        )
    ]


@dataclass(frozen=True)
class Job:
    """One GX validation: expectations of one table (by their number in its suite) on the
    rows they read, with the sources a completeness expectation leaves out."""

    table: str
    left_out: tuple[str, ...]
    numbered: list[tuple[int, dict[str, Any]]]
    rows: pd.DataFrame
    index_columns: list[str]
    meta: dict[str, Any]


Outcomes = list[dict[str, dict[str, Any]]]

#: Starts running batches of jobs through GX and returns a function giving their outcomes:
#: here, when asked (``later``), or in a process that imported GX while the run loaded its
#: tables (``audit.validate.gx_process``), meanwhile.
Runner = Callable[[list[list[Job]]], Callable[[], Outcomes]]


def later(batches: list[list[Job]]) -> Callable[[], Outcomes]:
    """The runner that validates here, when the outcomes are asked for."""
    return lambda: validate_batches(batches)


def suite_jobs(
    tables: Tables,
    suites: dict[str, dict[str, Any]],
    present: dict[str, list[str]],
    chosen: Callable[[dict[str, Any]], bool],
) -> list[Job]:
    """The chosen expectations of each table's suite as jobs: one per set of sources left out,
    each on only the columns its expectations name."""
    jobs = []
    for table, suite_json in suites.items():
        frame = getattr(tables, table)
        if frame.empty:
            continue
        index_columns = [*KEY_COLUMNS, *(["item"] if "item" in frame.columns else [])]
        groups: dict[tuple[str, ...], list[tuple[int, Any]]] = {}
        for number, config in enumerate(suite_json["expectations"]):
            if not isinstance(config, dict) or chosen(config):
                left_out = _left_out(table, config, present[table])
                groups.setdefault(left_out, []).append((number, config))
        for left_out, numbered in groups.items():
            rows = _columns_used(frame, [c for _, c in numbered], index_columns)
            if left_out:
                rows = rows[~rows["source"].isin(left_out)].reset_index(drop=True)
            if not rows.empty:
                meta = suite_json.get("meta") or {}
                jobs.append(Job(table, left_out, numbered, rows, index_columns, meta))
    return jobs


def validate_batches(batches: list[list[Job]]) -> list[dict[str, dict[str, Any]]]:
    """Each batch's outcomes (by ``table:number``: the expectation's config, the sources left
    out, GX's success, result and exception), all validated in one ephemeral GX context."""
    if not any(batches):
        return [{} for _ in batches]
    quiet_gx()
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("audit_tables")
    done = []
    for batch, jobs in enumerate(batches):
        outcomes: dict[str, dict[str, Any]] = {}
        for number, job in enumerate(jobs):
            name = f"{job.table}-{batch}-{number}"
            expectations = [_expectation(job.table, at, config) for at, config in job.numbered]
            try:
                suite = context.suites.add(
                    ExpectationSuite(name=name, expectations=expectations, meta=job.meta)
                )
            except Exception as error:  # GX raises many types for a bad expectation config
                raise SuiteError(f"expectations/{job.table}.json: {error}") from error
            whole = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=whole, suite=suite)
            )
            outcome = definition.run(
                batch_parameters={"dataframe": job.rows},
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": job.index_columns,
                },
            )
            for (at, _), result in zip(job.numbered, outcome.results, strict=True):
                outcomes[f"{job.table}:{at}"] = _outcome(job.table, result, job.left_out)
        done.append(outcomes)
    return done


def _expectation(table: str, number: int, config: Any) -> Any:
    """GX's expectation for one entry of a suite file. Built here because a suite given
    configurations logs and leaves out one it cannot build, and the run would go on
    without it."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    try:
        return ExpectationConfiguration(**config).to_domain_obj()
    except Exception as error:  # unknown type, bad kwargs or keys: GX raises many types
        kind = config.get("type") if isinstance(config, dict) else None
        raise SuiteError(
            f"expectations/{table}.json: expectation {number + 1} ({kind}) cannot be used: "
            f"{getattr(error, 'message', None) or error}"
        ) from error


def _outcome(table: str, result: Any, left_out: tuple[str, ...]) -> dict[str, Any]:
    """One expectation's result as plain data (kept between runs as JSON)."""
    found = result.result or {}
    kept = {name: found[name] for name in _KEPT if name in found}
    kept["unexpected_index_list"] = [
        {k: _plain(v) for k, v in row.items()} for row in found.get("unexpected_index_list") or []
    ]
    if "observed_value" in found:
        kept["observed_value"] = _plain(found["observed_value"])
    exception = result.exception_info or {}
    raised = exception.get("raised_exception")
    return {
        "table": table,
        "config": result.expectation_config.to_json_dict(),
        "left_out": list(left_out),
        "success": bool(result.success),
        "result": kept,
        "exception": (
            {"raised_exception": True, "exception_message": exception.get("exception_message")}
            if raised
            else None
        ),
    }


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python ones, missing values as None."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is not None and not isinstance(value, str) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _left_out(table: str, config: Any, sources: list[str]) -> tuple[str, ...]:
    """The sources whose rows a completeness expectation leaves out: those among ``sources``
    that cannot carry its column; none for any other expectation."""
    if not isinstance(config, dict) or config.get("type") not in COMPLETENESS:
        return ()
    kwargs = config.get("kwargs")
    column = kwargs.get("column") if isinstance(kwargs, dict) else None
    return tuple(sources_without(table, column, sources)) if isinstance(column, str) else ()


def _columns_used(
    frame: pd.DataFrame, expectations: list[Any], index_columns: list[str]
) -> pd.DataFrame:
    """The frame with only the columns the suite names, in its kwargs or in a pandas
    ``row_condition`` (GX copies and scans what it is given; a column the frame lacks stays
    named, so GX reports it)."""
    named = set(index_columns)
    for config in expectations:
        kwargs = config.get("kwargs") if isinstance(config, dict) else None
        if not isinstance(kwargs, dict):
            return frame.reset_index(drop=True)
        condition = kwargs.get("row_condition")
        if condition is not None and not isinstance(condition, str):
            return frame.reset_index(drop=True)
        named.update(set(re.findall(r"[A-Za-z_]\w*", condition or "")) & set(frame.columns))
        for key, value in kwargs.items():
            if key.startswith("column") and isinstance(value, str):
                named.add(value)
            elif key.startswith("column") and isinstance(value, list):
                named.update(v for v in value if isinstance(v, str))
    if not named <= set(frame.columns):
        return frame.reset_index(drop=True)
    return frame[[c for c in frame.columns if c in named]].reset_index(drop=True)


def _findings(
    table: str,
    config: dict[str, Any],
    result: dict[str, Any],
    exception: dict[str, Any] | None,
    sources_left_out: tuple[str, ...] = (),
) -> list[Finding]:
    rule = _rule_id(table, config)
    meta = config.get("meta") or {}
    severity = meta.get("severity", DEFAULT_SEVERITY)
    left_out = {"sources_left_out": list(sources_left_out)} if sources_left_out else {}
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
    column = kwargs.get("column") or ",".join(kwargs.get("column_list") or [])
    rows = result.get("unexpected_index_list") or []
    described = _describe(config["type"], kwargs)
    if exception and exception.get("raised_exception"):
        return [
            finding(
                rule,
                "expectation",
                "error",
                f"expectation {config['type']} on {table}.{column} could not run: "
                f"{exception.get('exception_message')}",
                field=f"{table}.{column}",
                evidence={"expectation": config["type"], "kwargs": kwargs, **left_out},
            )
        ]
    if not rows:
        return [
            finding(
                rule,
                "expectation",
                severity,
                f"{table}: expected {described}; observed {result.get('observed_value')}",
                field=f"{table}.{column}",
                evidence={
                    "expectation": config["type"],
                    "kwargs": kwargs,
                    "observed": result.get("observed_value"),
                    **left_out,
                },
            )
        ]
    share = result.get("unexpected_percent")
    summary = f"{result.get('unexpected_count')} of {result.get('element_count')} rows"
    if share is not None:
        summary += f", {share:.1f}%"
    findings = []
    for row in rows:
        columns = kwargs.get("column_list") or [kwargs.get("column")]
        value = {k: row.get(k) for k in columns if k in row} or None
        if isinstance(value, dict) and len(value) == 1:
            value = next(iter(value.values()))
        trial = row.get("trial_id")
        trial = trial if isinstance(trial, str) else None
        findings.append(
            finding(
                rule,
                "expectation",
                severity,
                f"{row.get('record_file')}: {table}.{column} = {_show(value)}; "
                f"expected {described} ({summary} fail)",
                trial_ids=[trial] if trial else [],
                record_files=[row.get("record_file")],
                sources=[row.get("source")] if isinstance(row.get("source"), str) else [],
                field=f"{table}[{row['item']}].{column}" if "item" in row else f"{table}.{column}",
                evidence={
                    "value": value,
                    "expectation": config["type"],
                    "kwargs": kwargs,
                    **left_out,
                },
                # A uniqueness failure is about one of several files: the file is its identity.
                key=f"{row.get('record_file') if not trial or 'unique' in config['type'] else ''}"
                f"|{_show(value)}",
            )
        )
    return findings


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, (dict, list)) and pd.isna(value)):
        return "null"
    return repr(value.item() if hasattr(value, "item") else value)


def _describe(kind: str, kwargs: dict[str, Any]) -> str:
    mostly = kwargs.get("mostly")
    share = f" in at least {mostly:.0%} of rows" if mostly is not None and mostly < 1 else ""
    if kind == "expect_column_values_to_not_be_null":
        return f"a value{share}"
    if kind == "expect_column_values_to_be_in_set":
        return f"one of {kwargs.get('value_set')}{share}"
    if kind == "expect_column_values_to_be_between":
        return f"between {kwargs.get('min_value')} and {kwargs.get('max_value')}{share}"
    if kind in ("expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"):
        return "no two rows with the same values"
    if kind == "expect_column_values_to_match_regex":
        return f"to match {kwargs.get('regex')}{share}"
    return kind.removeprefix("expect_").replace("_", " ") + share
