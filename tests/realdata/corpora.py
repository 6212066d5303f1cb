"""The real corpora of ../shared/data, the `audit` commands run on them in a subprocess, and
what each run gave (for the table `nox -s realdata` prints at the end)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

AS_OF = "2026-11-22"
OUTPUTS = ("findings.json", "index.html", "junit.xml", "summary.md", "findings.sarif")
TIMEOUT = 900  # seconds per command; the largest corpus takes about 30 s
TAIL = 12  # lines of stderr a failed command's report shows
WHY = 6  # distinct error lines per corpus in the summary


@dataclass(frozen=True)
class Corpus:
    """Files or folders under ../shared/data passed together to one `audit normalize`."""

    id: str
    paths: tuple[str, ...]


CORPORA = [
    Corpus("ctgov-v2-website-exports", ("ctgov_v2_website_exports",)),
    Corpus("aact-v2-json", ("aact_spec_fixtures/ctgov_api_v2_json",)),
    Corpus(
        "ictrp-2020-07-07",
        ("who_ictrp_covid19_2020/ictrp_covid19_export_2020-07-07_4098trials.csv",),
    ),
    Corpus(
        "ictrp-2020-04-15",
        ("who_ictrp_covid19_2020/ictrp_covid19_export_2020-04-15_1135trials.csv",),
    ),
    *(
        Corpus(
            f"ctgov-tsv-{day[:4]}-{day[4:6]}-{day[6:]}",
            (f"ctgov_web_export_covid19_2020/ctgov_covid19_search_export_{day}.tsv",),
        )
        for day in ("20200406", "20200709", "20201012")
    ),
    # the folder as downloaded: two loose folders and the NCT0000xxxx.tar.gz archive
    Corpus("legacy-xml-allpublicxml", ("ctgov_legacy_xml_allpublicxml_2023-02",)),
    Corpus("legacy-xml-trec2022", ("ctgov_legacy_xml_trec2022_sample",)),
    Corpus("legacy-xml-aact", ("aact_spec_fixtures/ctgov_legacy_xml",)),
    Corpus("ctrdata-multiregistry", ("ctrdata_demo_multiregistry",)),
]

# Formats no importer reads: `audit normalize` must name every file as not recognized.
UNSUPPORTED = [
    Corpus("aact-v1-fullstudies-json", ("aact_spec_fixtures/ctgov_api_v1_fullstudies_json",)),
    Corpus("ctrialsgov-aact-csv", ("ctrialsgov_aact_sample",)),
    Corpus(
        "ictrp-direcct-and-scrapes",
        (
            "who_ictrp_covid19_2020/direcct_cleaned_ictrp_2020-06-29.csv",
            "who_ictrp_covid19_2020/registry_scrapes_jul2020",
        ),
    ),
]


def audit_command() -> list[str]:
    """The `audit` console script of this interpreter's environment, as the README promises;
    ``python -m audit`` only where the script is not installed."""
    script = Path(sys.executable).with_name("audit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "audit"]


@dataclass
class Step:
    """One command and what it did."""

    args: list[str]
    cwd: Path
    code: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        tail = self.stderr.strip().splitlines()[-TAIL:] or ["(empty)"]
        return (
            f"`audit {shlex.join(self.args)}` (cwd {self.cwd}) exited {self.code} after "
            f"{self.seconds:.1f} s; last lines of stderr:\n    " + "\n    ".join(tail)
        )


def audit(*args: str, cwd: Path) -> Step:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [*audit_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
        )
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as error:
        code, stdout = -1, str(error.stdout or "")
        stderr = f"{error.stderr or ''}\n(killed: no exit after {TIMEOUT} s)"
    return Step(list(args), cwd, code, stdout, stderr, time.perf_counter() - start)


def _short(line: str) -> str:
    """An error line without the list of known formats, cut to a line of a CI log."""
    line = re.sub(r"format not recognized \(not a .*\)", "format not recognized", line.strip())
    return line if len(line) <= 200 else line[:199] + "…"


@dataclass
class Problem:
    headline: str  # for the table: "normalize exit 1 (expected 0)"
    detail: str = ""  # for the test's failure report
    why: list[str] = field(default_factory=list)  # its lines for the summary


@dataclass
class Outcome:
    """A corpus's figures and every contract it broke."""

    corpus: str
    steps: dict[str, Step] = field(default_factory=dict)
    records: int | None = None
    findings: Counter[str] | None = None
    browser_seconds: float | None = None
    problems: list[Problem] = field(default_factory=list)
    note: str = ""

    def step(self, name: str, step: Step, codes: tuple[int, ...]) -> Step:
        """Record ``step``; its exit code must be one of ``codes``, its output free of
        tracebacks."""
        self.steps[name] = step
        errors = [
            _short(line)
            for line in step.stderr.splitlines()
            if line.startswith(("error:", "audit ")) or "Error" in line
        ]
        if step.code not in codes:
            wanted = " or ".join(map(str, codes))
            self.problem(f"{name} exit {step.code} (expected {wanted})", step.describe(), errors)
        if "Traceback" in step.stdout + step.stderr:
            self.problem(f"{name} printed a traceback", step.describe(), errors)
        return step

    def problem(self, headline: str, detail: str = "", why: list[str] | None = None) -> None:
        lines = detail.splitlines() if why is None else why
        self.problems.append(Problem(headline, detail, [_short(line) for line in lines]))

    def check(self, ok: bool, headline: str, detail: str = "") -> None:
        if not ok:
            self.problem(headline, detail)

    def report(self) -> str:
        return f"{self.corpus}:\n" + "\n".join(
            f"- {p.headline}" + (f"\n  {p.detail}" if p.detail else "") for p in self.problems
        )

    def why(self) -> list[str]:
        """The problems' distinct lines (a failed command's error lines), for the summary."""
        distinct = list(dict.fromkeys(line for p in self.problems for line in p.why))
        more = [f"... and {len(distinct) - WHY} more"] if len(distinct) > WHY else []
        return distinct[:WHY] + more

    def row(self) -> list[str]:
        found = self.findings
        seconds = [s.seconds for s in self.steps.values()]
        if self.browser_seconds is not None:
            seconds.append(self.browser_seconds)
        verdict = (
            "FAIL: " + "; ".join(p.headline for p in self.problems) if self.problems else "pass"
        )
        return [
            self.corpus,
            "-" if self.records is None else str(self.records),
            f"{found['error']}/{found['warning']}/{found['info']}" if found is not None else "-",
            "/".join(str(s.code) for s in self.steps.values()),
            "+".join(f"{s:.1f}" for s in seconds),
            verdict + (f" ({self.note})" if self.note else ""),
        ]


HEADER = ["corpus", "records", "findings E/W/I", "exit codes", "seconds", "result"]
LEGEND = (
    "exit codes and seconds: normalize / run (+ browser); formats without an importer run "
    "normalize only. Each failing test's report has every problem in full."
)


def table(outcomes: list[Outcome]) -> list[str]:
    rows = [HEADER, *(o.row() for o in outcomes)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in rows
    ]
    lines.append(LEGEND)
    for outcome in outcomes:
        if outcome.problems and (why := outcome.why()):
            lines += [f"why {outcome.corpus}:", *(f"  {line}" for line in why)]
    return lines
