"""How right the rules are on real data, measured against references this project did not make.

    python -m audit.evaluate [--data ../shared/data] [--check tests/evaluation/figures.json]
    python -m audit.evaluate --weights     # re-estimate duplicate-registration's weights

Each measure is a function of the data folder that returns a small dataclass of figures
(``Figures``: named values, and the lines that print them); ``MEASURES`` lists them by name.
The figures recorded in the repository (``tests/evaluation/figures.json``) are a ratchet:
``--check`` (and ``tests/test_evaluate.py``) fails when a measured figure falls below its
recorded value, so a change that loses what was found cannot pass unnoticed, and a better
figure is recorded by editing the file in the same change.

Judgements are kept in reviewed label files (``tests/evaluation/*.csv``: the items' keys,
``verdict`` and a one-line ``reason``), read by ``read_labels``. A verdict is ``TP`` (the
finding is right), ``FP`` (it is wrong) or ``debatable``; precision counts TP against FP, and
the strict precision counts debatable items as wrong. An item the rule reports and nobody
judged is listed as unjudged: it must be judged before the figures can be trusted.

duplicate-registration against DIRECCT: the DIRECCT project's cleaned ICTRP list of
2020-06-29 (``who_ictrp_covid19_2020/direcct_cleaned_ictrp_2020-06-29.csv``) names, in its
``cross_registrations`` column, the other ids of a trial, found by researchers reading the
registries. Its pairs (the row's id with each id it lists; EU CTR country copies count as
their trial, as the rule counts them) are the reference: recall is the share of the pairs
with both ids in the corpus that one finding joins, on the ICTRP export of 2020-07-07 alone
and with the classic ClinicalTrials.gov export of 2020-07-09 added. The pairs the rule joins
whose ids are both rows of DIRECCT's list but not one of its trials (directly or through
other ids) are pairs the rule adds: each is judged by reading both records, in
``tests/evaluation/duplicate_registration_pairs.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from audit.record import atomic_write

if TYPE_CHECKING:
    from audit.rules.duplicate_registration import Trial
    from audit.tables import Tables

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "evaluation"
RECORDED = LABELS / "figures.json"
DATA = Path("../shared/data")
VERDICTS = ("TP", "FP", "debatable")

ICTRP = "who_ictrp_covid19_2020/ictrp_covid19_export_2020-07-07_4098trials.csv"
CLASSIC = "ctgov_web_export_covid19_2020/ctgov_covid19_search_export_20200709.tsv"
DIRECCT = "who_ictrp_covid19_2020/direcct_cleaned_ictrp_2020-06-29.csv"
#: The corpora duplicate-registration is measured on, by name.
CORPORA = {"ICTRP": (ICTRP,), "ICTRP + classic": (ICTRP, CLASSIC)}
#: Any date: duplicate-registration does not depend on it.
AS_OF = date(2020, 7, 10)

Pair = tuple[str, str]
#: field -> level -> (m, u, log2(m/u))
Estimates = dict[str, dict[str, tuple[float, float, float]]]


class Figures(Protocol):
    """What a measure returns: named values (the ratchet compares them) and printed lines."""

    def values(self) -> dict[str, float]: ...

    def lines(self) -> list[str]: ...


# --- labels and precision: shared by every measure ---------------------------------------


@dataclass(frozen=True)
class Label:
    verdict: str
    reason: str


def read_labels(path: Path, keys: tuple[str, ...]) -> dict[tuple[str, ...], Label]:
    """A reviewed label file: a CSV with the ``keys`` columns, ``verdict`` and ``reason``.
    Raises ValueError on an unknown verdict, a missing reason or a key labelled twice."""
    labels: dict[tuple[str, ...], Label] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            key = tuple(row[k].strip() for k in keys)
            label = Label(row["verdict"].strip(), (row.get("reason") or "").strip())
            if label.verdict not in VERDICTS or not label.reason or key in labels:
                raise ValueError(f"{path}:{line}: needs one of {VERDICTS}, a reason, a new key")
            labels[key] = label
    return labels


@dataclass(frozen=True)
class Judged:
    """Items a rule reported, by verdict (``unjudged`` when no label names them)."""

    counts: Counter[str]
    unjudged: tuple[str, ...] = ()

    @property
    def precision(self) -> float | None:
        right, wrong = self.counts["TP"], self.counts["FP"]
        return right / (right + wrong) if right + wrong else None

    @property
    def strict_precision(self) -> float | None:
        judged = sum(self.counts[v] for v in VERDICTS)
        return self.counts["TP"] / judged if judged else None

    def summary(self) -> str:
        told = ", ".join(f"{self.counts[v]} {v}" for v in VERDICTS)
        return (
            f"{sum(self.counts.values()) + len(self.unjudged)} ({told}, "
            f"{len(self.unjudged)} unjudged): precision {_share(self.precision)}, "
            f"strict {_share(self.strict_precision)}"
        )


def judge(items: Iterable[tuple[str, ...]], labels: dict[tuple[str, ...], Label]) -> Judged:
    counts: Counter[str] = Counter({v: 0 for v in VERDICTS})
    unjudged = []
    for item in items:
        if item in labels:
            counts[labels[item].verdict] += 1
        else:
            unjudged.append(" / ".join(item))
    return Judged(counts, tuple(unjudged))


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# --- duplicate-registration against DIRECCT ----------------------------------------------


@dataclass(frozen=True)
class Recall:
    corpus: str
    pairs: int  # reference pairs with both ids in the corpus
    missed: tuple[Pair, ...]

    @property
    def value(self) -> float:
        return (self.pairs - len(self.missed)) / self.pairs if self.pairs else 0.0

    def line(self) -> str:
        found = self.pairs - len(self.missed)
        return f"recall, {self.corpus}: {found} of {self.pairs} pairs = {self.value:.3f}"


@dataclass(frozen=True)
class Added:
    corpus: str
    judged: Judged

    def line(self) -> str:
        return f"pairs added, {self.corpus}: {self.judged.summary()}"


@dataclass(frozen=True)
class DirecctFigures:
    recall: tuple[Recall, ...]
    added: tuple[Added, ...]
    findings: dict[str, int]

    def values(self) -> dict[str, float]:
        values = {f"recall, {r.corpus}": round(r.value, 4) for r in self.recall}
        for item in self.added:
            for name in ("precision", "strict_precision"):
                if (value := getattr(item.judged, name)) is not None:
                    values[f"{name.replace('_', ' ')} of added pairs, {item.corpus}"] = round(
                        value, 4
                    )
        return values

    def lines(self) -> list[str]:
        lines = [f"findings, {name}: {count}" for name, count in self.findings.items()]
        lines += [r.line() for r in self.recall]
        lines += [a.line() for a in self.added]
        for r in self.recall:
            lines += [f"  missed, {r.corpus}: {a} / {b}" for a, b in r.missed]
        for a in self.added:
            lines += [f"  unjudged, {a.corpus}: {item}" for item in a.judged.unjudged]
        return lines


def direcct_reference(path: Path) -> tuple[set[Pair], dict[str, int], set[str]]:
    """DIRECCT's pairs (canonical ids, sorted), each id's trial (a number shared by the ids
    linked directly or through others) and the ids of its rows."""
    from audit.rules.duplicate_registration import canonical_id

    def canonical(text: str) -> str:
        return canonical_id(text) or text.strip()

    pairs: set[Pair] = set()
    rows: set[str] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            mine = canonical(row["trialid"])
            rows.add(mine)
            others = (row["cross_registrations"] or "").split(";")
            pairs |= {_pair(mine, canonical(o)) for o in others if o.strip() not in ("", "None")}
    pairs = {p for p in pairs if p[0] != p[1]}
    return pairs, _groups(pairs), rows


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a <= b else (b, a)


def _groups(pairs: Iterable[Pair]) -> dict[str, int]:
    """Each id's connected group through the pairs."""
    group: dict[str, int] = {}
    members: dict[int, set[str]] = {}
    for a, b in pairs:
        ga, gb = group.setdefault(a, len(group)), group.setdefault(b, len(group))
        members.setdefault(ga, {a})
        members.setdefault(gb, {b})
        if ga != gb:
            for item in members.pop(gb):
                group[item] = ga
                members[ga].add(item)
    return group


