"""audit/people.py: one answer to "who is who" for contact-name-mismatch and the report's
people view: the view holds every finding's spellings in one person, marks as misspelled only
what the rule reports, and never links people through an entry that names no person."""

from __future__ import annotations

from datetime import date
from itertools import combinations

import pandas as pd
import pytest
from conftest import valid_record

from audit import people
from audit.frames import cells
from audit.names import email_name_key, name_key, name_tokens, not_a_person, same_name
from audit.people import everyone, known_keys, learn_keys, named, no_person
from audit.record import person, record_filename
from audit.report.persons import MAX_PEOPLE, describe
from audit.rules import Context, contact_name_mismatch
from audit.tables import Tables, build_tables

RULE = "contact-name-mismatch"


def tables_of(*records: dict) -> Tables:
    return build_tables((record_filename(r), r) for r in records)


def people_view(persons: list) -> list[dict]:
    return describe(persons, set(), len(persons) > MAX_PEOPLE).view()


def view(tables: Tables) -> list[dict]:
    return people_view(everyone(tables))


def findings(tables: Tables) -> list:
    return list(contact_name_mismatch.check(tables, Context(date(2026, 11, 22), RULE, "warning")))


def record(trial_id: str, *people: dict, sponsor: str = "Acme") -> dict:
    return valid_record(trial_id, "ctgov-api", sponsor=sponsor, people=list(people))


def test_one_misspelled_person_and_one_written_in_two_orders():
    tables = tables_of(
        record(
            "NCT1",
            person("Zhongming Liu", "CENTRAL_CONTACT", ["MD"], "liu.zhongmin@tongji.edu.cn"),
            person("Congrong Wang", "CENTRAL_CONTACT", ["MD"], "wcr601@163.com"),
        ),
        record(
            "NCT2",
            person("liu zhongmin", "CENTRAL_CONTACT", ["doctor"], "liu.zhongmin@tongji.edu.cn"),
            person("wang congrong", "CENTRAL_CONTACT", ["doctor"], "wcr601@163.com"),
        ),
    )
    rows = {tuple(r["spellings"]): r for r in view(tables)}
    liu = rows[("liu zhongmin", "Zhongming Liu")]
    assert liu["misspelled"] == [["liu zhongmin", "Zhongming Liu"]]
    assert liu["trials"] == ["NCT1", "NCT2"]
    [wang] = [r for r in rows.values() if "wcr601@163.com" in r["emails"]]
    assert (wang["spellings"], wang["misspelled"]) == (["Congrong Wang"], [])
    assert wang["written"] == ["Congrong Wang", "wang congrong"]


def test_a_placeholder_name_never_glues_investigators_together():
    """Six investigators, each also listed as "Site Contact" with their own address: the
    placeholder's name key must not join the six addresses into one person."""
    names = ["Eunice Wang", "Evan Chen", "Usama Gergis", "Alireza Eghtedar", "Stephen Strickland"]
    names.append("Jonathan Little")
    people = []
    for n, name in enumerate(names):
        email = f"inv{n}@site{n}.org"
        people += [person(name, "SITE_INVESTIGATOR", email=email)]
        people += [person("Site Contact", "SITE_CONTACT", email=email)]
    tables = tables_of(record("NCT1", *people, sponsor="Acme Oncology"))
    rows = view(tables)
    assert sorted(r["spellings"][0] for r in rows) == sorted(names)
    assert all(len(r["spellings"]) == 1 and not r["misspelled"] for r in rows)
    assert findings(tables) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Liu Zhongmin", "liu zhongmin"),  # case
        ("Dr. Jane Smith", "Jane Smith, MD"),  # titles and degrees
        ("wang congrong", "Congrong Wang"),  # order
        ("Tapan M. Kadia", "Tapan Kadia"),  # an initial
        ("Pilar M Palomo Moraleda", "Pilar Palomo"),  # a missing second surname
    ],
)
def test_what_the_rule_ignores_is_one_person_never_misspelled(first, second):
    box = "shared@example.org"
    tables = tables_of(
        record("NCT1", person(first, "CENTRAL_CONTACT", email=box)),
        record("NCT2", person(second, "OVERALL_OFFICIAL", email=box)),
    )
    [row] = view(tables)
    assert row["misspelled"] == [] and row["trials"] == ["NCT1", "NCT2"]
    assert findings(tables) == []


def test_the_same_name_at_two_institutions_is_two_people():
    def wei_wang(trial_id: str, university: str) -> dict:
        official = person("Wei Wang", "OVERALL_OFFICIAL", affiliation=university)
        return record(trial_id, official, sponsor=university)

    tables = tables_of(
        wei_wang("NCT1", "Peking University"),
        wei_wang("NCT2", "Harvard University"),
        wei_wang("NCT3", "Peking University"),
    )
    assert sorted(r["trials"] for r in view(tables)) == [["NCT1", "NCT3"], ["NCT2"]]


