"""One person's name is spelled two ways: the same contact or official, a misspelled word.

What it detects: people who are evidently the same person but whose names differ in one
misspelled word, e.g. "Zhongming Liu" in NCT04216849 and "liu zhongmin" in NCT04441658.
People are linked only by strong evidence, never by comparing everyone with everyone, and
exactly as the report's people view links them (``audit/people.py``):

* the same email address;
* an email whose local part reads as a name (two or more words of at least two letters, as in
  liu.zhongmin@...; "info", "jsmith2", "wcr601" or "clinical.trials" do not count), and a
  person of that name, or with that same local part, at the same institution;
* the same name at the same institution.

"Same institution" compares the affiliation, the record's sponsor and the email domain with
rapidfuzz, after dropping generic words (Hospital, University, ...). A shared phone number never
links people: departments share phones. Within linked people, two spellings are reported when
they agree in every word but one, and that word is at least four letters long and at least 80%
similar ("zhongming" vs "zhongmin", "Fritsch" vs "Fritsche"). Not reported: differences of
case, accents, punctuation, spacing ("Mc Call"), titles and degrees ("Dr.", "MD", "MSc-MD"),
name order ("wang congrong" = "Congrong Wang"), German umlauts ("Wössmann" = "Woessmann"),
missing initials or name parts ("Pilar Palomo" vs "Pilar M Palomo Moraleda"), transliterations
of one name ("Tereshchenko" / "tereshenko", "Davoodian" / "davoudian", "Elashmawy" /
"elashmawi", "Masoumeh" / "masoume"), nicknames ("Josh" / "Joshua"), and different names behind
one shared mailbox (an office address used by several investigators; shared-email reports an
address evidently belonging to one of them).

A name that differs in one word from its own email address when no second spelling exists
("Daniel Fortan", email daniel.forton@...) is reported at ``info``: the address may be the
misspelled one. Entries that name no person (see placeholder-contact) are left out.

Why it matters: a misspelled name splits one investigator into two people, so searches by
investigator, conflict-of-interest checks and contact look-ups miss trials, and readers cannot
tell which spelling is right.

How to fix: check the person (the email address and the institution's staff page usually
settle it), correct the wrong spelling in the source registry entry and re-import.

Example: "Zhongming Liu" (NCT04216849, ctgov-classic, email liu.zhongmin@tongji.edu.cn) and
"liu zhongmin" (NCT04441658, veeva) -> warning "One person is spelled 2 ways ... ("zhongmin"
vs "zhongming"). The email liu.zhongmin@tongji.edu.cn reads "liu zhongmin"."
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from audit.findings import Finding
from audit.names import same_name
from audit.people import Entry, entry_keys, spelled_several_ways, with_previous
from audit.people import reach as people_reach
from audit.rules import Context, Focus, rule
from audit.spellings import Spelling, difference, email_words
from audit.tables import Tables

MAX_EMAILS_SAID = 5  # in the message; the evidence lists every email


def _where(entries: list[Entry]) -> str:
    trials = sorted({f"{e.trial_id} ({e.source})" for e in entries})
    more = f" and {len(trials) - 3} more" if len(trials) > 3 else ""
    return ", ".join(trials[:3]) + more


def _occurrence(e: Entry) -> dict[str, str | int | None]:
    return {
        "record_file": e.record_file,
        "item": e.item,
        "trial_id": e.trial_id,
        "source": e.source,
        "role": e.role,
        "email": e.email,
    }


def _finding(ctx: Context, group: list[Spelling]) -> Finding:
    names = [s for s in group if not s.from_email]
    emails = [s for s in group if s.from_email]
    entries = [e for s in group for e in s.entries]
    pairs = [d for a, b in combinations(group, 2) if (d := difference(a, b))]
    words = "; ".join(f'"{x}" vs "{y}"' for x, y in dict.fromkeys(pairs))
    if len(names) > 1:
        shown = " and ".join(f'"{s.label}" in {_where(s.entries)}' for s in names)
        message = f"One person is spelled {len(names)} ways: {shown} ({words})."
        severity = None
    else:
        message = (
            f'The name "{names[0].label}" in {_where(names[0].entries)} does not match '
            f"the email address given with it ({words})."
        )
        severity = "info"
    read = {e.email: email_words(e.email) for e in entries if e.email and e.email_key}
    readers = {
        (email, s.label)
        for s in names
        for email, tokens in read.items()
        if same_name(tokens, s.tokens)
    }
    sentences = [f' The email {email} reads "{label}".' for email, label in sorted(readers)]
    sentences += [f' The email {s.from_email} reads "{" ".join(s.tokens)}".' for s in emails]
    message += "".join(sentences[:MAX_EMAILS_SAID])
    if len(sentences) > MAX_EMAILS_SAID:
        message += f" ({len(sentences) - MAX_EMAILS_SAID} more emails read as names.)"
    evidence = {
        "spellings": [
            {
                "name": s.label,
                "variants": sorted({e.name for e in s.entries if e.name}),
                "occurrences": [_occurrence(e) for e in s.entries[:25]],
                "occurrence_count": len(s.entries),
            }
            for s in names
        ],
        "emails": sorted({e.email for e in entries if e.email}),
        "differing_words": sorted({tuple(sorted(d)) for d in pairs}),
    }
    key = " | ".join(
        sorted(("email: " if s.from_email else "") + " ".join(sorted(s.tokens)) for s in group)
    )
    return ctx.finding(
        message,
        severity=severity,
        field="people.name",
        evidence=evidence,
        key=key,
        trial_ids=[e.trial_id for e in entries if e.trial_id],
        record_files=[e.record_file for e in entries],
        sources=[e.source for e in entries if e.source],
    )


def reach(tables: Tables, changed: set[str], previous: Tables) -> set[tuple[str, int]]:
    """The entries (record file, index) of every person an entry of a changed file belongs
    to, now or before the change (``people.reach``, over the rows now and, as records of
    their own, the rows the changed files had): the only persons whose findings a change can
    alter. A person's findings depend on all of its entries and on nothing else."""
    both, seeds = with_previous(tables, changed, previous)
    return entry_keys(both.people, people_reach(both, seeds))


def anchor(found: Finding) -> tuple[str, int] | None:
    """One entry of the finding's person: the first occurrence of its first spelling."""
    for spelling in found.evidence.get("spellings") or []:
        for occurrence in spelling.get("occurrences") or []:
            return str(occurrence["record_file"]), int(occurrence["item"])
    return None


@rule(
    "contact-name-mismatch",
    severity="warning",
    scope="corpus",
    focus=Focus(reach, anchor),
)
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    for person in spelled_several_ways(tables):
        for group in person.misspellings:
            yield _finding(ctx, group)