@cache
def _tables(data: Path, files: tuple[str, ...]) -> Tables:
    """The tables of some of the real data's files, record files named ``file#position``."""
    from audit.sources import import_file
    from audit.tables import build_tables

    records = []
    for name in files:
        path = data / name
        records += [(f"{path.name}#{i}", r) for i, r in enumerate(import_file(path))]
    return build_tables(records)


@cache
def _corpus(data: Path, files: tuple[str, ...]) -> tuple[set[str], list[list[str]]]:
    """The canonical ids of a corpus and the ids each duplicate-registration finding joins."""
    from audit.rules import all_rules, run_rules
    from audit.rules.duplicate_registration import canonical_id

    tables = _tables(data, files)
    ids = {canonical_id(t) for t in tables.studies["trial_id"].dropna()} - {None}
    findings = run_rules(tables, AS_OF, [all_rules()["duplicate-registration"]])
    return ids, [list(f.evidence["ids"]) for f in findings]


def _joined(findings: list[list[str]]) -> set[Pair]:
    return {_pair(a, b) for ids in findings for a in ids for b in ids if a < b}


def direcct(data: Path, labels: Path = LABELS / "duplicate_registration_pairs.csv") -> Figures:
    """duplicate-registration's recall of DIRECCT's pairs and the precision of the pairs it
    adds among DIRECCT's rows, on each corpus of ``CORPORA``."""
    pairs, group, rows = direcct_reference(data / DIRECCT)
    judged = read_labels(labels, ("id_a", "id_b")) if labels.exists() else {}
    recall, added, counts = [], [], {}
    for name, files in CORPORA.items():
        ids, findings = _corpus(data, files)
        joined = _joined(findings)
        present = sorted(p for p in pairs if set(p) <= ids)
        recall.append(Recall(name, len(present), tuple(p for p in present if p not in joined)))
        new = sorted(
            p
            for p in joined
            if set(p) <= rows and (p[0] not in group or group.get(p[1]) != group[p[0]])
        )
        added.append(Added(name, judge(new, judged)))
        counts[name] = len(findings)
    return DirecctFigures(tuple(recall), tuple(added), counts)


