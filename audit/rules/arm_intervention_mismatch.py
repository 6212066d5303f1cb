"""An arm names an intervention the record does not list, or no arm uses a listed intervention.

What it detects, in records whose arms name their interventions and that list interventions:

* ``missing``: an arm's intervention is not in the record's interventions list (e.g. the arm
  table gives "human umbilical cord mesenchymal stem cells" but only "allogeneic islet" is
  listed);
* ``unused``: a listed intervention is named by none of the arms.

Names are compared without their type prefix ("Drug: Aspirin" and "aspirin" are the same),
case, punctuation and spacing, and small spelling differences are forgiven ("Stem Cells" and
"stem cell"); names that differ in a number ("Dose 10 mg" and "Dose 20 mg") never match.
Records whose arms name no interventions (common on ICTRP and MedPath pages), and records
that list no interventions at all, are not judged.

Why it matters: the arm-intervention links say who received what. An intervention missing
from the list is invisible to searches by intervention; an unused one suggests a deleted or
renamed arm.

How to fix: add the missing intervention to the interventions list (or correct the arm's
spelling of it), or attach the unused intervention to the arms that receive it, or remove it.

Example: in NCT06751199 the arm "allogeneic islet combined with hUCMSCs" names "human
umbilical cord mesenchymal stem cells", but the record lists only "Drug: allogeneic islet" ->
"arm 'allogeneic islet combined with hUCMSCs' names intervention 'human umbilical cord
mesenchymal stem cells', which the interventions list lacks".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
from rapidfuzz import fuzz

from audit.findings import Finding
from audit.rules import Context, rule
from audit.rules.common import where
from audit.tables import Tables

SIMILARITY = 90  # rapidfuzz ratio (0-100) above which two names are the same
# One or more type prefixes: the API writes "Device: Device: X" for a device named "Device: X".
_TYPE_PREFIX = (
    r"^(?:\s*(?:drug|biological|biologic|device|procedure(?:\s*/\s*surgery)?|"
    r"radiation|behavioral|behavioural|genetic|dietary\s+supplement|"
    r"combination\s+product|diagnostic\s+test|other)\s*:\s*)+"
)


def name_key(names: pd.Series) -> pd.Series:
    """Names as compared: no type prefix, lower case, letters and digits separated by one space."""
    key = names.str.replace(_TYPE_PREFIX, "", case=False, regex=True).str.casefold()
    return key.str.replace(r"[\W_]+", " ", regex=True).str.strip()


def same_name(one: str, other: str) -> bool:
    if one == other:
        return True
    if re.findall(r"\d+", one) != re.findall(r"\d+", other):
        return False
    return fuzz.ratio(one, other) >= SIMILARITY


def _arm_names(arms: pd.DataFrame) -> pd.DataFrame:
    named = arms[arms["interventions"].notna()]
    exploded = named.assign(name=named["interventions"].str.split("|")).explode("name")
    exploded = exploded.assign(key=name_key(exploded["name"].astype("string")))
    return exploded[exploded["key"].fillna("") != ""]


def _unmatched(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``left`` whose key matches no key of ``right`` in the same record."""
    exact = left.merge(
        right[["record_file", "key"]].drop_duplicates(),
        how="left",
        on=["record_file", "key"],
        indicator=True,
    )
    candidates = exact[exact["_merge"] == "left_only"].drop(columns="_merge")
    keys = right.groupby("record_file")["key"].agg(set)
    keep = [
        not any(same_name(row.key, other) for other in keys.get(row.record_file, ()))
        for row in candidates.itertuples(index=False)
    ]
    return candidates[pd.Series(keep, index=candidates.index, dtype=bool)]


@rule("arm-intervention-mismatch", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    arm_names = _arm_names(tables.arms)
    listed = tables.interventions[tables.interventions["name"].notna()]
    listed = listed.assign(key=name_key(listed["name"]))
    listed = listed[listed["key"] != ""]
    judged = set(arm_names["record_file"]) & set(listed["record_file"])
    arm_names = arm_names[arm_names["record_file"].isin(judged)]
    listed = listed[listed["record_file"].isin(judged)]
    studies = tables.studies.set_index("record_file")

    missing = _unmatched(arm_names, listed)
    for (record_file, key), rows in missing.groupby(["record_file", "key"], sort=True):
        study = studies.loc[[record_file]].reset_index()
        labels = sorted(rows["label"].dropna().unique())
        name = rows["name"].iloc[0]
        yield ctx.finding(
            f"arm {', '.join(repr(label) for label in labels)} names intervention {name!r}, "
            "which the interventions list lacks",
            **where(study.itertuples(index=False)),
            field="arms.interventions",
            key=f"missing:{key}",
            evidence={"intervention": name, "arms": labels},
        )

    unused = _unmatched(listed, arm_names)
    for (record_file, key), rows in unused.groupby(["record_file", "key"], sort=True):
        study = studies.loc[[record_file]].reset_index()
        name = rows["name"].iloc[0]
        kind = rows["type"].iloc[0]
        yield ctx.finding(
            f"intervention {name!r} is listed but no arm names it",
            **where(study.itertuples(index=False)),
            field="interventions",
            key=f"unused:{key}",
            evidence={"intervention": name, "type": kind},
        )
