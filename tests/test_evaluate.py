"""audit.evaluate: the labels, the measures and the ratchet of tests/evaluation/figures.json."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from audit.engine import full_catalogue
from audit.evaluate import (
    LABELS,
    RECORDED,
    SAMPLE_KEYS,
    SAMPLE_LABELS,
    Judged,
    direcct_reference,
    fallen,
    judge,
    measure,
    read_labels,
    weight_estimates,
)
from audit.findings import Finding
from audit.rules.duplicate_registration import WEIGHTS, canonical_id
from audit.sample import CORPORA, draw

PAIRS = LABELS / "duplicate_registration_pairs.csv"


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["id_a,id_b,verdict,reason", *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "row",
    [
        "NCT1,NCT2,maybe,not a verdict",
        "NCT1,NCT2,TP,",  # no reason
    ],
)
def test_read_labels_refuses_a_bad_row(tmp_path: Path, row: str) -> None:
    with pytest.raises(ValueError, match=r"labels\.csv:2"):
        read_labels(write(tmp_path / "labels.csv", [row]), ("id_a", "id_b"))


def test_read_labels_refuses_a_pair_judged_twice(tmp_path: Path) -> None:
    rows = ["NCT1,NCT2,TP,same trial", "NCT1,NCT2,FP,two trials"]
    with pytest.raises(ValueError, match=r"labels\.csv:3"):
        read_labels(write(tmp_path / "labels.csv", rows), ("id_a", "id_b"))


def test_precision_counts_debatable_items_only_in_the_strict_figure(tmp_path: Path) -> None:
    rows = ["A,B,TP,same", "A,C,TP,same", "A,D,FP,other", "A,E,debatable,unsure"]
    labels = read_labels(write(tmp_path / "labels.csv", rows), ("id_a", "id_b"))
    judged = judge([("A", "B"), ("A", "C"), ("A", "D"), ("A", "E"), ("A", "F")], labels)
    assert judged.counts == Counter({"TP": 2, "FP": 1, "debatable": 1})
    assert judged.unjudged == ("A / F",)
    assert judged.precision == pytest.approx(2 / 3)
    assert judged.strict_precision == pytest.approx(2 / 4)
    assert Judged(Counter()).precision is None


def test_the_ratchet_names_every_figure_that_fell() -> None:
    class Measured:
        def values(self) -> dict[str, float]:
            return {"recall": 0.8, "precision": 0.95}

        def lines(self) -> list[str]:
            return []

    recorded = {"m": {"recall": 0.85, "precision": 0.95, "gone": 0.5}}
    assert fallen({"m": Measured()}, recorded) == [
        "m: recall is 0.8, recorded 0.85",
        "m: gone is None, recorded 0.5",
    ]
    assert fallen({"m": Measured()}, {"m": {"recall": 0.8}}) == []


def test_direcct_pairs_count_eu_ctr_country_copies_as_their_trial(tmp_path: Path) -> None:
    path = tmp_path / "direcct.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trialid", "cross_registrations"])
        writer.writerow(["NCT04324047", "NCT04345991; EUCTR2020-001246-18"])
        writer.writerow(["EUCTR2020-001262-11-ES", "NCT04392531"])
        writer.writerow(["NCT04417335", "EUCTR2020-001591-15"])
        writer.writerow(["NL8547", "EUCTR2020-001591-15"])
        writer.writerow(["NCT04246242", "None"])
    pairs, group, rows = direcct_reference(path)
    assert pairs == {
        ("EUCTR2020-001246-18", "NCT04324047"),
        ("NCT04324047", "NCT04345991"),
        ("EUCTR2020-001262-11", "NCT04392531"),
        ("EUCTR2020-001591-15", "NCT04417335"),
        ("EUCTR2020-001591-15", "NL8547"),
    }
    assert "EUCTR2020-001262-11" in rows and "NCT04246242" in rows
    assert group["NCT04417335"] == group["NL8547"]  # one trial through its EU CTR id
    assert group["NCT04417335"] != group["NCT04324047"]


def test_the_reviewed_labels_are_well_formed() -> None:
    labels = read_labels(PAIRS, ("id_a", "id_b"))
    for a, b in labels:
        assert a < b, (a, b)
        assert canonical_id(a) == a and canonical_id(b) == b, (a, b)
    assert Counter(label.verdict for label in labels.values())["TP"] > 0


def test_the_recorded_figures_meet_the_targets_of_issue_13() -> None:
    recorded = json.loads(RECORDED.read_text())
    figures = recorded["duplicate-registration/direcct"]
    assert figures["recall, ICTRP"] >= 0.85
    assert figures["recall, ICTRP + classic"] >= 0.9
    assert min(v for k, v in figures.items() if k.startswith("precision")) >= 0.9
    # On the sample the rules were fixed on: every warning and error bucket at 0.95 at least,
    # every info bucket at 0.85. The hold-out's figures are only ratcheted: the README says
    # which buckets are short of the targets there.
    assert recorded["findings/holdout"]
    for figure, value in recorded["findings/sample"].items():
        floor = 0.85 if figure.endswith(" info") else 0.95
        assert value >= floor, figure


@pytest.mark.shared
def test_no_figure_falls_below_the_recorded_one(data: Path) -> None:
    """The ratchet: a change that loses recall or adds wrong pairs fails here; a change that
    adds pairs nobody judged fails until they are judged in the labels file."""
    measured = measure(data)
    assert fallen(measured, json.loads(RECORDED.read_text())) == []
    direcct = measured["duplicate-registration/direcct"]
    assert [a.judged.unjudged for a in direcct.added] == [(), ()]
    for name in ("findings/sample", "findings/holdout"):
        unjudged = {b.bucket: b.judged.unjudged for b in measured[name].buckets}
        assert {bucket: items for bucket, items in unjudged.items() if items} == {}, name


#: Levels the July 2020 corpus cannot measure (no declared pair has them): set by hand.
PRIORS = {("title", "other numbers"), ("start", "over a year apart")}


@pytest.mark.shared
def test_the_weights_are_the_estimates_rounded(data: Path) -> None:
    """WEIGHTS hold log2(m/u) as ``python -m audit.evaluate --weights`` estimates them (to
    half a point; "further apart" starts pooled with "within 3 months", as a start further
    apart cannot be likelier one trial); a change to the blocking or the comparisons that
    moves an estimate means re-deriving the weights, not tuning them."""
    estimates = weight_estimates(data)
    for field, levels in WEIGHTS.items():
        for level, used in levels.items():
            if (field, level) not in PRIORS:
                assert abs(used - estimates[field][level][2]) <= 0.75, (field, level)


def _finding(rule: str, severity: str, trial: str) -> Finding:
    return Finding(rule, "rule", severity, f"{trial} is wrong", trial_ids=(trial,), key=trial)


def test_the_sample_is_drawn_per_bucket_in_an_order_no_rule_chooses() -> None:
    found = [("a", _finding("r", "warning", f"NCT{i:08d}")) for i in range(100)]
    found += [("b", _finding("r", "info", "NCT1")), ("a", _finding("s", "warning", "NCT2"))]
    drawn = draw(found, size=10)
    assert sorted(drawn) == [("r", "info"), ("r", "warning"), ("s", "warning")]
    assert drawn["r", "warning"].total == 100 and len(drawn["r", "warning"].drawn) == 10
    # a finding keeps its place when others go: dropping undrawn ones changes nothing
    kept = {d.key for d in drawn["r", "warning"].drawn}
    fewer = [(c, f) for c, f in found if (c, f.fingerprint) in kept or f.rule == "s"]
    assert {d.key for d in draw(fewer, size=10)["r", "warning"].drawn} == kept
    # and the order is not the order of the findings
    assert [d.finding.trial_ids for d in drawn["r", "warning"].drawn] != [
        f.trial_ids for _, f in found[:10]
    ]


SAMPLE_HEADER = ["corpus", "fingerprint", "trial", "severity", "verdict", "reason"]


def test_the_sample_labels_are_well_formed() -> None:
    """One file per finding id of the catalogue, rows naming a sampled corpus and severity."""
    known = full_catalogue()
    files = sorted(SAMPLE_LABELS.glob("*.csv"))
    assert files
    for path in files:
        assert path.stem in known, path
        read_labels(path, SAMPLE_KEYS)  # verdicts, reasons, no key judged twice
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == SAMPLE_HEADER, path
        for row in rows[1:]:
            corpus, fingerprint, _, severity = row[:4]
            assert corpus in CORPORA and len(fingerprint) == 20, (path, row)
            assert severity in ("error", "warning", "info"), (path, row)