def weight_estimates(data: Path) -> Estimates:
    """duplicate-registration's field weights re-estimated on the ICTRP and classic exports:
    for each field and level, m (its share among the pairs the records declare), u (its share
    among the candidate pairs blocking gives) and log2(m/u), both shares smoothed by half a
    pair so that empty levels stay finite. ``WEIGHTS`` holds these, rounded."""
    from audit.rules import duplicate_registration as rule

    tables = _tables(data, CORPORA["ICTRP + classic"])
    rows = rule._records(tables.studies)
    known = set(rows["canonical"])
    named = rule._named_ids(tables.identifiers, rows)
    declared = [p for p in rule._declared(named) if set(p) <= known]
    candidates = sorted(rule._candidate_pairs(rows))
    trials = rule._trials(tables, rows, {c for p in (*declared, *candidates) for c in p})
    shares = {
        kind: _level_counts(pairs, trials) for kind, pairs in (("m", declared), ("u", candidates))
    }
    estimates: Estimates = {}
    for field, levels in rule.WEIGHTS.items():
        for level in levels:
            m = (shares["m"][0][field, level] + 0.5) / (shares["m"][1] + 1)
            u = (shares["u"][0][field, level] + 0.5) / (shares["u"][1] + 1)
            estimates.setdefault(field, {})[level] = (m, u, math.log2(m / u))
    return estimates


