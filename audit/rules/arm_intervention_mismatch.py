"""An arm names an intervention the record does not list, or no arm uses a listed intervention.

What it detects: in records whose arms name their interventions and that list interventions,

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
from audit.frames import intervention_key, where
from audit.rules import Context, rule
from audit.tables import KEY_COLUMNS, Tables

SIMILARITY = 90  # rapidfuzz ratio (0-100) above which two names are the same


# One or more type prefixes: the API writes "Device: Device: X" for a device named "Device: X".
def same_name(one: str, other: str) -> bool:
    if one == other:
        return True
    if re.findall(r"\d+", one) != re.findall(r"\d+", other):
        return False
    return fuzz.ratio(one, other) >= SIMILARITY


def _among(record_files: pd.Series, wanted: set[str]) -> pd.Series:
    """``record_files.isin(wanted)``, through Python objects: much faster for many strings."""
    return record_files.astype(object).isin(wanted)


def _record_files(frame: pd.DataFrame) -> set[str]:
    """The distinct record files of ``frame``."""
    return set(frame["record_file"].to_numpy(dtype=object))


def _arm_names(arms: pd.DataFrame) -> pd.DataFrame:
    columns = ["record_file", "item", "label", "interventions"]
    named = arms.loc[arms["interventions"].notna(), columns]
    exploded = named.assign(name=named["interventions"].str.split("|")).explode("name")
    exploded = exploded.assign(key=intervention_key(exploded["name"].astype("string")))
    return exploded[exploded["key"].fillna("") != ""]


def _keys_by_record(frame: pd.DataFrame, record_files: set[str]) -> dict[str, set[str]]:
    """Record file -> the keys ``frame`` has for it, for the given record files only."""
    subset = frame[_among(frame["record_file"], record_files)]
    keys: dict[str, set[str]] = {}
    for record_file, key in zip(subset["record_file"], subset["key"], strict=True):
        keys.setdefault(record_file, set()).add(key)
    return keys


def _unmatched(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``left`` whose key matches no key of ``right`` in the same record. An exact
    merge settles most rows; only the rest are compared by spelling, with their own record's
    keys."""
    exact = left.merge(
        right[["record_file", "key"]].drop_duplicates(),
        how="left",
        on=["record_file", "key"],
        indicator=True,
    )
    candidates = exact[exact["_merge"] == "left_only"].drop(columns="_merge")
    keys = _keys_by_record(right, _record_files(candidates))
    keep = [
        not any(same_name(key, other) for other in keys.get(record_file, ()))
        for record_file, key in zip(candidates["record_file"], candidates["key"], strict=True)
    ]
    return candidates[pd.Series(keep, index=candidates.index, dtype=bool)]


def _groups(rows: pd.DataFrame, columns: list[str]) -> list[tuple[tuple[str, str], list]]:
    """Rows (as named tuples of ``columns``) grouped by record file and key, sorted by both;
    each group keeps the table order of its rows."""
    groups: dict[tuple[str, str], list] = {}
    for row in rows[["record_file", "key", *columns]].itertuples(index=False):
        groups.setdefault((row.record_file, row.key), []).append(row)
    return sorted(groups.items(), key=lambda group: group[0])


def _items(rows: list) -> list[int]:
    """The entries' indices in their record's list (SARIF points at the first)."""
    return sorted({int(row.item) for row in rows})


def _study_rows(studies: pd.DataFrame, record_files: set[str]) -> dict[str, list]:
    """Record file -> its studies rows (key columns only), for ``where``."""
    subset = studies.loc[_among(studies["record_file"], record_files), list(KEY_COLUMNS)]
    rows: dict[str, list] = {}
    for row in subset.itertuples(index=False):
        rows.setdefault(row.record_file, []).append(row)
    return rows


@rule("arm-intervention-mismatch", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    arm_names = _arm_names(tables.arms)
    interventions = tables.interventions
    listed = interventions.loc[
        interventions["name"].notna(), ["record_file", "item", "name", "type"]
    ]
    listed = listed.assign(key=intervention_key(listed["name"]))
    listed = listed[listed["key"] != ""]
    judged = _record_files(arm_names) & _record_files(listed)
    arm_names = arm_names[_among(arm_names["record_file"], judged)]
    listed = listed[_among(listed["record_file"], judged)]

    missing = _unmatched(arm_names, listed)
    unused = _unmatched(listed, arm_names)
    studies = _study_rows(tables.studies, _record_files(missing) | _record_files(unused))

    for (record_file, key), rows in _groups(missing, ["item", "label", "name"]):
        labels = sorted({row.label for row in rows if isinstance(row.label, str)})
        name = rows[0].name
        yield ctx.finding(
            f"arm {', '.join(repr(label) for label in labels)} names intervention {name!r}, "
            "which the interventions list lacks",
            **where(studies[record_file]),
            field="arms.interventions",
            key=f"missing:{key}",
            evidence={"intervention": name, "arms": labels, "items": _items(rows)},
        )

    for (record_file, key), rows in _groups(unused, ["item", "name", "type"]):
        name = rows[0].name
        kind = rows[0].type
        yield ctx.finding(
            f"intervention {name!r} is listed but no arm names it",
            **where(studies[record_file]),
            field="interventions",
            key=f"unused:{key}",
            evidence={"intervention": name, "type": kind, "items": _items(rows)},
        )
