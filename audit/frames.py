"""Table helpers for any layer: plain values and finding details from rows, text columns in
Arrow (literal filters before a regex), one call per distinct text, connected components."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def value(item: Any) -> Any:
    """A table cell as a plain value (None for any kind of missing)."""
    if item is None:
        return None
    try:
        if pd.isna(item):
            return None
    except (TypeError, ValueError):
        return item
    return item.item() if hasattr(item, "item") else item


def where(rows: Iterable[Any]) -> dict[str, list[str]]:
    """``trial_ids``, ``record_files`` and ``sources`` of table rows, for ``ctx.finding``."""
    rows = list(rows)
    return {
        "trial_ids": [r.trial_id for r in rows if isinstance(r.trial_id, str)],
        "record_files": [r.record_file for r in rows],
        "sources": [r.source for r in rows if isinstance(r.source, str)],
    }


def strings(column: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (nulls kept)."""
    array = pa.array(column, type=pa.string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def cells(column: pd.Series) -> list[Any]:
    """A table column as plain values, None for missing."""
    return column.astype(object).where(column.notna(), None).tolist()


def each_distinct(column: pd.Series, function: Callable[[str], Any], missing: Any) -> list[Any]:
    """``function`` of every cell of a text column, computed once per distinct text
    (``missing`` for nulls)."""
    codes, distinct = pd.factorize(column)
    texts = distinct.tolist()  # an Arrow-backed index is slow to read one item at a time
    results = [*map(function, texts)]
    results.append(missing)  # code -1 (null) takes the last
    return [results[code] for code in codes]


def components(count: int, links: list[np.ndarray]) -> np.ndarray:
    """Each of ``count`` nodes' connected group through the links (2 x n arrays of node
    pairs), named by its smallest node."""
    pairs = np.concatenate([np.empty((2, 0), dtype=int), *links], axis=1)
    parent = np.arange(count)
    while True:
        a, b = parent[pairs[0]], parent[pairs[1]]
        apart = a != b
        if not apart.any():
            return parent
        np.minimum.at(parent, np.maximum(a, b)[apart], np.minimum(a, b)[apart])
        while not np.array_equal(parent, jumped := parent[parent]):
            parent = jumped


# Letters Python's case-insensitive regexes take for ASCII ones that lower-casing keeps apart:
# dotless ı and long ſ match i and s (Arrow lower-cases İ to i, as Python's regexes see it).
_CASE_FOLDS = (("ı", "i"), ("ſ", "s"))


def contains_any(column: pd.Series, words: tuple[str, ...]) -> np.ndarray:
    """Which cells of a text column contain one of ``words`` (lower case), in any case: a
    quick filter in Arrow before a regular expression runs on what is left."""
    if not words:
        return np.zeros(len(column), dtype=bool)
    lowered = pc.utf8_lower(strings(column))
    for letter, plain in _CASE_FOLDS:
        lowered = pc.replace_substring(lowered, letter, plain)
    found = pc.match_substring_regex(lowered, "|".join(map(re.escape, words)))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def matches(
    column: pd.Series, pattern: str | re.Pattern[str], words: str | tuple[str, ...]
) -> np.ndarray:
    """Which cells of a text column ``pattern`` (Python ``re``) matches, trying it only on the
    cells that hold one of ``words`` (``contains_any``): every match of ``pattern`` must hold
    one, so the answer is the regex's alone, found far faster where few cells qualify."""
    found = contains_any(column, (words,) if isinstance(words, str) else words)
    if found.any():
        hits = column[found].str.contains(pattern, regex=True).fillna(False)
        found[found] = hits.to_numpy(dtype=bool)
    return found


# Intervention names: "Drug: Aspirin" and "aspirin" are one intervention.
_TYPE_PREFIX = (
    r"^(?:\s*(?:drug|biological|biologic|device|procedure(?:\s*/\s*surgery)?|"
    r"radiation|behavioral|behavioural|genetic|dietary\s+supplement|"
    r"combination\s+product|diagnostic\s+test|other)\s*:\s*)+"
)


def intervention_key(names: pd.Series) -> pd.Series:
    """Intervention names as compared (arm-intervention-mismatch, placebo-arm-product): no
    type prefix, lower case, letters and digits separated by one space.
    Each distinct name is folded once."""
    codes, distinct = pd.factorize(names)
    keys = pd.Series(distinct).str.replace(_TYPE_PREFIX, "", case=False, regex=True)
    keys = keys.str.casefold().str.replace(r"[\W_]+", " ", regex=True).str.strip()
    return pd.Series(keys.array.take(codes, allow_fill=True), index=names.index)