def _level_counts(
    pairs: list[Pair], trials: dict[str, Trial]
) -> tuple[Counter[tuple[str, str]], int]:
    from audit.rules.duplicate_registration import compare

    counts: Counter[tuple[str, str]] = Counter()
    for a, b in pairs:
        counts.update((x.field, x.level) for x in compare(trials[a], trials[b]).agreements)
    return counts, len(pairs)


def print_weights(estimates: Estimates, out: TextIO = sys.stdout) -> None:
    from audit.rules.duplicate_registration import WEIGHTS

    for field, levels in estimates.items():
        for level, (m, u, ratio) in levels.items():
            used = WEIGHTS[field][level]
            print(
                f"{field:14} {level:18} m {m:.3f}  u {u:.4f}  log2 {ratio:5.1f}  used {used:g}",
                file=out,
            )


# --- the labelled sample of real findings -------------------------------------------------

SAMPLE_LABELS = LABELS / "findings"
SAMPLE_KEYS = ("corpus", "fingerprint")
#: Where the sample's corpora are normalized (kept between runs).
WORK = Path(".audit-cache/evaluate")


def sample_labels(folder: Path = SAMPLE_LABELS) -> dict[tuple[str, ...], Label]:
    """The judged findings: one file per finding id, ``<id>.csv`` (corpus, fingerprint,
    trial, severity, verdict, reason)."""
    labels: dict[tuple[str, ...], Label] = {}
    for path in sorted(folder.glob("*.csv")):
        labels |= read_labels(path, SAMPLE_KEYS)
    return labels


@dataclass(frozen=True)
class BucketFigures:
    bucket: tuple[str, str]
    total: int
    judged: Judged


@dataclass(frozen=True)
class SampleFigures:
    buckets: tuple[BucketFigures, ...]

    def values(self) -> dict[str, float]:
        return {
            f"precision, {b.bucket[0]} {b.bucket[1]}": round(b.judged.precision, 4)
            for b in self.buckets
            if b.judged.precision is not None
        }

    def lines(self) -> list[str]:
        lines = [
            f"{rule} {severity} ({total} found): {judged.summary()}"
            for (rule, severity), total, judged in (
                (b.bucket, b.total, b.judged) for b in self.buckets
            )
        ]
        unjudged = sum(len(b.judged.unjudged) for b in self.buckets)
        if unjudged:
            lines.append(f"{unjudged} drawn findings unjudged: python -m audit.evaluate --show ID")
        return lines


def labelled_sample(
    data: Path, work: Path = WORK, holdout: int = 0, only: frozenset[str] | None = None
) -> Figures:
    """Precision per finding id and severity on ``SIZE`` findings of each drawn from the real
    corpora with a fixed seed (``audit.sample``), or on a round of the hold-out after them,
    judged in ``tests/evaluation/findings/``; with ``only``, of those finding ids alone."""
    from audit.sample import drawn_round, population

    labels = sample_labels()
    drawn = drawn_round(population(data.resolve(), work.resolve()), holdout)
    buckets = tuple(
        BucketFigures(bucket, sample.total, judge((d.key for d in sample.drawn), labels))
        for bucket, sample in drawn.items()
        if sample.drawn and (only is None or bucket[0] in only)
    )
    return SampleFigures(buckets)


def holdout_sample(data: Path) -> Figures:
    return labelled_sample(data, holdout=1)


def holdout_round_2(data: Path) -> Figures:
    return labelled_sample(data, holdout=2)


def holdout_round_3(data: Path) -> Figures:
    return labelled_sample(data, holdout=3)


def holdout_round_4(data: Path) -> Figures:
    return labelled_sample(data, holdout=4)


