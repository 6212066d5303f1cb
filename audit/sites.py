"""Sites that still say they are enrolling, as the stale-* rules list them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from audit.dates import flag
from audit.frames import value
from audit.tables import Tables

OPEN_SITE_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
SITE_FIELDS = ("facility", "city", "country", "status")
SITES_IN_MESSAGE = 5
SITES_IN_EVIDENCE = 50


def open_sites(tables: Tables, record_files: pd.Series) -> dict[str, list[dict[str, Any]]]:
    """The sites of these record files that still say they are enrolling, by record file."""
    sites = tables.sites[["record_file", "item", "facility", "city", "country", "status"]]
    sites = sites[
        flag(sites["status"].isin(OPEN_SITE_STATUSES))
        & flag(sites["record_file"].isin(record_files))
    ].sort_values(["record_file", "item"])
    by_record: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in sites.itertuples(index=False):
        by_record[item.record_file].append(
            {name: value(getattr(item, name)) for name in ("item", *SITE_FIELDS)}
        )
    return by_record


def open_sites_text(listed: list[dict[str, Any]]) -> str:
    """ "2 sites still say they are enrolling: A (City, Country): RECRUITING; B: …" """
    shown = "; ".join(_site_text(s) for s in listed[:SITES_IN_MESSAGE])
    more = len(listed) - SITES_IN_MESSAGE
    count = (
        "1 site still says it is" if len(listed) == 1 else f"{len(listed)} sites still say they are"
    )
    return f"{count} enrolling: {shown}" + (f"; and {more} more" if more > 0 else "")


def _site_text(site: dict[str, Any]) -> str:
    place = ", ".join(p for p in (site["city"], site["country"]) if p)
    name = site["facility"] or "unnamed site"
    return f"{name} ({place}): {site['status']}" if place else f"{name}: {site['status']}"
