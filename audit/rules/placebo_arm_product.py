"""A placebo or sham arm linked to the experimental product it is meant to stand in for.

What it detects: a PLACEBO_COMPARATOR or SHAM_COMPARATOR arm whose interventions include the
product an EXPERIMENTAL arm tests: a drug, biological, device, supplement, combination
product, genetic or radiation intervention of an experimental arm that is not a placebo
itself. One finding per placebo arm, naming the products.

Normal designs are not reported:

* add-on designs: "placebo + standard of care" against "drug X + standard of care". The
  standard of care comes in an arm with another product the placebo arm lacks (drug X), so
  it is background, not the experimental product. Likewise any intervention that some arm
  combines with a product missing from the placebo arm;
* double-dummy designs ("drug X + placebo of drug Y"): interventions whose name says
  placebo, sham, dummy, vehicle, saline or mock are placebos;
* crossover and factorial studies, where every arm receives the active product in turn or
  receives the other factor's product;
* placebo arms whose label or description says they receive the product later (an
  open-label or extension phase, a switch, rescue or delayed start);
* intervention names listed twice (the link cannot say which one is meant), behavioral,
  procedure, diagnostic and other interventions (a control group rightly uses the same app,
  questionnaire or operation), and records whose arms name no interventions.

Why it matters: the arm-intervention links say who received what. A placebo arm linked to
the active product tells every reader and pipeline that the control group was treated;
exposure counts, safety tables by product and searches by intervention are wrong.

How to fix: link the placebo arm to the placebo (list a "Placebo" intervention if there is
none) and remove its link to the active product; if the arm really receives the product
(e.g. after the blinded phase), say so in the arm description.

Example: in NCT00461526 the placebo comparator arm "placebo" is linked to "Drug: crofelemer",
the product of the experimental arm "125 mg crofelemer" -> "placebo arm 'placebo' is linked to
the experimental product 'crofelemer' (of arm '125 mg crofelemer')".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from audit.findings import Finding
from audit.frames import cells, intervention_key, where
from audit.rules import Context, rule
from audit.tables import Tables

PLACEBO_ARMS = ("PLACEBO_COMPARATOR", "SHAM_COMPARATOR")
PRODUCTS = (
    "DRUG",
    "BIOLOGICAL",
    "DEVICE",
    "DIETARY_SUPPLEMENT",
    "COMBINATION_PRODUCT",
    "GENETIC",
    "RADIATION",
)
SKIPPED_MODELS = ("CROSSOVER", "FACTORIAL")
_PLACEBO = re.compile(r"placebo|\bsham\b|dumm(?:y|ies)|vehicle|saline|\bmock\b", re.IGNORECASE)
# An arm that receives the product after its placebo phase says so.
_LATER = re.compile(
    r"open[- ]?label|switch|cross(?:ed)?[- ]?over|extension|rescue|delayed[- ]start",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Arm:
    label: str
    type: str | None
    text: str  # label and description, for the "receives it later" words
    keys: frozenset[str]


@rule("placebo-arm-product", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    arms = _arms(tables)
    if not arms:
        return
    products = _products(tables.interventions, set(arms))
    studies = tables.studies
    studies = studies[
        studies["record_file"].isin(set(arms))
        & ~studies["intervention_model"].isin(SKIPPED_MODELS).fillna(False)
    ]
    for row in studies.itertuples(index=False):
        for arm, found in _linked(arms[row.record_file], products.get(row.record_file, {})):
            yield _finding(row, arm, found, ctx)


def _arms(tables: Tables) -> dict[str, list[Arm]]:
    """Record file -> its arms, for records with a placebo or sham arm naming interventions."""
    arms = tables.arms
    named = arms[arms["interventions"].notna()]
    wanted = set(named.loc[named["type"].isin(PLACEBO_ARMS).fillna(False), "record_file"])
    named = named[named["record_file"].isin(wanted)]
    keys = intervention_key(named["interventions"].str.split("|").explode().astype("string"))
    keys = keys[keys.fillna("") != ""].groupby(level=0).agg(frozenset)
    by_record: dict[str, list[Arm]] = {}
    for file, label, kind, description, item_keys in zip(
        cells(named["record_file"]),
        cells(named["label"]),
        cells(named["type"]),
        cells(named["description"]),
        keys.reindex(named.index, fill_value=frozenset()).tolist(),
        strict=True,
    ):
        text = f"{label or ''}\n{description or ''}"
        by_record.setdefault(file, []).append(Arm(label or "", kind, text, item_keys))
    return by_record


def _products(interventions: pd.DataFrame, files: set[str]) -> dict[str, dict[str, str]]:
    """Record file -> its products (key -> name as listed): interventions of a product type
    whose name says no placebo. A name listed twice is left out: a link to it is ambiguous."""
    rows = interventions[interventions["record_file"].isin(files) & interventions["name"].notna()]
    rows = rows.assign(key=intervention_key(rows["name"]))
    rows = rows[~rows.duplicated(["record_file", "key"], keep=False)]
    rows = rows[rows["type"].isin(PRODUCTS).fillna(False)]
    products: dict[str, dict[str, str]] = {}
    for file, key, name in zip(
        cells(rows["record_file"]), cells(rows["key"]), cells(rows["name"]), strict=True
    ):
        if not _PLACEBO.search(name):
            products.setdefault(file, {})[key] = name
    return products


def _linked(
    arms: list[Arm], products: dict[str, str]
) -> Iterator[tuple[Arm, dict[str, list[str]]]]:
    """Each placebo arm with the experimental products it is linked to (product name ->
    labels of the experimental arms testing it)."""
    experimental = [arm for arm in arms if arm.type == "EXPERIMENTAL"]
    for arm in arms:
        if arm.type not in PLACEBO_ARMS or _LATER.search(arm.text):
            continue
        background = _background(arms, arm)
        found = {
            products[key]: [e.label for e in experimental if key in e.keys]
            for key in sorted(arm.keys & (products.keys() - background))
            if not _names_arm(key, arm.label)
        }
        found = {name: labels for name, labels in found.items() if labels}
        if found:
            yield arm, found


def _names_arm(key: str, label: str) -> bool:
    """Does the product's name also name the arm's own treatment: every word of the arm's label
    (placebo words, numbers and short words aside) is in it ("Narrow band UVB phototherapy,
    long wave UVA phototherapy" for the arm "UVA")?"""
    words = {w for w in re.findall(r"[a-z]{3,}", label.casefold()) if not _PLACEBO.search(w)}
    return bool(words) and words <= set(key.split())


def _background(arms: list[Arm], placebo: Arm) -> set[str]:
    """Interventions some other arm combines with an active one the placebo arm lacks: what
    every group receives besides the product under test (add-on designs)."""
    background: set[str] = set()
    for arm in arms:
        active = {key for key in arm.keys - placebo.keys if not _PLACEBO.search(key)}
        if arm is not placebo and active:
            background |= arm.keys
    return background


def _finding(row: Any, arm: Arm, found: dict[str, list[str]], ctx: Context) -> Finding:
    listed = "; ".join(
        f"{name!r} (of arm {', '.join(repr(label) for label in labels)})"
        for name, labels in found.items()
    )
    kind = "sham" if arm.type == "SHAM_COMPARATOR" else "placebo"
    products = "product" if len(found) == 1 else "products"
    return ctx.finding(
        f"{kind} arm {arm.label!r} is linked to the experimental {products} {listed}",
        **where([row]),
        field="arms.interventions",
        key=f"placebo-arm:{arm.label.casefold()}",
        evidence={
            "arm": arm.label,
            "arm_type": arm.type,
            "products": found,
        },
    )