def holdout_round_5(data: Path) -> Figures:
    """The one bucket still changed after round 4 was judged: eligibility-conflict."""
    return labelled_sample(data, holdout=5, only=frozenset({"eligibility-conflict"}))


def show(
    data: Path, finding_id: str, work: Path = WORK, out: TextIO = sys.stdout, holdout: int = 0
) -> None:
    """The drawn findings of one id that no label judges, as label rows to complete, each
    followed by its message, evidence and record files."""
    from audit.sample import drawn_round, normalized, population

    labels = sample_labels()
    writer = csv.writer(out)
    drawn = drawn_round(population(data.resolve(), work.resolve()), holdout)
    for (rule, severity), sample in drawn.items():
        if rule != finding_id:
            continue
        for item in sample.drawn:
            if item.key in labels:
                continue
            finding = item.finding
            trial = " ".join(finding.trial_ids)
            writer.writerow([*item.key, trial, severity, "", ""])
            records = normalized(data.resolve(), item.corpus, work.resolve())
            print(f"#   {finding.message}", file=out)
            print(f"#   evidence: {json.dumps(finding.evidence, ensure_ascii=False)}", file=out)
            for file in finding.record_files:
                print(f"#   record: {records / file}", file=out)


# --- every measure, the ratchet and the command --------------------------------------------

MEASURES: dict[str, Callable[[Path], Figures]] = {
    "duplicate-registration/direcct": direcct,
    "findings/sample": labelled_sample,
    "findings/holdout": holdout_sample,
    "findings/holdout-2": holdout_round_2,
    "findings/holdout-3": holdout_round_3,
    "findings/holdout-4": holdout_round_4,
    "findings/holdout-5": holdout_round_5,
}


def measure(data: Path, names: Iterable[str] | None = None) -> dict[str, Figures]:
    return {name: MEASURES[name](data) for name in names or MEASURES}


def fallen(measured: dict[str, Figures], recorded: dict[str, dict[str, float]]) -> list[str]:
    """Every recorded figure that a measurement fell below (or no longer gives)."""
    drops = []
    for name, figures in measured.items():
        values = figures.values()
        for figure, floor in recorded.get(name, {}).items():
            value = values.get(figure)
            if value is None or value < floor:
                drops.append(f"{name}: {figure} is {value}, recorded {floor}")
    return drops


def print_figures(measured: dict[str, Figures], out: TextIO = sys.stdout) -> None:
    for name, figures in measured.items():
        print(name, file=out)
        for line in figures.lines():
            print(f"  {line}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.evaluate", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="the real data (../shared/data)")
    parser.add_argument("--measure", action="append", choices=sorted(MEASURES))
    parser.add_argument(
        "--check", type=Path, help="exit 1 when a figure falls below this file's (the ratchet)"
    )
    parser.add_argument("--write", type=Path, help="record the measured figures in this file")
    parser.add_argument(
        "--weights", action="store_true", help="re-estimate duplicate-registration's weights"
    )
    parser.add_argument(
        "--show", metavar="ID", help="print the drawn, unjudged findings of one id to judge"
    )
    parser.add_argument(
        "--holdout",
        type=int,
        default=0,
        metavar="N",
        help="with --show: round N of the hold-out (default: 0, the sample)",
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"{args.data} is not a folder (the real data, read in place)")
    if args.show:
        show(args.data, args.show, holdout=args.holdout)
        return 0
    if args.weights:
        print_weights(weight_estimates(args.data))
        return 0
    measured = measure(args.data, args.measure)
    print_figures(measured)
    if args.write:
        values = {name: figures.values() for name, figures in measured.items()}
        atomic_write(args.write, json.dumps(values, indent=2, sort_keys=True) + "\n")
    if args.check:
        drops = fallen(measured, json.loads(args.check.read_text()))
        for drop in drops:
            print(f"fell: {drop}", file=sys.stderr)
        return 1 if drops else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
