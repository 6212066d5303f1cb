"""One email address given for two clearly different people: someone else's address.

What it detects (one finding per address): an address given with two or more people whose
names have no word in common and no two words alike (not a misspelling, transliteration or
nickname of one name: ``audit/people.py`` decides who may be one person), when the address
spells a name word of exactly one of them, at least four letters long, and no word of the
others: "sangeeta.pathak@maxhealthcare.com" for "Sangeeta Pathak" in NCT04374487 and for
"Rajesh Saxena" in CTRI/2020/04/024915. The address is the first person's; the other entries
give it although it is not theirs.

Not reported: a study, department or help-desk mailbox that several staff share
("research@diamondheadache.com", "ctsucontact@westat.com", "vern.arterial.disease@gmail.com"),
an address that spells nobody's name ("55815147@qq.com"), and an address that spells a word
of two of the people: nothing tells whose it is. One person written differently ("Josh Booth"
and "Joshua Booth", "Tapan Kadia" and "Tapan M. Kadia") is one person, and entries that name
no person (see placeholder-contact) or give one word only ("Alejandro") are left out.

Why it matters: whoever writes to the other person reaches someone else, and linking people
by their address (contact-name-mismatch, the report's people view) would join two people into
one.

How to fix: check the other person's entry against the registry: give their own address, or
the owner's name if the entry names the wrong person. If the owner answers for the trial on
purpose, make them the contact instead.

Example: "sangeeta.pathak@maxhealthcare.com" given for "Sangeeta Pathak, MBBS, Diploma"
(NCT04374487) and for "Rajesh Saxena" (CTRI/2020/04/024915) -> warning "The address
sangeeta.pathak@maxhealthcare.com is given for "Rajesh Saxena" in CTRI/2020/04/024915 (ictrp),
but it spells the name of "Sangeeta Pathak, MBBS, Diploma" (NCT04374487 (ictrp))."
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from audit.findings import Finding
from audit.people import Entry, SharedAddress, addresses_of_others, named
from audit.rules import Context, rule
from audit.tables import Tables


def _where(entries: list[Entry]) -> str:
    trials = sorted({f"{e.trial_id} ({e.source})" for e in entries})
    more = f" and {len(trials) - 3} more" if len(trials) > 3 else ""
    return ", ".join(trials[:3]) + more


def _name(entries: list[Entry]) -> str:
    return next(e.name for e in entries if e.name)


def _person(entries: list[Entry]) -> dict[str, object]:
    return {
        "names": sorted({e.name for e in entries if e.name}),
        "occurrences": [
            {
                "record_file": e.record_file,
                "item": e.item,
                "trial_id": e.trial_id,
                "source": e.source,
                "role": e.role,
            }
            for e in entries[:25]
        ],
    }


def _finding(ctx: Context, shared: SharedAddress) -> Finding:
    others = " and ".join(f'"{_name(p)}" in {_where(p)}' for p in shared.others)
    message = (
        f"The address {shared.address} is given for {others}, but it spells the name of "
        f'"{_name(shared.owner)}" ({_where(shared.owner)}).'
    )
    entries = [e for p in (shared.owner, *shared.others) for e in p]
    return ctx.finding(
        message,
        field="people.email",
        key=shared.address,
        evidence={
            "email": shared.address,
            "owner": _person(shared.owner),
            "others": [_person(p) for p in shared.others],
        },
        trial_ids=[e.trial_id for e in entries if e.trial_id],
        record_files=[e.record_file for e in entries],
        sources=[e.source for e in entries if e.source],
    )


def blocks(tables: Tables) -> pd.DataFrame:
    """Blocking keys: each named entry's email address (a finding is one address's)."""
    rows = named(tables)
    files = tables.people["record_file"].iloc[rows.index].to_numpy(dtype=object)
    found = pd.DataFrame({"record_file": files, "block": "e:" + rows["email"]}).dropna()
    return found.drop_duplicates(ignore_index=True)


@rule("shared-email", severity="warning", scope="corpus", blocks=blocks)
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    for shared in addresses_of_others(tables):
        yield _finding(ctx, shared)