def test_entries_without_a_name_join_the_person_of_their_address():
    jane = person("Jane Roe", "OVERALL_OFFICIAL", email="jane.roe@uni.edu")
    unnamed = [
        dict(person("", "CENTRAL_CONTACT", email=" Jane.Roe@uni.edu"), name=None),
        dict(person("", "SITE_CONTACT", phone="+1 555 0100"), name=None),
        person("  ", "SITE_CONTACT", email="desk@uni.edu"),
    ]
    tables = tables_of(record("NCT1", jane), record("NCT2", *unnamed))
    assert sum(len(p.entries) for p in everyone(tables)) == 4
    rows = view(tables)
    [roe] = [r for r in rows if r["spellings"]]
    assert (roe["trials"], roe["roles"]) == (
        ["NCT1", "NCT2"],
        ["CENTRAL_CONTACT", "OVERALL_OFFICIAL"],
    )
    # the phone-only contact is not shown: nobody a reviewer can look up
    assert sorted(r["emails"] for r in rows if not r["spellings"]) == [["desk@uni.edu"]]
    assert findings(tables) == []


def test_real_corpus_view_and_rule_agree(real_tables):
    """Every contact-name-mismatch finding is one person row of the view holding its
    spellings and marked misspelled by that group; the view marks nothing else; no row holds
    an entry that names no person; no misspelled group holds two spellings that differ only
    by order, case, titles, degrees or initials."""
    found = findings(real_tables)
    persons = everyone(real_tables)
    rows = people_view(persons)
    assert sum(len(r["misspelled"]) for r in rows) == len(found)
    for finding in found:
        names = {s["name"] for s in finding.evidence["spellings"]}
        holding = [r for r in rows if names <= set(r["spellings"])]
        assert len(holding) == 1, finding.message
        assert any(names <= set(group) for group in holding[0]["misspelled"]), finding.message
    judged = no_person(real_tables)
    nobody = {i for i, kind in enumerate(judged) if kind and real_tables.people["name"].iloc[i]}
    assert nobody, "the real corpus has placeholder entries"
    assert not nobody & {e.row for whole in persons for e in whole.entries}
    for row in rows:
        assert not any(not_a_person(name) for name in row["spellings"])
        for group in row["misspelled"]:
            for a, b in combinations([s for s in group if s in row["spellings"]], 2):
                assert name_key(a) != name_key(b), (a, b)
                core_a = tuple(t for t in name_tokens(a) if len(t) > 1)
                core_b = tuple(t for t in name_tokens(b) if len(t) > 1)
                assert not same_name(core_a, core_b), (a, b)


def test_no_people_at_all():
    tables = tables_of(record("NCT1"))
    assert (view(tables), findings(tables), no_person(tables)) == ([], [], [])


def test_keys_known_from_earlier_runs_are_taken_and_only_new_texts_are_keyed(monkeypatch):
    monkeypatch.setattr(people, "_KNOWN", {})
    keyed: list[str] = []
    compute, *rest = people._KINDS["name"]
    monkeypatch.setitem(people._KINDS, "name", (lambda t: keyed.append(t) or compute(t), *rest))
    # What an earlier run kept is taken as it is (a pure function of the text): here a key
    # no computation gives shows it was not computed again.
    learn_keys(
        pd.DataFrame(
            {
                "kind": ["name", "email"],
                "text": ["Ann Lee", "ann@x.org"],
                "key": ["kept key", "kept name"],
                "address": [None, "kept@address"],
            }
        )
    )
    tables = tables_of(
        record(
            "NCT1",
            person("Ann Lee", "CENTRAL_CONTACT", email="ann@x.org"),
            person("Liu, Zhongming", "CENTRAL_CONTACT", email="bo.wu@y.org"),
            person("Bo Wu", "CENTRAL_CONTACT"),
            person("Liu, Zhongming", "CENTRAL_CONTACT"),
        )
    )
    rows = named(tables)
    keys = ["kept key", *map(name_key, ["Liu, Zhongming", "Bo Wu", "Liu, Zhongming"])]
    assert rows["key"].tolist() == keys
    assert cells(rows["email"]) == ["kept@address", "bo.wu@y.org", None, None]
    assert rows["email_key"].tolist() == ["kept name", email_name_key("bo.wu@y.org"), "", ""]
    assert sorted(keyed) == ["Bo Wu", "Liu, Zhongming"]  # once each
    known = known_keys(tables).sort_values(["kind", "text"]).to_numpy().tolist()
    assert known == [
        ["email", "ann@x.org", "kept name", "kept@address"],
        ["email", "bo.wu@y.org", email_name_key("bo.wu@y.org"), "bo.wu@y.org"],
        ["name", "Ann Lee", "kept key", None],
        ["name", "Bo Wu", name_key("Bo Wu"), None],
        ["name", "Liu, Zhongming", name_key("Liu, Zhongming"), None],
    ]
